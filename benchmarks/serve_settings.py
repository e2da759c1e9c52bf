"""The site's settings plus one URL for benchmarks/serve.py: /benchmark/hello/, the
smallest view Django can serve through the same middleware. Never used by the site."""

from msblog.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.serve_urls"
