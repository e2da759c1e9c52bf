"""The site on a primary and a streaming replica while the replica stops, hangs and lags.

    tests/replica/setup.sh                       # the replica (port 5442), once
    .venv/bin/python benchmarks/replica.py       # 4 workers, 8 readers, 15 s a phase

It creates a fresh database on the primary (--postgres), loads the seed posts, waits for
the replica (--replica-port) to have it, and serves it with gunicorn (--workers) with
DATABASE_REPLICA_URL pointing at the replica. Readers (--readers) then fetch post pages,
lists and feeds without cookies, with page caching off (every page reads the database),
through these phases of --seconds each:

* healthy:  nothing wrong;
* stopped:  the replica's server shut down (pg_ctlcluster stop), started again after;
* hung:     its postmaster and every backend stopped with SIGSTOP, resumed after;
* lagging:  replay paused (pg_wal_replay_pause) while a writer keeps commenting.

For each phase it prints the requests served, their status codes, p50/p99/max latency,
transport errors, and what /healthz said while it lasted. Then, in this process, it
times read-your-writes: a comment posted through the site, then the writer's page
reloaded until it is read from the replica (queries seen on the replica connection),
while the replica's replayed position is polled: it prints when the replica had the
write, and how many reloads after that still went to the primary (the old fixed pin
kept the writer there for 10 s). Once on a quiet site, once under the readers' load.
"""

import argparse
import asyncio
import contextlib
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.load import fresh_database, gunicorn, prepare, server_env, site_paths  # noqa: E402
from tests.replica.cluster import PORT, Replica, lsn  # noqa: E402

STAMP = re.compile(r'name="ts" value="([^"]+)"')
ACTION = re.compile(r'<form action="([^"]+)" method="post" id="commentform"')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--replica-port", type=int, default=PORT)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15, help="length of each phase")
    parser.add_argument("--writes", type=int, default=20, help="read-your-writes samples")
    args = parser.parse_args(argv)
    args.database, args.threads = "postgres", 1
    return args


class Phase:
    def __init__(self, name: str):
        self.name = name
        self.latencies: list[float] = []
        self.statuses: Counter = Counter()
        self.errors: list[str] = []
        self.health: Counter = Counter()

    def row(self, elapsed: float) -> str:
        ms = sorted(t * 1000 for t in self.latencies) or [0.0]
        p50 = statistics.median(ms)
        p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
        statuses = ", ".join(f"{code}: {n}" for code, n in sorted(self.statuses.items()))
        health = ", ".join(f"{state}: {n}" for state, n in sorted(self.health.items()))
        return (
            f"| {self.name} | {len(self.latencies)} ({len(self.latencies) / elapsed:.0f}/s) "
            f"| {statuses} | {len(self.errors)} | {p50:.0f} / {p99:.0f} / {ms[-1]:.0f} "
            f"| {health} |"
        )


async def read(base, paths, until, phase: Phase, rng) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        while time.monotonic() < until:
            path = rng.choice(paths)
            started = time.perf_counter()
            try:
                response = await http.get(path)
            except httpx.HTTPError as exc:
                phase.errors.append(f"{path}: {exc!r}")
                continue
            phase.latencies.append(time.perf_counter() - started)
            phase.statuses[response.status_code] += 1


async def watch_health(base, until, phase: Phase) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        while time.monotonic() < until:
            with contextlib.suppress(httpx.HTTPError, ValueError):
                body = (await http.get("/healthz")).json()
                phase.health[body["checks"].get("database_replica", "?")] += 1
            await asyncio.sleep(0.5)


async def write(base, post_path, until, phase: Phase) -> None:
    """A commenter posting every half second: the primary moves on while replay waits."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        n = 0
        while time.monotonic() < until:
            with contextlib.suppress(httpx.HTTPError, TypeError):
                page = await http.get(post_path)
                data = {"ts": STAMP.search(page.text)[1], "body": f"Lag comment {n}.", "phone": ""}
                data["author_name"] = "Writer"
                csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
                data["csrfmiddlewaretoken"] = csrf
                await http.post(ACTION.search(page.text)[1], data=data)
                n += 1
            await asyncio.sleep(0.5)


def run_phase(name, base, paths, args, *, writer_path=None) -> tuple[Phase, float]:
    phase = Phase(name)
    rng = random.Random(name)
    started = time.monotonic()
    until = started + args.seconds

    async def everything():
        tasks = [
            read(base, paths, until, phase, random.Random(rng.random()))
            for _ in range(args.readers)
        ]
        tasks.append(watch_health(base, until, phase))
        if writer_path:
            tasks.append(write(base, writer_path, until, phase))
        await asyncio.gather(*tasks)

    asyncio.run(everything())
    return phase, time.monotonic() - started


def phases(base: str, replica: Replica, args) -> list[tuple[Phase, float]]:
    posts, others = site_paths(base)
    paths = posts * 2 + others
    results = [run_phase("healthy", base, paths, args)]
    replica.stop()
    try:
        results.append(run_phase("stopped", base, paths, args))
    finally:
        replica.start()
    replica.wait_caught_up()
    run_phase("(recovering)", base, paths, argparse.Namespace(**{**vars(args), "seconds": 5}))
    replica.hang()
    try:
        results.append(run_phase("hung", base, paths, args))
    finally:
        replica.resume()
    replica.wait_caught_up()
    run_phase("(recovering)", base, paths, argparse.Namespace(**{**vars(args), "seconds": 5}))
    replica.pause_replay()
    try:
        results.append(run_phase("lagging", base, paths, args, writer_path=posts[0]))
    finally:
        replica.resume_replay()
    replica.wait_caught_up()
    return results


# --- read-your-writes, in this process ----------------------------------------------------


def read_your_writes(replica: Replica, samples: int) -> dict:
    """Per comment: seconds from its response until the replica had replayed it (polled
    directly before each of the writer's page loads), and how many of the writer's page
    loads after that still went to the primary (0: back on the replica at once)."""
    from django.db import connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from msblog.routers import POSITION_COOKIE
    from posts.models import Post

    post = Post.objects.published().order_by("pk").first()
    url = post.get_absolute_url()
    replayed, late = [], 0
    for n in range(samples):
        client = Client()
        page = client.get(url).content.decode()
        response = client.post(
            ACTION.search(page)[1],
            {"ts": STAMP.search(page)[1], "author_name": "W", "body": f"RYW {n} {time.time()}"},
        )
        written = time.perf_counter()
        assert response.status_code == 302, response.status_code
        position = lsn(client.cookies[POSITION_COOKIE].value.split(":")[0])
        replayed_at = None
        while True:
            if replayed_at is None and replica.replayed() >= position:
                replayed_at = time.perf_counter()
            with CaptureQueriesContext(connections["replica"]) as queries:
                client.get(url)
            if any("pg_last_wal_replay_lsn" not in q["sql"] for q in queries):
                break
            late += replayed_at is not None
        replayed.append((replayed_at or time.perf_counter()) - written)
    return {"replayed": replayed, "late": late}


def under_load(base: str, paths: list[str], args, work):
    """Run ``work()`` here while the readers load the site from another thread."""
    stop = threading.Event()

    def load():
        while not stop.is_set():
            run_phase("load", base, paths, argparse.Namespace(**{**vars(args), "seconds": 2}))

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    try:
        return work()
    finally:
        stop.set()
        thread.join()


def ms_summary(values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    p90 = ms[int(len(ms) * 0.9)]
    return f"median {statistics.median(ms):.0f} ms, p90 {p90:.0f}, max {ms[-1]:.0f}"


def main(argv=None) -> int:
    args = parse_args(argv)
    primary = urlsplit(args.postgres)
    user = primary.username or "postgres"
    replica = Replica(
        primary=(primary.hostname, primary.port or 5432),
        port=args.replica_port,
        user=user,
        password=primary.password,
    )
    if not replica.answers():
        raise SystemExit(f"no replica on port {args.replica_port}: run tests/replica/setup.sh")
    with fresh_database(args) as database_url, tempfile.TemporaryDirectory() as folder:
        name = urlsplit(database_url).path.lstrip("/")
        env = server_env(database_url)
        env.update(
            DATABASE_REPLICA_URL=replica.url(name),
            PAGE_CACHE_SECONDS="0",
            LOG_LEVEL="INFO",
            GUNICORN_TIMEOUT="30",
        )
        prepare(env)
        replica.wait_caught_up()
        os.environ.update(env)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msblog.settings")
        import django

        django.setup()
        log = Path(folder) / "gunicorn.log"
        with gunicorn(env, args, log) as base:
            results = phases(base, replica, args)
            quiet = read_your_writes(replica, args.writes)
            posts, others = site_paths(base)
            loaded = under_load(
                base, posts * 2 + others, args, lambda: read_your_writes(replica, args.writes)
            )
        output = log.read_text(errors="replace")
        from django.db import connections

        connections.close_all()
    print(f"\n{args.workers} gunicorn workers, {args.readers} readers, {args.seconds:g} s a phase")
    print("| phase | requests | statuses | transport errors | p50 / p99 / max ms | /healthz said |")
    print("|---|---|---|---|---|---|")
    for phase, elapsed in results:
        print(phase.row(elapsed))
    counts = defaultdict(int)
    for line in output.splitlines():
        for marker in ("WORKER TIMEOUT", "read replica failed", "read replica is", "Traceback"):
            counts[marker] += marker in line
    print("\nlog lines: " + ", ".join(f"{marker!r}: {n}" for marker, n in counts.items()))
    print(f"\nread-your-writes, {args.writes} comments each, from the comment's response:")
    for name, result in (("quiet site", quiet), ("under load", loaded)):
        print(
            f"  {name}: the replica had replayed it after {ms_summary(result['replayed'])}; "
            f"page loads on the primary after that: {result['late']}"
        )
    failed = any(code >= 500 for phase, _ in results for code in phase.statuses) or any(
        phase.errors for phase, _ in results
    )
    print("OK: every request answered, none with a 5xx" if not failed else "NOT OK")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
