"""Load with nothing lost: the site under gunicorn, driven by readers and commenters.

    .venv/bin/python benchmarks/load.py                      # PostgreSQL, 50 readers,
                                                             # 10 commenters, 60 s
    .venv/bin/python benchmarks/load.py --database sqlite --readers 5 --duration 5

It creates a fresh database (PostgreSQL: a new database on --postgres, dropped at the
end; SQLite: a temporary file), migrates it, loads the seed posts, and serves it with
gunicorn on a free loopback port. This process then drives it with bounded concurrency:

* readers fetch post, home, tag and archive pages and feeds, without cookies;
* commenters load a post page and send its form (a new comment or a reply), each with
  its own cookies, so each sees its own comment "awaiting moderation" afterwards.

For the run only, the server gets COMMENTS_MIN_SUBMIT_SECONDS=0 (the signed form
timestamp is still required and checked, only the minimum wait is lifted) and a
COMMENTS_FLOOD_LIMIT of a million (every client shares 127.0.0.1, so one per-IP limit
would throttle them all). Every comment is held for moderation.

It prints requests per second and p50/p95/p99 latency, then checks, and exits non-zero
if any fails: no 5xx; every accepted comment stored exactly once and nothing stored that
was not accepted; a valid comment tree (django-mptt's rebuild changes nothing); no page a
reader got shows a pending comment (each has a unique token); each commenter saw its own.
"""

import argparse
import asyncio
import contextlib
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TOKEN = re.compile(r"pending-([0-9a-f]{32})")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
STAMP = re.compile(r'name="ts" value="([^"]+)"')
ACTION = re.compile(r'<form action="([^"]+)" method="post" id="commentform"')
REPLY_TO = re.compile(r"replytocom=(\d+)")
COMMENT_ID = re.compile(r"#comment-(\d+)$")


@dataclass
class Results:
    latencies: dict = field(default_factory=lambda: defaultdict(list))  # kind -> seconds
    statuses: dict = field(default_factory=lambda: defaultdict(int))  # status -> count
    errors: list = field(default_factory=list)  # transport errors and timeouts
    accepted: dict = field(default_factory=dict)  # comment id -> token
    refused: int = 0
    pending_tokens: set = field(default_factory=set)  # every token a commenter sent
    reader_pages: int = 0
    leaks: list = field(default_factory=list)  # (path, token) a reader should not see
    own_seen: int = 0

    def record(self, kind: str, started: float, response: httpx.Response) -> None:
        self.latencies[kind].append(time.perf_counter() - started)
        self.statuses[response.status_code] += 1


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument(
        "--postgres",
        default="postgres://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL database to connect to while creating and dropping the run's own",
    )
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--commenters", type=int, default=10)
    parser.add_argument("--duration", type=float, default=60, help="seconds of load")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    return parser.parse_args(argv)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def fresh_database(args):
    """A new, empty database for this run; yields its DATABASE_URL and drops it after."""
    if args.database == "sqlite":
        with tempfile.TemporaryDirectory(prefix="msblog-load-") as folder:
            yield f"sqlite:///{folder}/load.sqlite3"
        return
    import psycopg

    name = f"msblog_load_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.postgres, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlsplit(args.postgres)._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(args.postgres, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_env(database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "EMAIL_HOST")}
    env.update(
        DJANGO_ENV="development",
        DEBUG="0",
        DATABASE_URL=database_url,
        CONN_MAX_AGE="60",
        TASKS_BACKEND="immediate",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LOG_LEVEL="WARNING",
        COMMENTS_MIN_SUBMIT_SECONDS="0",
        COMMENTS_FLOOD_LIMIT="1000000",
    )
    return env


def prepare(env: dict) -> None:
    for command in (["migrate", "--noinput", "-v0"], ["loaddata", "fixtures/seed.json", "-v0"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True)


@contextlib.contextmanager
def gunicorn(env: dict, args, log_path: Path):
    port = free_port()
    command = [str(BIN / "gunicorn"), "msblog.wsgi", f"--bind=127.0.0.1:{port}"]
    command += [f"--workers={args.workers}", f"--threads={args.threads}", "--timeout=60"]
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 180  # a busy machine starts slowly
            while True:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"gunicorn did not start:\n{log_path.read_text()}")
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(f"{base}/robots.txt", timeout=2).status_code == 200:
                        break
                time.sleep(0.2)
            yield base
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()


def site_paths(base: str) -> tuple[list[str], list[str]]:
    """(post pages, other pages) from the sitemap, plus the feeds."""
    sitemap = httpx.get(f"{base}/sitemap.xml", timeout=30).text
    paths = [urlsplit(loc).path for loc in re.findall(r"<loc>([^<]+)</loc>", sitemap)]
    posts = [p for p in paths if re.match(r"^/\d{4}/\d\d/\d\d/", p)]
    others = [p for p in paths if p not in posts] + ["/feed/", "/comments/feed/"]
    return posts, others


async def reader(base, posts, others, until, results: Results, rng) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        while time.monotonic() < until:
            path = rng.choice(posts) if rng.random() < 0.7 else rng.choice(others)
            started = time.perf_counter()
            try:
                response = await http.get(path)
            except httpx.HTTPError as exc:
                results.errors.append(f"GET {path}: {exc!r}")
                continue
            results.record("read", started, response)
            results.reader_pages += 1
            for token in TOKEN.findall(response.text):
                results.leaks.append((path, token))


async def commenter(number, base, posts, until, results: Results, rng) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        while time.monotonic() < until:
            path = rng.choice(posts)
            try:
                started = time.perf_counter()
                page = await http.get(path)
                results.record("comment page", started, page)
                parents = REPLY_TO.findall(page.text)
                token = uuid.uuid4().hex
                data = {
                    "csrfmiddlewaretoken": CSRF.search(page.text)[1],
                    "ts": STAMP.search(page.text)[1],
                    "author_name": f"Load commenter {number}",
                    "body": f"Load test comment pending-{token}.",
                    "parent": rng.choice(parents) if parents and rng.random() < 0.5 else "",
                    "phone": "",
                }
                results.pending_tokens.add(token)
                started = time.perf_counter()
                posted = await http.post(ACTION.search(page.text)[1], data=data)
                results.record("post comment", started, posted)
            except httpx.HTTPError as exc:
                results.errors.append(f"comment on {path}: {exc!r}")
                continue
            if posted.status_code != 302:
                results.refused += 1
                continue
            results.accepted[int(COMMENT_ID.search(posted.headers["location"])[1])] = token
            started = time.perf_counter()
            own = await http.get(posted.headers["location"])
            results.record("own comment", started, own)
            results.own_seen += token in own.text


async def drive(base: str, args, results: Results) -> float:
    posts, others = site_paths(base)
    rng = random.Random(1)
    started = time.monotonic()
    until = started + args.duration
    tasks = [
        reader(base, posts, others, until, results, random.Random(rng.random()))
        for _ in range(args.readers)
    ]
    tasks += [
        commenter(n, base, posts, until, results, random.Random(rng.random()))
        for n in range(args.commenters)
    ]
    await asyncio.gather(*tasks)
    return time.monotonic() - started


def verify(database_url: str, results: Results) -> dict:
    """What the database holds after the run, read through the app's own models."""
    os.environ.update(DATABASE_URL=database_url, DJANGO_ENV="development")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msblog.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from comments.models import Comment

    stored = defaultdict(list)
    for pk, body in Comment.objects.filter(body__contains="pending-").values_list("pk", "body"):
        stored[TOKEN.search(body)[1]].append(pk)
    accepted_ok = sum(stored.get(token) == [pk] for pk, token in results.accepted.items())
    unconfirmed = set(stored) - set(results.accepted.values())

    def tree():
        return list(Comment.objects.order_by("pk").values_list("tree_id", "lft", "rght", "level"))

    before = tree()
    Comment.objects.rebuild()
    return {
        "stored": sum(len(pks) for pks in stored.values()),
        "accepted and stored once": accepted_ok,
        "duplicates": sum(len(pks) > 1 for pks in stored.values()),
        "stored but not confirmed": len(unconfirmed),
        "still pending": Comment.objects.filter(
            body__contains="pending-", status=Comment.Status.PENDING
        ).count(),
        "tree valid": tree() == before,
    }


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else 0


def report(args, elapsed: float, results: Results, checks: dict) -> list[str]:
    everything = [t for values in results.latencies.values() for t in values]
    fivexx = sum(n for status, n in results.statuses.items() if status >= 500)
    print(f"{args.database}: {args.readers} readers, {args.commenters} commenters, {elapsed:.1f} s")
    print(f"requests: {len(everything)} ({len(everything) / elapsed:.1f}/s)")
    print(f"{'kind':<14} {'count':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for kind, values in [("all", everything), *sorted(results.latencies.items())]:
        cells = [percentile(values, p) * 1000 for p in (50, 95, 99)]
        print(f"{kind:<14} {len(values):>7} " + " ".join(f"{c:>8.1f}" for c in cells))
    print(f"statuses: {dict(sorted(results.statuses.items()))}")
    print(f"5xx: {fivexx}; transport errors: {len(results.errors)}")
    print(f"comments accepted: {len(results.accepted)}; refused: {results.refused}")
    for name, value in checks.items():
        print(f"{name}: {value}")
    print(f"commenters saw their own pending comment: {results.own_seen}/{len(results.accepted)}")
    print(f"reader pages scanned: {results.reader_pages}; leaks: {len(results.leaks)}")
    failures = []
    if fivexx:
        failures.append(f"{fivexx} responses were 5xx")
    if results.errors:
        failures.append(f"{len(results.errors)} requests failed: {results.errors[:3]}")
    if not results.accepted or results.refused:
        failures.append(f"{len(results.accepted)} comments accepted, {results.refused} refused")
    if checks["accepted and stored once"] != len(results.accepted) or checks["duplicates"]:
        failures.append("an accepted comment is missing or stored twice")
    if checks["stored but not confirmed"] or checks["stored"] != len(results.accepted):
        failures.append("comments stored that no response confirmed")
    if not checks["tree valid"]:
        failures.append("the comment tree differs from a rebuilt one")
    if results.leaks:
        failures.append(f"readers saw pending comments: {results.leaks[:3]}")
    if results.own_seen != len(results.accepted):
        failures.append("a commenter did not see their own pending comment")
    return failures


def main(argv=None) -> int:
    args = parse_args(argv)
    results = Results()
    with fresh_database(args) as database_url, tempfile.TemporaryDirectory() as folder:
        env = server_env(database_url)
        prepare(env)
        with gunicorn(env, args, Path(folder) / "gunicorn.log") as base:
            elapsed = asyncio.run(drive(base, args, results))
        checks = verify(database_url, results)
        from django.db import connections

        connections.close_all()  # so that the run's database can be dropped
    failures = report(args, elapsed, results, checks)
    for failure in failures:
        print(f"FAILED: {failure}")
    print("OK: nothing lost" if not failures else "NOT OK")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
