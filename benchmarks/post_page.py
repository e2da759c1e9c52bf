"""The post page with 10 to 10,000 comments like the blog's, against a floor measured in
the same run, on SQLite and PostgreSQL: the whole table from one command.

    .venv/bin/python benchmarks/post_page.py                    # both databases, ~10 min
    .venv/bin/python benchmarks/post_page.py --databases sqlite --sizes 10 1000
    .venv/bin/python benchmarks/post_page.py --postgres postgres://user@host:5432/postgres
    .venv/bin/python benchmarks/post_page.py --profile 10       # + where a cold page's time goes

Each database is measured in a process of its own (Django binds its database at start-up)
in a throwaway database (SQLite: a temporary file; PostgreSQL: a new database on the
server named by --postgres, dropped afterwards). One post per size, tagged like the
others (so it has related posts and neighbours), with a thread like the blog's: about 30%
top-level comments, replies to random earlier comments up to 8 levels deep, lengths drawn
from the captured seed comments (fixtures/seed.json: 104 to 1,685 characters, median 313),
one comment in three in two to four paragraphs, one in six with a link (as the blog's own
shapes, some glued to the next word), one in twenty quoting another with formatting.

Contenders, timed in rounds: each round runs each contender once, in turn, so that a
busy machine slows them alike, and /proc/loadavg is read before every round. Ratios are
medians over the same rounds.

* floor: one raw SQL query in tree order and a string join of escaped fields (no ORM
  objects, no template), served through Django's startproject middleware: the floor the
  shared ruler (../shared/bench/) measures, in this process.
* hello: Django's smallest view through the site's own middleware (the fixed cost).
* whole cold: the post page with the whole thread, nothing cached
  (PAGE_CACHE_SECONDS=0, COMMENTS_PER_PAGE=0).
* paged cold: page 1 of the default paging (50 top-level threads), nothing cached.
* after a change: the whole thread with caching on and the content version bumped just
  before each request: what the first reader after an approval gets, cache writes
  included.
* warm: the whole thread, cached.

Prints one table per database, the targets (cold whole and paged at most 3x the floor at
1,000 and 10,000; cold at 10 at most 6 ms above hello; warm at most 1.2x at every size)
and the load averages, and writes benchmarks/results/post_page.json.
"""

import argparse
import datetime
import json
import os
import random
import statistics
import subprocess
import sys
import time
from html import escape
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
CONTENDERS = ("floor", "hello", "whole cold", "paged cold", "after a change", "warm")
PAGE_CONTENDERS = CONTENDERS[2:]
STARTPROJECT_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROUNDS = {10: 45, 100: 45, 1000: 21, 10000: 11}
LINKS = [
    "http://www.ncbi.nlm.nih.gov/pmc/articles/PMC3593763/",
    "http://multiple-sclerosis-research.blogspot.com/2016/09/researchspeak-ectrims.html",
    "http://www.ema.europa.eu/docs/en_GB/document_library/EPAR/human/003718/WC500150522.pdf",
    "https://clinicaltrials.gov/ct2/show/NCT00530348",
    "http://www.reuters.com/article/roche-idUSLDE62705720100308",
    "www.mstrust.org.uk/a-z/alemtuzumab",
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000, 10000])
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        help="a PostgreSQL server to make the throwaway database on",
    )
    parser.add_argument("--rounds", type=int, default=0, help="rounds per size (default: by size)")
    parser.add_argument("--profile", type=int, default=0, help="size to profile a cold page at")
    parser.add_argument("--worker", default="", help=argparse.SUPPRESS)
    parser.add_argument("--out", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    runs = {}
    for database in [d.strip() for d in args.databases.split(",") if d.strip()]:
        runs[database] = run_worker(database, args)
        print_database(database, runs[database])
    print_targets(runs)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "post_page.json"
    out.write_text(json.dumps(runs, indent=1, default=str) + "\n")
    print(f"\nwrote {out.relative_to(ROOT)}")
    return 0


def run_worker(database: str, args) -> dict:
    env = dict(os.environ, DEBUG="0", DJANGO_SETTINGS_MODULE="benchmarks.serve_settings")
    env.pop("DATABASE_REPLICA_URL", None)
    if database == "postgres":
        env["DATABASE_URL"] = args.postgres
    else:
        env.pop("DATABASE_URL", None)
    out = RESULTS / f".post_page-{database}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, __file__, "--worker", database, "--out", str(out)]
    command += ["--sizes", *map(str, args.sizes), "--rounds", str(args.rounds)]
    command += ["--profile", str(args.profile)]
    subprocess.run(command, env=env, check=True, cwd=ROOT)
    result = json.loads(out.read_text())
    out.unlink()
    return result


# --------------------------------------------------------------------------- the worker


def worker(args) -> int:
    sys.path.insert(0, str(ROOT))
    from benchmarks.common import setup_django, throwaway_database

    setup_django()
    from django.db import connection

    result = {"sizes": [], "loads": []}
    with throwaway_database(f"post_page_{os.getpid()}"):
        result["database"] = describe_database()
        posts = {size: make_post_with_thread(size) for size in args.sizes}
        analyse()
        site, floor = clients()
        for size in args.sizes:
            rounds = args.rounds or ROUNDS.get(size, 11)
            print(f"{connection.vendor} {size:,} comments: {rounds} rounds", file=sys.stderr)
            result["sizes"].append(measure(posts[size], size, rounds, site, floor))
        if args.profile in posts:
            result["profile"] = profile_cold(posts[args.profile])
    Path(args.out).write_text(json.dumps(result, default=str))
    return 0


def describe_database() -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        return f"PostgreSQL {connection.pg_version // 10000}"
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"


def analyse():
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def seed_lengths() -> list[int]:
    fixture = json.loads((ROOT / "fixtures" / "seed.json").read_text())
    return [
        len(item["fields"]["body"])
        for item in fixture
        if item["model"] == "comments.comment" and item["fields"]["body"]
    ]


def comment_body(rng: random.Random, lengths: list[int], words: list[str], index: int) -> str:
    """Text of a length drawn from the seed comments', in one to four paragraphs, with a
    link in one comment in six and formatting in one in twenty."""
    target = rng.choice(lengths)
    paragraphs = rng.choices([1, 2, 3, 4], weights=[67, 20, 9, 4])[0]
    sentences = []
    while sum(map(len, sentences)) < target:
        sentence = " ".join(rng.choice(words) for _ in range(rng.randint(6, 16)))
        sentences.append(sentence.capitalize() + rng.choice([".", ".", "?"]))
    if rng.random() < 1 / 6:
        link = rng.choice(LINKS)
        glue = rng.choice([" ", " ", " ", ""])  # as captured pages glue some to a word
        sentences.insert(rng.randrange(len(sentences) + 1), f"See {link}{glue}I think.")
    if rng.random() < 1 / 20:
        sentences[0] = (
            f"<blockquote>{sentences[0]}</blockquote>\n<strong>Yes</strong>, <em>and</em>"
        )
    step = max(1, len(sentences) // paragraphs)
    chunks = [" ".join(sentences[i : i + step]) for i in range(0, len(sentences), step)]
    return f"[c{index:06d}] " + "\n\n".join(chunks)


def make_post_with_thread(size: int):
    from django.utils import timezone

    from comments.bulk import NewComment, bulk_create_threads
    from tests.factories import WORDS, make_post

    rng = random.Random(1000 + size)
    lengths = seed_lengths()
    start = timezone.now() - datetime.timedelta(days=60)
    post = make_post(
        title=f"A post with {size} comments",
        tags=["MSBlog", "MSResearch"],
        body="<p>" + "Lorem ipsum post body. " * 40 + "</p>",
        published_at=start - datetime.timedelta(hours=size % 97),
    )
    items, depths = [], []
    for index in range(size):
        parent = None
        if index and rng.random() > 0.3:
            candidates = [i for i in range(max(0, index - 200), index) if depths[i] < 8]
            parent = rng.choice(candidates) if candidates else None
        depths.append(0 if parent is None else depths[parent] + 1)
        fields = {
            "author_name": f"Reader {index % 97}",
            "author_email": f"reader{index % 97}@example.org",
            "author_url": "https://example.org/me" if index % 11 == 0 else "",
            "body": comment_body(rng, lengths, WORDS, index),
            "status": "approved",
            "created_at": start + datetime.timedelta(minutes=index, microseconds=index),
        }
        items.append(NewComment(fields=fields, parent=parent))
    bulk_create_threads(post, items)
    return post


FLOOR_SQL = (
    "SELECT id, parent_id, level, author_name, body, created_at FROM comments_comment "
    "WHERE post_id = %s AND status = 'approved' ORDER BY tree_id, lft"
)


def floor_view(request, pk):
    """One raw query and a string join, as the shared ruler's floor."""
    from django.db import connection
    from django.http import HttpResponse
    from django.shortcuts import get_object_or_404

    from posts.models import Post

    post = get_object_or_404(Post, pk=pk)
    with connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL, [post.pk])
        rows = cursor.fetchall()
    out = [f"<!DOCTYPE html><title>{escape(post.title)}</title><h1>{escape(post.title)}</h1>"]
    out.append(f"<div>{escape(post.body)}</div><ul>")
    previous = base = None
    for pk_, _parent, level, name, body, created in rows:
        if previous is None:
            base = level
        elif level > previous:
            out.append('<ul class="children">')
        else:
            out.append("</li>" + "</ul></li>" * (previous - level))
        out.append(
            f'<li id="c{pk_}"><div class="meta"><b>{escape(name)}</b> <time>{created}</time>'
            f'</div><div class="body">{escape(body)}</div>'
        )
        previous = level
    if previous is not None:
        out.append("</li>" + "</ul></li>" * (previous - base))
    out.append("</ul>")
    return HttpResponse("".join(out))


def clients():
    """A client through the site's middleware, and one through startproject's for the
    floor (its middleware chain is built on the first request, under that setting)."""
    from django.test import Client, override_settings
    from django.urls import clear_url_caches, path

    import benchmarks.serve_urls as urls

    urls.urlpatterns.insert(0, path("benchmark/floor/<int:pk>/", floor_view))
    clear_url_caches()
    site = Client()
    floor = Client()
    with override_settings(MIDDLEWARE=STARTPROJECT_MIDDLEWARE):
        floor.get("/benchmark/hello/")
    return site, floor


def measure(post, size: int, rounds: int, site, floor) -> dict:
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from posts.caching import content_changed

    url = post.get_absolute_url()
    per_page = settings.COMMENTS_PER_PAGE
    knobs = {
        "whole cold": {"PAGE_CACHE_SECONDS": 0, "COMMENTS_PER_PAGE": 0},
        "paged cold": {"PAGE_CACHE_SECONDS": 0, "COMMENTS_PER_PAGE": per_page},
        "after a change": {"PAGE_CACHE_SECONDS": 86400, "COMMENTS_PER_PAGE": 0},
        "warm": {"PAGE_CACHE_SECONDS": 86400, "COMMENTS_PER_PAGE": 0},
    }

    def request(name):
        for key, value in knobs.get(name, {}).items():
            setattr(settings, key, value)
        if name == "after a change":
            content_changed()
        client, path = {
            "floor": (floor, f"/benchmark/floor/{post.pk}/"),
            "hello": (site, "/benchmark/hello/"),
        }.get(name, (site, url))
        started = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (name, response.status_code)
        return elapsed, response

    checks = {}
    for name in CONTENDERS:
        cache.clear()
        request(name)
        with CaptureQueriesContext(connection) as queries:
            _, response = request(name)
        shown = response.content.decode().count('class="comment depth-')
        checks[name] = {"queries": len(queries), "bytes": len(response.content), "shown": shown}
    samples = {name: [] for name in CONTENDERS}
    loads = []
    for _ in range(3):  # warm-up
        for name in CONTENDERS:
            request(name)
    for _ in range(rounds):
        loads.append(os.getloadavg()[0])
        for name in CONTENDERS:
            samples[name].append(request(name)[0])
    return {
        "comments": size,
        "rounds": rounds,
        "checks": checks,
        "samples": samples,
        "loads": loads,
    }


def profile_cold(post) -> str:
    import cProfile
    import io
    import pstats

    from django.conf import settings
    from django.test import Client

    settings.PAGE_CACHE_SECONDS, settings.COMMENTS_PER_PAGE = 0, 0
    client, url = Client(), post.get_absolute_url()
    client.get(url)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(50):
        client.get(url)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
    return out.getvalue()


# --------------------------------------------------------------------------- the report


def median(values) -> float:
    return statistics.median(values)


def print_database(database: str, run: dict) -> None:
    loads = [load for size in run["sizes"] for load in size["loads"]]
    print(
        f"\npost page, {run['database']}: median ms (ratio to the floor's median in the "
        f"same rounds; queries). 1-min load {min(loads):.2f}-{max(loads):.2f}"
    )
    header = f"| comments | rounds | {' | '.join(CONTENDERS)} | load 1-min |"
    print(header)
    print("|" + "---:|" * (len(CONTENDERS) + 3))
    for size in run["sizes"]:
        floor = median(size["samples"]["floor"])
        cells = []
        for name in CONTENDERS:
            value = median(size["samples"][name])
            queries = size["checks"][name]["queries"]
            cells.append(
                f"{value:.2f}"
                if name == "floor"
                else f"{value:.2f} ({value / floor:.2f}×) q{queries}"
            )
        load = f"{min(size['loads']):.2f}-{max(size['loads']):.2f}"
        print(f"| {size['comments']:,} | {size['rounds']} | {' | '.join(cells)} | {load} |")
        shown = {
            name: size["checks"][name]["shown"] for name in ("whole cold", "paged cold", "warm")
        }
        if shown["whole cold"] != size["comments"] or shown["warm"] != size["comments"]:
            print(f"  ! comments shown: {shown}")
    if "profile" in run:
        print(f"\ncold page, {run['database']}, cProfile (50 requests):\n{run['profile']}")


def print_targets(runs: dict) -> None:
    print("\ntargets (ratios to the floor's median; ms above hello):")
    print("| database | comments | whole cold ≤3× | paged cold ≤3× | cold − hello ≤6 ms |", end="")
    print(" warm ≤1.2× |")
    print("|---|---:|---|---|---|---|")
    for database, run in runs.items():
        for size in run["sizes"]:
            samples = size["samples"]
            floor, hello = median(samples["floor"]), median(samples["hello"])
            whole, paged = median(samples["whole cold"]), median(samples["paged cold"])
            warm = median(samples["warm"])
            large = size["comments"] >= 1000
            cells = [
                verdict(whole / floor, 3, large, "×"),
                verdict(paged / floor, 3, large, "×"),
                verdict(whole - hello, 6, size["comments"] <= 10, " ms"),
                verdict(warm / floor, 1.2, True, "×"),
            ]
            print(f"| {database} | {size['comments']:,} | {' | '.join(cells)} |")


def verdict(value: float, limit: float, applies: bool, unit: str) -> str:
    text = f"{value:.2f}{unit}"
    if not applies:
        return text
    return f"{text} {'yes' if value <= limit else '**no**'}"


if __name__ == "__main__":
    sys.exit(main())
