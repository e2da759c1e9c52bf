"""Time the post page through Django's full request path at several thread sizes.

    .venv/bin/python benchmarks/post_page.py [--sizes 10 1000 10000] [--repeat 15]

Runs in a throwaway test database (SQLite by default, PostgreSQL with DATABASE_URL) and
prints, per number of comments, the SQL queries the page runs and the median, min and
max wall time of a GET. Numbers, not assertions: compare runs on the same machine.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msblog.settings")
os.environ.setdefault("DEBUG", "0")

import django

django.setup()

from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 1000, 10000])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        rows = [measure(size, args.repeat) for size in args.sizes]
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(f"post page, {connection.vendor}, median of {args.repeat} GETs")
    print(
        f"{'comments':>9} {'queries':>8} {'median ms':>10} {'min ms':>8} {'max ms':>8} {'KiB':>7}"
    )
    for size, queries, times, kib in rows:
        print(
            f"{size:>9} {queries:>8} {statistics.median(times):>10.1f} "
            f"{min(times):>8.1f} {max(times):>8.1f} {kib:>7.0f}"
        )


def measure(size: int, repeat: int):
    from tests.factories import make_post, make_thread

    post = make_post(tags=["MSBlog", "MSResearch"])
    make_thread(post, size)
    url = post.get_absolute_url()
    client = Client()
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    queries = len(captured)  # read now: the next request resets the connection's log
    assert response.status_code == 200
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    return size, queries, times, len(response.content) / 1024


if __name__ == "__main__":
    main()
