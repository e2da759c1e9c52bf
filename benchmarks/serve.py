"""Requests per second through gunicorn over loopback, driven by wrk.

    .venv/bin/python benchmarks/serve.py [--seconds 10] [--connections 16]

Loads the seed posts into a throwaway database (SQLite by default, PostgreSQL with
DATABASE_URL), collects static files, and starts gunicorn as production runs it
(gunicorn.conf.py, DJANGO_ENV=production, JSON access log) with one extra URL,
/benchmark/hello/: the smallest view Django can serve, through the same middleware
(benchmarks/serve_settings.py). wrk (apt-get install wrk) then loads, for --seconds
each, with --connections open connections: the seed post with the most comments, the
home page, and the hello view. Ratios are against the hello view.

The server runs twice, on Redis (--redis-url, default redis://127.0.0.1:6379/5): once as
production runs it, pages cached (warmed before timing), and once with
PAGE_CACHE_SECONDS=0, every page rendered afresh. Each run has its own hello view, so its
ratios stand on their own. wrk, gunicorn and the database share this machine's cores.
Results go to benchmarks/results/serve-<database>.json.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from common import ROOT, print_table, setup_django, throwaway_database, write_results

setup_django()

from django.core.management import call_command  # noqa: E402
from django.core.management.utils import get_random_secret_key  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.db.models import Count  # noqa: E402

from posts.models import Post  # noqa: E402

HELLO = "/benchmark/hello/"
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, help="gunicorn workers (gunicorn.conf.py)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")

    with throwaway_database("serve") as name, tempfile.TemporaryDirectory() as directory:
        call_command("loaddata", "fixtures/seed.json", verbosity=0)
        post = Post.objects.annotate(n=Count("comments")).order_by("-n").first()
        pages = {
            f"post page ({post.n} comments)": post.get_absolute_url(),
            "home": "/",
            "hello view": HELLO,
        }
        database = connection.vendor
        connections.close_all()
        env = server_env(args, database_url(name), Path(directory))
        collect_static(env)
        runs = {
            "cached": run_server(env, pages, args),
            "uncached": run_server({**env, "PAGE_CACHE_SECONDS": "0"}, pages, args),
        }
    for label, rows in runs.items():
        report(rows, args, database, label)
    write_results(
        "serve",
        {
            "seconds": args.seconds,
            "connections": args.connections,
            "workers": env.get("WEB_CONCURRENCY", "gunicorn.conf.py default"),
            "runs": runs,
        },
    )


def database_url(name: str) -> str:
    if connection.vendor == "sqlite":
        return f"sqlite:///{name}"
    return urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}").geturl()


def server_env(args, url: str, directory: Path) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE", "DEBUG")
    }
    env.update(
        DJANGO_ENV="production",
        DJANGO_SETTINGS_MODULE="benchmarks.serve_settings",
        SECRET_KEY=get_random_secret_key(),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        DATABASE_URL=url,
        STATIC_ROOT=str(directory / "static"),
        GUNICORN_BIND="127.0.0.1:0",
    )
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    env["REDIS_URL"] = args.redis_url  # production needs a shared cache
    env["CACHE_KEY_PREFIX"] = f"serve-benchmark-{os.getpid()}"
    return env


def collect_static(env):
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )


def run_server(env, pages, args) -> list[dict]:
    with tempfile.NamedTemporaryFile("w+", suffix=".log") as log:
        server = subprocess.Popen(
            [GUNICORN, "-c", "gunicorn.conf.py", "msblog.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            port = wait_for_port(log.name, server)
            base = f"http://127.0.0.1:{port}"
            rows = []
            for name, path in pages.items():
                warm(base + path)
                result = wrk(base + path, seconds=1, connections=args.connections)  # warm-up
                result = wrk(base + path, seconds=args.seconds, connections=args.connections)
                rows.append({"page": name, "path": path, **result})
                print(f"{name}: {result['requests_per_second']:.0f} requests/s", flush=True)
            return rows
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)


def wait_for_port(log_path: str, server) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = Path(log_path).read_text()
        match = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", text)
        if match and text.count("Booting worker") >= 1:
            time.sleep(1)  # let the other workers boot
            return int(match[1])
        if server.poll() is not None:
            break
        time.sleep(0.2)
    sys.exit(f"gunicorn did not start:\n{Path(log_path).read_text()}")


def warm(url: str) -> None:
    for _ in range(3):
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 -- loopback
            assert response.status == 200, (url, response.status)


def wrk(url: str, *, seconds: int, connections: int) -> dict:
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return {
        "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]),
        "latency_p50_ms": latency(output, "50%"),
        "latency_p99_ms": latency(output, "99%"),
        "non_2xx": int(errors[1]) if errors else 0,
        "socket_errors": socket_errors[1] if socket_errors else "",
    }


def latency(output: str, percentile: str) -> float:
    value, unit = re.search(rf"^\s+{percentile}\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
    return round(float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit], 2)


def report(rows, args, database, label: str):
    hello = next(r for r in rows if r["path"] == HELLO)["requests_per_second"]
    cores = os.cpu_count()
    title = (
        f"gunicorn, {database}, pages {label}, "
        f"wrk {args.connections} connections x {args.seconds} s, {cores} cores"
    )
    print_table(
        title,
        ["page", "requests/s", "per core", "p50 ms", "p99 ms", "vs hello", "errors"],
        [
            [
                r["page"],
                r["requests_per_second"],
                r["requests_per_second"] / cores,
                r["latency_p50_ms"],
                r["latency_p99_ms"],
                f"{r['requests_per_second'] / hello:.2f}",
                r["non_2xx"],
            ]
            for r in rows
        ],
    )


if __name__ == "__main__":
    main()
