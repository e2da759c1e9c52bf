"""Load with faults and nothing lost: the site under gunicorn, driven by readers and
commenters while its database, worker and Redis fail.

    .venv/bin/python benchmarks/load.py                      # PostgreSQL, 50 readers,
                                                             # 10 commenters, 60 s
    .venv/bin/python benchmarks/load.py --database sqlite --readers 5 --duration 5
    .venv/bin/python benchmarks/load.py --no-faults          # the same load, no faults

It creates a fresh database (PostgreSQL: a new database on --postgres, dropped at the
end; SQLite: a temporary file), migrates it, loads the seed posts, and serves it as in
production: gunicorn on a free loopback port, a private redis-server for the cache, and
``manage.py worker`` sending the moderators' notices to a local SMTP server. This
process then drives it with bounded concurrency:

* readers fetch post, home, tag and archive pages and feeds, without cookies;
* commenters load a post page and send its form (a new comment or a reply), each with
  its own cookies, so each sees its own comment "awaiting moderation" afterwards. Like a
  reader told "please try again" (503), a commenter sends the same text again a moment
  later; "You've already said that!" then means the first attempt was saved.

Meanwhile (benchmarks/faults.py) the database's connections are killed at 15 % of the
run, it refuses new connections for a few seconds at 30 %, the worker is killed and
restarted at 50 % and Redis restarted at 70 % (the database faults on PostgreSQL only).

For the run only, the server gets COMMENTS_MIN_SUBMIT_SECONDS=0 (the signed form
timestamp is still required and checked, only the minimum wait is lifted) and a
COMMENTS_FLOOD_LIMIT of a million (every client shares 127.0.0.1, so one per-IP limit
would throttle them all). Every comment is held for moderation and notified by email.

It prints requests per second and p50/p95/p99 latency, comments accepted, stored and
emailed, and 5xx by cause, then checks, and exits non-zero if any fails: every 5xx is a
503 with Retry-After during a fault (none outside one, no 500, no transport error);
every accepted comment stored exactly once and nothing stored that no response
confirmed; every stored comment's notice emailed exactly once (or twice, when the mail
server accepted it in the second before the worker was killed: comments.delivery's one
window, counted apart); a valid comment tree
(django-mptt's rebuild changes nothing); no page a reader got shows a pending comment
(each has a unique token); each commenter saw its own.
"""

import argparse
import asyncio
import contextlib
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import faults
import httpx
from load_report import drain, report, setup_django, verify

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TOKEN = re.compile(r"pending-([0-9a-f]{32})")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
STAMP = re.compile(r'name="ts" value="([^"]+)"')
ACTION = re.compile(r'<form action="([^"]+)" method="post" id="commentform"')
REPLY_TO = re.compile(r"replytocom=(\d+)")
COMMENT_ID = re.compile(r"#comment-(\d+)$")
ALREADY_SAID = "already said that"
SERVER_TROUBLE = re.compile(r"CRITICAL|WORKER TIMEOUT|Worker .* (exited|was sent)|Booting worker")
RETRIES = 60  # a commenter told to try again does so each second, for up to a minute


@dataclass
class Results:
    latencies: dict = field(default_factory=lambda: defaultdict(list))  # kind -> seconds
    statuses: dict = field(default_factory=lambda: defaultdict(int))  # status -> count
    errors: list = field(default_factory=list)  # (moment, what): transport errors, timeouts
    failures: list = field(default_factory=list)  # (moment, status, kind, Retry-After)
    accepted: dict = field(default_factory=dict)  # comment id -> token
    saved_earlier: set = field(default_factory=set)  # tokens a retry found already saved
    refused: int = 0
    retried: int = 0  # comment forms sent again after a 503 or a lost answer
    pending_tokens: set = field(default_factory=set)  # every token a commenter sent
    reader_pages: int = 0
    leaks: list = field(default_factory=list)  # (path, token) a reader should not see
    own_seen: int = 0
    server_problems: list = field(default_factory=list)  # gunicorn's log lines about trouble

    def record(self, kind: str, started: float, response: httpx.Response) -> None:
        self.latencies[kind].append(time.perf_counter() - started)
        self.statuses[response.status_code] += 1
        if response.status_code >= 500:
            retry_after = response.headers.get("Retry-After")
            self.failures.append((time.monotonic(), response.status_code, kind, retry_after))


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
    parser.add_argument(
        "--faults",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="kill and refuse database connections, kill the worker, restart Redis",
    )
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


def server_env(database_url: str, *, redis_url: str, mail_port: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "EMAIL_BACKEND")}
    env.update(
        DJANGO_ENV="development",
        DEBUG="0",
        DATABASE_URL=database_url,
        CONN_MAX_AGE="60",
        TASKS_BACKEND="database",
        TASKS_RUNNING_TIMEOUT="5",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(mail_port),
        EMAIL_USE_TLS="0",
        COMMENTS_MODERATOR_EMAILS="moderators@example.org",
        LOG_LEVEL="WARNING",
        COMMENTS_MIN_SUBMIT_SECONDS="0",
        COMMENTS_FLOOD_LIMIT="1000000",
        PGAPPNAME="msblog-load-app",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
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
                results.errors.append((time.monotonic(), f"GET {path}: {exc!r}"))
                continue
            results.record("read", started, response)
            results.reader_pages += 1
            for token in TOKEN.findall(response.text):
                results.leaks.append((path, token))


async def commenter(number, base, posts, until, results: Results, rng) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        while time.monotonic() < until:
            path = rng.choice(posts)
            token = uuid.uuid4().hex
            fields = {
                "author_name": f"Load commenter {number}",
                "body": f"Load test comment pending-{token}.",
                "phone": "",
            }
            results.pending_tokens.add(token)
            posted = await send_comment(http, path, fields, results, rng)
            if posted is None:
                continue
            if posted.status_code != 302:
                if ALREADY_SAID in posted.text:
                    results.saved_earlier.add(token)
                else:
                    results.refused += 1
                continue
            results.accepted[int(COMMENT_ID.search(posted.headers["location"])[1])] = token
            own = await get_until_served(http, posted.headers["location"], "own comment", results)
            results.own_seen += own is not None and token in own.text


async def send_comment(http, path, fields, results: Results, rng) -> httpx.Response | None:
    """Load the post's page and send its form; after a 503 or a lost answer, again with
    the same text a moment later, as a reader would. None if it never got an answer."""
    reply_to = None
    for attempt in range(RETRIES):
        if attempt:
            results.retried += 1
            await asyncio.sleep(1)
        try:
            started = time.perf_counter()
            page = await http.get(path)
            results.record("comment page", started, page)
            if page.status_code != 200:
                continue
            if reply_to is None:
                parents = REPLY_TO.findall(page.text)
                reply_to = rng.choice(parents) if parents and rng.random() < 0.5 else ""
            data = {
                "csrfmiddlewaretoken": CSRF.search(page.text)[1],
                "ts": STAMP.search(page.text)[1],
                "parent": reply_to,
                **fields,
            }
            started = time.perf_counter()
            posted = await http.post(ACTION.search(page.text)[1], data=data)
            results.record("post comment", started, posted)
        except httpx.HTTPError as exc:
            results.errors.append((time.monotonic(), f"comment on {path}: {exc!r}"))
            continue
        if posted.status_code < 500:
            return posted
    return None


async def get_until_served(http, path, kind, results: Results) -> httpx.Response | None:
    for attempt in range(RETRIES):
        if attempt:
            await asyncio.sleep(1)
        started = time.perf_counter()
        try:
            response = await http.get(path)
        except httpx.HTTPError as exc:
            results.errors.append((time.monotonic(), f"GET {path}: {exc!r}"))
            continue
        results.record(kind, started, response)
        if response.status_code < 500:
            return response
    return None


async def drive(base: str, args, results: Results, injector: faults.Injector) -> float:
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
    if args.faults:
        injector.start()
    await asyncio.gather(*tasks)
    if args.faults:
        injector.join()
    return time.monotonic() - started


def main(argv=None) -> int:
    args = parse_args(argv)
    results, injected = Results(), faults.Faults()
    mail, mail_port, redis_port = faults.MailSink(), free_port(), free_port()
    with (
        fresh_database(args) as database_url,
        tempfile.TemporaryDirectory() as folder,
        mail.serving(mail_port),
    ):
        folder = Path(folder)
        redis = faults.redis_server(redis_port, folder)
        redis_url = f"redis://127.0.0.1:{redis_port}/0" if redis else ""
        env = server_env(database_url, redis_url=redis_url, mail_port=mail_port)
        prepare(env)
        worker = faults.worker(env, folder)
        try:
            if redis:
                redis.start()
                faults.wait_for_port(redis_port)
            worker.start()
            with gunicorn(env, args, folder / "gunicorn.log") as base:
                injector = faults.Injector(
                    duration=args.duration,
                    admin_url=args.postgres if args.database == "postgres" else "",
                    database=urlsplit(database_url).path.lstrip("/"),
                    worker=worker,
                    redis=redis,
                    redis_port=redis_port,
                    faults=injected,
                )
                elapsed = asyncio.run(drive(base, args, results, injector))
            log = (folder / "gunicorn.log").read_text(errors="replace").splitlines()
            results.server_problems = [line for line in log if SERVER_TROUBLE.search(line)]
            setup_django(database_url)
            drained = drain(worker)
            checks = verify(results, mail, TOKEN, injected)
            checks["seconds to send what was queued after the load"] = round(drained, 1)
        finally:
            worker.stop()
            if redis:
                redis.stop()
        from django.db import connections

        connections.close_all()  # so that the run's database can be dropped
    failures = report(args, elapsed, results, checks, injected)
    for failure in failures:
        print(f"FAILED: {failure}")
    print("OK: nothing lost" if not failures else "NOT OK")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
