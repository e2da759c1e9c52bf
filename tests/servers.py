"""Real processes for tests: the app under gunicorn, a worker, a private redis-server.

Each runs against the test database (the test must use ``transaction=True`` so that what
it writes is committed and visible to the other process) on a free loopback port, and is
stopped by the test that started it.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
# Settings that the test process may carry but a child must not inherit.
INHERITED_OUT = (
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_HOST",
    "EMAIL_BACKEND",
    "TASKS_BACKEND",
    "DJANGO_ENV",
    "DEBUG",
    "CONN_MAX_AGE",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """DATABASE_URL of the database this test runs on (the test database)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def admin_connection():
    """A second PostgreSQL connection (autocommit) to the test database: to create and drop
    databases, or to terminate the app's backends."""
    import psycopg

    db = connection.settings_dict
    return psycopg.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"] or None,
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        autocommit=True,
    )


def app_env(**extra: str) -> dict[str, str]:
    """Environment of a child Django process on the test database, with DEBUG off."""
    env = {k: v for k, v in os.environ.items() if k not in INHERITED_OUT}
    env.update(
        DJANGO_ENV="development",
        DEBUG="0",
        SECRET_KEY=settings.SECRET_KEY,
        DATABASE_URL=database_url(),
        TASKS_BACKEND="immediate",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def manage(*args: str, env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def wait_until(check, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise TimeoutError(f"{what} did not start within {timeout} s")


class Process:
    """A child process whose output goes to a file, read back by the test."""

    def __init__(self, args: list[str], *, env: dict, log: Path):
        self.log = log
        self._file = log.open("wb")
        self.popen = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=self._file, stderr=subprocess.STDOUT
        )

    def output(self) -> str:
        self._file.flush()
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._file.close()


@contextlib.contextmanager
def gunicorn(
    tmp_path: Path, *, workers: int = 1, threads: int = 1, port: int | None = None, **env: str
):
    """The app under gunicorn (on a free port unless given); yields (base URL, Process)."""
    port = port or free_port()
    args = [
        str(VENV_BIN / "gunicorn"),
        "msblog.wsgi",
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        f"--threads={threads}",
        "--timeout=60",
        "--graceful-timeout=5",
    ]
    process = Process(args, env=app_env(**env), log=tmp_path / f"gunicorn-{port}.log")
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        assert process.popen.poll() is None, process.output()
        try:
            return httpx.get(f"{base}/robots.txt", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(answers, timeout=60, what="gunicorn")
        yield base, process
    finally:
        process.stop()


@contextlib.contextmanager
def redis_server(tmp_path: Path):
    """A private, memory-only redis-server on a free port; yields (URL, Process)."""
    binary = shutil.which("redis-server")
    if binary is None:
        import pytest

        pytest.skip("redis-server is not installed")
    port = free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    args += ["--dir", str(tmp_path)]
    process = Process(args, env=dict(os.environ), log=tmp_path / f"redis-{port}.log")

    def answers() -> bool:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", port)) == 0

    try:
        wait_until(answers, timeout=15, what="redis-server")
        yield f"redis://127.0.0.1:{port}/0", process
    finally:
        process.stop()


def post_comment(http: httpx.Client, base: str, post_path: str, **fields: str) -> httpx.Response:
    """Load a post page and send its comment form as a browser would (cookies, CSRF token,
    signed timestamp, following a refusal back to the form); the server must run with
    COMMENTS_MIN_SUBMIT_SECONDS=0."""
    from bs4 import BeautifulSoup

    page = http.get(base + post_path)
    if page.status_code not in REFUSED_FORM_STATUSES:  # this browser's refused form, again
        page.raise_for_status()
    form = BeautifulSoup(page.text, "html.parser").select_one("#commentform")
    data = {
        field["name"]: field.get("value", "")
        for field in form.select("input[name]")
        if field.get("type") != "checkbox"
    }
    data.update(author_name="Tester", **fields)
    response = http.post(base + form["action"], data=data)
    if response.status_code == 303:  # refused: the form is shown again with the status
        return http.get(base + response.headers["location"])
    return response


REFUSED_FORM_STATUSES = (400, 409, 429)
