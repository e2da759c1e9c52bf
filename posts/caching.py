"""Caching that is never stale: content versions bumped after every commit that changes
what readers see, and cache keys that include the version.

* ``content_changed(post_ids=…)`` is called by every write path (comment services, the
  admin, importers) inside its transaction. It replaces the site's version, and each
  named post's version, with new random ones at once and again after the commit: a
  reader who rendered from the data before the commit, in between, stored it under the
  version that the second bump retires. Nothing is deleted: entries under old versions
  are simply never read again and expire.
* A reader reads the version *before* querying the database and stores what it rendered
  under that version, so a page rendered from data older than a bump can only ever be
  stored under the version that the bump retired.
* Versions live in the cache too (Redis when REDIS_URL is set, shared by every app
  server). If one is evicted, a new one is made: a cache miss, never a stale page.
"""

import hashlib
import hmac
import secrets
import time
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

SITE_VERSION_KEY = "content-version:site"


def post_version_key(post_id: int) -> str:
    return f"content-version:post:{post_id}"


def new_version() -> str:
    # The time part gives Last-Modified; the random part makes every bump unique.
    return f"{time.time():.6f}-{secrets.token_hex(6)}"


def version_time(version: str) -> float:
    return float(version.split("-", 1)[0])


def current_version(key: str) -> str:
    version = cache.get(key)
    if version is None:
        version = new_version()
        if not cache.add(key, version, timeout=None):
            version = cache.get(key) or version
    return version


def site_version() -> str:
    return current_version(SITE_VERSION_KEY)


def post_version(post_id: int) -> str:
    return current_version(post_version_key(post_id))


def content_changed(*, post_ids=()) -> None:
    """Retire cached pages (and these posts' cached threads), now and after the commit."""
    post_ids = frozenset(post_ids)
    bump_versions(post_ids)
    transaction.on_commit(partial(bump_versions, post_ids))


def bump_versions(post_ids=frozenset()) -> None:
    versions = {post_version_key(post_id): new_version() for post_id in post_ids}
    versions[SITE_VERSION_KEY] = new_version()
    cache.set_many(versions, timeout=None)


def cached_fragment(key: str, render) -> str:
    """The cached string under ``key``, or ``render()``'s result, stored for next time."""
    html = cache.get(key)
    if html is None:
        html = render()
        cache.set(key, html, timeout=settings.PAGE_CACHE_SECONDS)
    return html


def placeholder(name: str) -> str:
    """A marker for per-request values in a cached page. Derived from SECRET_KEY, so every
    app server agrees on it and no commenter can type it."""
    digest = hmac.new(settings.SECRET_KEY.encode(), name.encode(), hashlib.sha256).hexdigest()
    return f"msblog-{name}-{digest[:24]}"
