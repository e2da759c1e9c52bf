"""The post page at 10 to 10,000 comments, against two references measured in the same run.

    .venv/bin/python benchmarks/post_page.py [--sizes 10 100 1000 10000] [--repeat 9]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python benchmarks/post_page.py

For each size, in a throwaway test database (SQLite by default, PostgreSQL with
DATABASE_URL), one post gets a realistic thread: about 30 % top-level comments, replies
to random earlier comments up to 8 levels deep, 300–600-character bodies. Timed:

* floor: one raw SQL query in tree order and a plain join of escaped fields: no ORM
  objects, no template engine. The least any page showing the thread must do.
* recursetree: django-mptt's {% recursetree %} over the same comments (ORM query plus
  the recursive template), the usual way to show an MPTT thread.
* page cold: the post page through Django's whole request path with an empty cache.
* page warm: the same with the page already cached.

The page is measured twice: the whole thread on one page (COMMENTS_PER_PAGE=0) and the
first page of the default paging (50 top-level threads). Prints medians, ratios to the
floor and query counts, and writes benchmarks/results/post_page-<database>.json.
"""

import argparse
import json
import os
import statistics
import sys
import time
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msblog.settings")
os.environ.setdefault("DEBUG", "0")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.template import Context, Template  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

RECURSETREE = Template(
    '{% load mptt_tags %}<ol>{% recursetree nodes %}<li id="comment-{{ node.pk }}">'
    "<b>{{ node.author_name }}</b> <time>{{ node.created_at|date:'j F Y H:i' }}</time>"
    "<div>{{ node.body|linebreaks }}</div>"
    "{% if not node.is_leaf_node %}<ol>{{ children }}</ol>{% endif %}</li>"
    "{% endrecursetree %}</ol>"
)
FLOOR_SQL = (
    "SELECT id, author_name, created_at, body, level FROM comments_comment "
    "WHERE post_id = %s AND status = 'approved' ORDER BY tree_id, lft"
)


def timed(function, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return times


def floor(post_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL, [post_id])
        rows = cursor.fetchall()
    return "".join(
        f'<li id="comment-{pk}" class="depth-{level}"><b>{escape(name)}</b> '
        f"<time>{created}</time><p>{escape(body)}</p></li>"
        for pk, name, created, body, level in rows
    )


def recursetree(post) -> str:
    from comments.models import Comment

    nodes = Comment.objects.public().filter(post=post).order_by("tree_id", "lft")
    return RECURSETREE.render(Context({"nodes": nodes}))


def page_timings(url: str, repeat: int) -> dict:
    client = Client()
    cache.clear()
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    cold_queries = len(captured)  # read now: the next request resets the log

    def cold():
        cache.clear()
        client.get(url)

    cold_times = timed(cold, repeat)
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    warm_queries = len(captured)
    warm_times = timed(lambda: client.get(url), repeat)
    return {
        "cold_ms": statistics.median(cold_times),
        "warm_ms": statistics.median(warm_times),
        "cold_queries": cold_queries,
        "warm_queries": warm_queries,
        "kib": len(response.content) / 1024,
    }


def measure(size: int, repeat: int) -> dict:
    from tests.factories import make_post, make_thread

    post = make_post(tags=["MSBlog", "MSResearch"])
    make_thread(post, size)
    row = {
        "comments": size,
        "floor_ms": statistics.median(timed(lambda: floor(post.pk), repeat)),
        "recursetree_ms": statistics.median(timed(lambda: recursetree(post), max(3, repeat // 3))),
    }
    with override_settings(COMMENTS_PER_PAGE=0):
        row["whole"] = page_timings(post.get_absolute_url(), repeat)
    row["paged"] = page_timings(post.get_absolute_url(), repeat)
    return row


def print_table(rows: list[dict], vendor: str, repeat: int) -> None:
    print(f"\npost page, {vendor}, median of {repeat} (ms; ratio to the floor; queries)")
    header = (
        f"{'comments':>8} {'floor':>7} {'recursetree':>15} {'whole cold':>17} "
        f"{'whole warm':>15} {'page-1 cold':>17} {'page-1 warm':>15} {'whole KiB':>9}"
    )
    print(header)
    for row in rows:
        base = row["floor_ms"]
        whole, paged = row["whole"], row["paged"]
        print(
            f"{row['comments']:>8} {base:>7.2f} {cell(row['recursetree_ms'], base)} "
            f"{cell(whole['cold_ms'], base, whole['cold_queries'], 17)} "
            f"{cell(whole['warm_ms'], base, whole['warm_queries'])} "
            f"{cell(paged['cold_ms'], base, paged['cold_queries'], 17)} "
            f"{cell(paged['warm_ms'], base, paged['warm_queries'])} {whole['kib']:>9.0f}"
        )


def cell(ms: float, floor_ms: float, queries=None, width=15) -> str:
    text = f"{ms:.1f} ({ms / floor_ms:.1f}×)"
    if queries is not None:
        text += f" q{queries}"
    return f"{text:>{width}}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000, 10000])
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        rows = [measure(size, args.repeat) for size in args.sizes]
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print_table(rows, connection.vendor, args.repeat)
    out = ROOT / "benchmarks" / "results" / f"post_page-{connection.vendor}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"repeat": args.repeat, "rows": rows}, indent=2))
    print(f"\nwrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
