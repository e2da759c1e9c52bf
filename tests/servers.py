"""Real processes for tests: the app under gunicorn, a worker, a private redis-server,
a local SMTP server.

Each runs against the test database (the test must use ``transaction=True`` so that what
it writes is committed and visible to the other process) on a free loopback port, and is
stopped by the test that started it. Every wait for one of them polls until a generous
deadline: on a busy machine, starting takes what it takes.
"""

import asyncio
import contextlib
import email
import email.policy
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
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
    "DATABASE_REPLICA_URL",
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
    """Poll ``check`` until it is true; a busy machine gets the whole ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise TimeoutError(f"{what}: not within {timeout} s")


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
                self.popen.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._file.close()


STARTUP_SECONDS = 180  # a loaded machine may take this long to start a server


@contextlib.contextmanager
def gunicorn(tmp_path: Path, *, workers: int = 1, threads: int = 1, timeout: int = 60, **env: str):
    """The app under gunicorn on a free port; yields (base URL, Process). ``timeout`` is
    gunicorn's: a request running longer has its worker killed."""
    process, base = start_listening(
        lambda port: [
            str(VENV_BIN / "gunicorn"),
            "msblog.wsgi",
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            f"--threads={threads}",
            f"--timeout={timeout}",
            "--graceful-timeout=5",
        ],
        env=app_env(**env),
        log=lambda port: tmp_path / f"gunicorn-{port}.log",
        ready=lambda base: httpx.get(f"{base}/robots.txt", timeout=10).status_code == 200,
        what="gunicorn",
    )
    try:
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

    def answers(base: str) -> bool:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", int(base.rsplit(":", 1)[1]))) == 0

    process, base = start_listening(
        lambda port: [
            *[binary, "--port", str(port), "--bind", "127.0.0.1"],
            *["--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        ],
        env=dict(os.environ),
        log=lambda port: tmp_path / f"redis-{port}.log",
        ready=answers,
        what="redis-server",
    )
    try:
        yield f"redis://{base.removeprefix('http://')}/0", process
    finally:
        process.stop()


def start_listening(args, *, env: dict, log, ready, what: str) -> tuple[Process, str]:
    """Start a server on a free port and wait until ``ready(base)``; if another process
    took the port in the meantime (the server exits at once), start it on another."""
    for _ in range(5):
        port = free_port()
        process, base = Process(args(port), env=env, log=log(port)), f"http://127.0.0.1:{port}"

        def answers(process=process, base=base) -> bool:
            if process.popen.poll() is not None:
                return True  # exited: no point waiting
            try:
                return ready(base)
            except (httpx.TransportError, OSError):
                return False

        wait_until(answers, timeout=STARTUP_SECONDS, what=what)
        if process.popen.poll() is None:
            return process, base
        output = process.output()
        process.stop()
        if "in use" not in output:
            raise RuntimeError(f"{what} exited:\n{output}")
    raise RuntimeError(f"{what}: no free port after 5 tries")


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


def terminate(pids_sql: str, params=()) -> int:
    """pg_terminate_backend from a second connection; waits until the backends are gone."""
    with admin_connection() as admin:
        pids = [row[0] for row in admin.execute(pids_sql, params).fetchall()]
        for pid in pids:
            admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        wait_until(
            lambda: (
                not admin.execute(
                    "SELECT 1 FROM pg_stat_activity WHERE pid = ANY(%s)", [pids]
                ).fetchall()
            ),
            timeout=60,
            what="backend exit",
        )
    return len(pids)


class SmtpSink:
    """aiosmtpd's handler: keeps every message it accepts. ``hold("RCPT")`` makes the next
    session wait at that command (before the message is delivered), ``hold("QUIT")`` after
    it was delivered, until ``release()``; ``holding`` is set while one waits."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.hold_at: str | None = None
        self.holding, self.released = threading.Event(), threading.Event()

    def hold(self, command: str) -> None:
        self.holding.clear()
        self.released.clear()
        self.hold_at = command

    def release(self) -> None:
        self.released.set()

    async def wait_if_held(self, command: str) -> None:
        if self.hold_at == command:
            self.hold_at = None
            self.holding.set()
            while not self.released.is_set():
                await asyncio.sleep(0.05)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        await self.wait_if_held("RCPT")
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    async def handle_QUIT(self, server, session, envelope):
        await self.wait_if_held("QUIT")
        return "221 Bye"

    def bodies(self) -> list[str]:
        return [message.get_content() for message in self.messages]


@contextlib.contextmanager
def smtp_sink():
    """A local SMTP server on a free port; yields (port, SmtpSink)."""
    from aiosmtpd.controller import Controller

    sink, port = SmtpSink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, ready_timeout=120)
    controller.start()
    try:
        yield port, sink
    finally:
        sink.release()
        controller.stop()


@contextlib.contextmanager
def worker(tmp_path: Path, *, name: str = "worker", **env: str):
    """``manage.py worker`` on the database queue; yields its Process, stopped after."""
    args = [sys.executable, "manage.py", "worker", "--interval=0.2", "--no-startup-delay"]
    env = app_env(TASKS_BACKEND="database", PGAPPNAME=f"msblog-{name}", **env)
    process = Process(args, env=env, log=tmp_path / f"{name}.log")
    try:
        yield process
    finally:
        process.stop()
