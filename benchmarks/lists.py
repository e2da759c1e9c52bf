"""List pages, feeds and search at 1,000, 10,000 and 100,000 posts.

    .venv/bin/python benchmarks/lists.py [--sizes 1000 10000 100000] [--repeat 15]

Runs in a throwaway database (SQLite by default, PostgreSQL with DATABASE_URL), grown
from one size to the next: posts spread over 2006-2025, each tagged #MSBlog and two or
three of 40 other tags, with 0-6 comments (5% held for moderation). Loading works like a
restore: search triggers off, bulk inserts, then the search index rebuilt and the
planner's statistics refreshed. For each page it prints the SQL queries a GET runs and the
median time through Django's whole request path (test client, no network), then how both
grew from the smallest size to the largest. Results go to
benchmarks/results/lists-<database>.json.
"""

import argparse
import datetime
import random
import time

from common import median, print_table, setup_django, throwaway_database, write_results

setup_django()

from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from taggit.models import Tag, TaggedItem  # noqa: E402

from comments.bulk import NewComment, bulk_create_forest  # noqa: E402
from comments.models import Comment  # noqa: E402
from posts.models import Author, Post  # noqa: E402
from posts.search import schema  # noqa: E402
from tests.factories import WORDS as factory_words  # noqa: E402

PAGES = {
    "home": "/",
    "home, last page": "/?page=last",
    "tag (every post)": "/tag/msblog/",
    "tag (6% of posts)": "/tag/tag-7/",
    "year archive": "/2016/",
    "month archive": "/2016/06/",
    "posts feed (RSS)": "/feed/",
    "comments feed (RSS)": "/comments/feed/",
    "search": "/search/?q=natalizumab",
}
# The thread generator's vocabulary, and a few words more for post bodies.
WORDS = [*factory_words, "multiple", "sclerosis", "progression", "remyelination", "vitamin"]
START = datetime.datetime(2006, 1, 1, tzinfo=datetime.UTC)
SPAN_SECONDS = 20 * 365 * 24 * 3600


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    results = []
    with throwaway_database("lists"):
        rng = random.Random(7)
        setup_once()
        for size in sorted(args.sizes):
            started = time.perf_counter()
            grow_to(size, rng)
            load_seconds = time.perf_counter() - started
            print(
                f"{size:,} posts, {Comment.objects.count():,} comments: "
                f"loaded in {load_seconds:.1f} s",
                flush=True,
            )
            results.append(
                {
                    "posts": size,
                    "load_seconds": round(load_seconds, 1),
                    "pages": measure(args.repeat),
                }
            )
        database = connection.vendor
    report(results, args.repeat, database)
    write_results("lists", {"repeat": args.repeat, "sizes": results})


def setup_once():
    Author.objects.bulk_create(Author(name=f"Author {n}", slug=f"author-{n}") for n in range(5))
    Tag.objects.create(name="MSBlog", slug="msblog")
    for n in range(40):
        Tag.objects.create(name=f"Tag {n}", slug=f"tag-{n}")


def grow_to(total: int, rng: random.Random) -> None:
    """Add posts (tagged, with comments) until there are ``total``."""
    have = Post.objects.count()
    if have >= total:
        return
    authors = list(Author.objects.values_list("pk", flat=True))
    msblog = Tag.objects.get(slug="msblog")
    others = list(Tag.objects.exclude(pk=msblog.pk))
    post_type = ContentType.objects.get_for_model(Post)
    schema.uninstall(connection)  # as for a restore; rebuilt below
    with transaction.atomic():
        posts = []
        for n in range(have, total):
            published = START + datetime.timedelta(seconds=rng.randrange(SPAN_SECONDS))
            body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(150, 400)))
            if rng.random() < 0.02:
                body += " natalizumab"
            posts.append(
                Post(
                    title=f"Post {n}: {' '.join(rng.choice(WORDS) for _ in range(5))}",
                    slug=f"post-{n}",
                    author_id=rng.choice(authors),
                    lede=" ".join(rng.choice(WORDS) for _ in range(20)),
                    body=f"<p>{body}</p>",
                    status=Post.Status.PUBLISHED if rng.random() > 0.02 else Post.Status.DRAFT,
                    published_at=published,
                    updated_at=published,
                )
            )
        Post.objects.bulk_create(posts, batch_size=2000)
        TaggedItem.objects.bulk_create(
            (
                TaggedItem(content_type=post_type, object_id=post.pk, tag=tag)
                for post in posts
                for tag in [msblog, *rng.sample(others, rng.randint(2, 3))]
            ),
            batch_size=5000,
        )
        bulk_create_forest(list(comment_items(posts, rng)), batch_size=5000)
    with transaction.atomic():
        schema.install(connection)
        schema.rebuild(connection)
    refresh_statistics()


def comment_items(posts, rng):
    index = 0
    for post in posts:
        first = index
        for k in range(rng.randint(0, 6)):
            parent = rng.randrange(first, index) if index > first and rng.random() < 0.5 else None
            status = Comment.Status.PENDING if rng.random() < 0.05 else Comment.Status.APPROVED
            body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(10, 60)))
            if rng.random() < 0.01:
                body += " natalizumab"
            yield NewComment(
                fields={
                    "post_id": post.pk,
                    "author_name": f"Reader {rng.randrange(500)}",
                    "body": body,
                    "status": status,
                    "created_at": post.published_at + datetime.timedelta(hours=k + 1),
                },
                parent=parent,
            )
            index += 1


def refresh_statistics():
    """On PostgreSQL, what autovacuum would have done by now. Not on SQLite: nothing runs
    ANALYZE there by itself, and its statistics make the planner drive the sidebar's
    recent-comments query from the list of published posts (see benchmarks/README.md)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def measure(repeat: int) -> dict:
    """Per page: queries and median time with an empty cache (cold), then cached (warm)."""
    client = Client()
    pages = {}
    for name, url in PAGES.items():
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        queries = len(captured)
        cold = timed(client, url, repeat, clear=True)
        warm = timed(client, url, repeat, clear=False)
        pages[name] = {
            "url": url,
            "queries": queries,
            "median_ms": round(median(cold), 2),
            "warm_ms": round(median(warm), 2),
        }
    return pages


def timed(client, url: str, repeat: int, *, clear: bool) -> list[float]:
    times = []
    for _ in range(repeat):
        if clear:
            cache.clear()
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    return times


def report(results, repeat, database):
    sizes = [r["posts"] for r in results]
    headers = ["page"]
    for size in sizes:
        headers += [f"{size:,}: queries", f"{size:,}: cold ms", f"{size:,}: warm ms"]
    if len(sizes) > 1:
        headers.append(f"cold time x ({sizes[-1]:,} / {sizes[0]:,})")
    rows = []
    for name in PAGES:
        row = [name]
        for r in results:
            page = r["pages"][name]
            row += [page["queries"], page["median_ms"], page.get("warm_ms", "")]
        if len(sizes) > 1:
            first, last = results[0]["pages"][name], results[-1]["pages"][name]
            row.append(f"{last['median_ms'] / first['median_ms']:.1f}")
        rows.append(row)
    print_table(f"List pages, {database}, median of {repeat} GETs (ms)", headers, rows)
    now = timezone.now().date()
    print(
        f"({now}; load times: "
        + ", ".join(f"{r['posts']:,}: {r['load_seconds']} s" for r in results)
        + ")"
    )


if __name__ == "__main__":
    main()
