"""Comment writes: throughput with concurrent writers, and what one reply costs.

    .venv/bin/python benchmarks/writes.py [--writers 1 4 8] [--seconds 5] [--repeat 30]

Every comment goes through comments.services.comment_create, as the public form does
(validation, duplicate check, moderation, the tree lock, the MPTT insert, the audit
event, the after-commit notification), with COMMENTS_MODERATION=none so replies to new
comments are possible. In a throwaway database: SQLite by default, PostgreSQL with
DATABASE_URL (the one to read: SQLite takes one write lock for the whole database).

1. Throughput: 1, 4 and 8 writer processes post for a few seconds to 50 posts, half new
   threads, half replies to a random comment of the post.
2. One reply in a discussion of 10 and of 10,000 comments (realistic: about 30% start a
   thread), and in one single thread (one tree) of 10 and of 10,000 comments.
3. One reply into a small thread on a post with 0, 1,000 and 10,000 other threads.

Results go to benchmarks/results/writes-<database>.json.
"""

import argparse
import multiprocessing
import random
import time

from common import median, print_table, setup_django, throwaway_database, write_results

setup_django(
    COMMENTS_MODERATION="none",
    EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
)

from django.db import connection, connections  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from comments.bulk import NewComment, bulk_create_threads  # noqa: E402
from comments.models import Comment  # noqa: E402
from comments.services import comment_create  # noqa: E402
from posts.models import Post  # noqa: E402
from tests.factories import make_post, make_thread  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    with throwaway_database("writes"):
        database = connection.vendor
        throughput = measure_throughput(args.writers, args.seconds)
        thread_size = measure_thread_sizes(args.repeat)
        other_threads = measure_other_threads(args.repeat)

    print_table(
        f"Comments posted per second, {database}, {args.seconds:g} s per run",
        ["writers", "comments", "comments/s", "median ms", "p95 ms"],
        [
            [r["writers"], r["comments"], r["per_second"], r["median_ms"], r["p95_ms"]]
            for r in throughput
        ],
    )
    print_table(
        f"One reply, by size of the discussion, {database}, median of {args.repeat}",
        ["discussion", "comments", "trees", "queries", "median ms"],
        [
            [r["shape"], r["comments"], r["trees"], r["queries"], r["median_ms"]]
            for r in thread_size
        ],
    )
    print_table(
        f"One reply into a small thread, by other threads on the post, {database}",
        ["other threads", "comments on post", "queries", "median ms"],
        [[r["other_threads"], r["comments"], r["queries"], r["median_ms"]] for r in other_threads],
    )
    write_results(
        "writes",
        {
            "seconds": args.seconds,
            "repeat": args.repeat,
            "throughput": throughput,
            "reply_by_thread_size": thread_size,
            "reply_by_other_threads": other_threads,
        },
    )


# ----------------------------------------------------------------------------- throughput


def measure_throughput(writer_counts, seconds):
    posts = [make_post() for _ in range(50)]
    for post in posts:
        make_thread(post, 20, seed=post.pk)
    post_ids = [post.pk for post in posts]
    rows = []
    for writers in writer_counts:
        connections.close_all()  # each process opens its own
        context = multiprocessing.get_context("fork")
        results = context.Queue()
        start_at = time.time() + 1
        processes = [
            context.Process(target=writer, args=(n, writers, post_ids, start_at, seconds, results))
            for n in range(writers)
        ]
        for process in processes:
            process.start()
        latencies = []
        for _ in processes:
            latencies += results.get()
        for process in processes:
            process.join()
        rows.append(
            {
                "writers": writers,
                "comments": len(latencies),
                "per_second": round(len(latencies) / seconds, 1),
                "median_ms": round(median(latencies), 1),
                "p95_ms": round(sorted(latencies)[int(len(latencies) * 0.95)], 1),
            }
        )
        print(f"{writers} writers: {rows[-1]['per_second']} comments/s", flush=True)
    return rows


def writer(number, run, post_ids, start_at, seconds, results):
    rng = random.Random(number * 100 + run)
    posts = {post.pk: post for post in Post.objects.filter(pk__in=post_ids)}
    latencies = []
    time.sleep(max(0, start_at - time.time()))
    deadline = start_at + seconds
    count = 0
    while time.time() < deadline:
        post = posts[rng.choice(post_ids)]
        started = time.perf_counter()
        parent = None
        if rng.random() < 0.5:
            parent = (
                Comment.objects.filter(post=post, status=Comment.Status.APPROVED)
                .order_by("?")
                .first()
            )
        comment_create(
            post=post,
            parent=parent,
            body=f"Writer {number} of run {run}, comment {count}.",
            author_name=f"Writer {number}",
            author_email=f"writer{number}@example.org",
            ip_address="192.0.2.1",
        )
        latencies.append((time.perf_counter() - started) * 1000)
        count += 1
    connections.close_all()
    results.put(latencies)  # the parent waits for one list per writer


# ------------------------------------------------------------------------------ one reply


def time_replies(post, parents, repeat, rng):
    """Median ms and queries of ``repeat`` replies, each to a random one of ``parents``."""
    times, queries = [], 0
    for n in range(repeat):
        parent = Comment.objects.get(pk=rng.choice(parents))
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            comment_create(
                post=post,
                parent=parent,
                body=f"Reply {n} to {parent.pk}.",
                author_name="Replier",
                author_email=f"replier{n}@example.org",
            )
            times.append((time.perf_counter() - started) * 1000)
        queries = len(captured)
    return round(median(times), 2), queries


def measure_thread_sizes(repeat):
    rng = random.Random(3)
    rows = []
    for shape, size, top_level_share in (
        ("discussion", 10, 0.3),
        ("discussion", 10_000, 0.3),
        ("one thread", 10, 0.0),
        ("one thread", 10_000, 0.0),
    ):
        post = make_post()
        # One thread: every comment after the first answers an earlier one (no depth cap).
        depth = 8 if top_level_share else size
        comments = make_thread(post, size, top_level_share=top_level_share, max_depth=depth)
        trees = len({comment.tree_id for comment in comments})
        median_ms, queries = time_replies(post, [c.pk for c in comments], repeat, rng)
        rows.append(
            {
                "shape": shape,
                "comments": size,
                "trees": trees,
                "queries": queries,
                "median_ms": median_ms,
            }
        )
        print(f"reply in {shape} of {size:,}: {median_ms} ms", flush=True)
    return rows


def measure_other_threads(repeat):
    rng = random.Random(5)
    rows = []
    for others in (0, 1_000, 10_000):
        post = make_post()
        target = make_thread(post, 3, top_level_share=0.0)  # the thread replied to
        if others:
            make_threads(post, others)
        median_ms, queries = time_replies(post, [c.pk for c in target], repeat, rng)
        rows.append(
            {
                "other_threads": others,
                "comments": Comment.objects.filter(post=post).count(),
                "queries": queries,
                "median_ms": median_ms,
            }
        )
        print(f"reply with {others:,} other threads: {median_ms} ms", flush=True)
    return rows


def make_threads(post, count: int) -> None:
    """``count`` threads of three comments (a comment, a reply, a reply to that)."""
    items = []
    for n in range(count):
        root = len(items)
        for depth in range(3):
            fields = {
                "author_name": f"Reader {n % 97}",
                "body": f"Thread {n}, depth {depth}.",
                "status": Comment.Status.APPROVED,
            }
            items.append(NewComment(fields=fields, parent=None if depth == 0 else root + depth - 1))
    bulk_create_threads(post, items)


if __name__ == "__main__":
    main()
