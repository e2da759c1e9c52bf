"""The faults benchmarks/load.py injects while it runs, and the services they hit.

* the database's connections killed (``pg_terminate_backend`` on every backend of the
  run's database: the app servers' and the worker's);
* the database refusing new connections for a few seconds
  (``ALTER DATABASE … ALLOW_CONNECTIONS false``, existing ones killed too);
* the worker killed (SIGKILL, mid-task or not) and started again, as a supervisor would;
* Redis restarted (stopped and started empty on the same port).

Each fault is timed at a fraction of the run and recorded as a window, so that every 5xx
the clients saw can be put down to a cause (or to none: that is a failure). The database
faults need PostgreSQL; on SQLite only the worker and Redis faults run. The worker sends
to a local SMTP server (aiosmtpd) that keeps every message, so the run can count what
was emailed.
"""

import contextlib
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRACE_SECONDS = 3  # after a fault ends, errors still in flight are put down to it
# A message the mail server accepted this shortly before the worker was killed may have
# been sent by that worker without its send being recorded: it is then sent again, as
# comments.delivery promises (at least once; twice only in that moment).
IN_FLIGHT_SECONDS = 1.0


@dataclass
class Window:
    cause: str
    start: float  # time.monotonic()
    end: float


@dataclass
class Faults:
    """The faults of one run and when they happened."""

    windows: list[Window] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def cause_at(self, moment: float) -> str:
        """The latest fault begun by ``moment`` and not over for long, or "no fault"."""
        for window in sorted(self.windows, key=lambda window: window.start, reverse=True):
            if window.start <= moment <= window.end + GRACE_SECONDS:
                return window.cause
        return "no fault"

    def killed_while_sending(self, accepted_at: float) -> bool:
        """Whether a message accepted at ``accepted_at`` was in flight when the worker died."""
        return any(
            window.cause == "worker killed"
            and window.start - IN_FLIGHT_SECONDS <= accepted_at <= window.start + 0.2
            for window in self.windows
        )

    @contextlib.contextmanager
    def window(self, cause: str):
        start = time.monotonic()
        try:
            yield
        finally:
            self.windows.append(Window(cause, start, time.monotonic()))


class MailSink:
    """A local SMTP server keeping the text of every message it accepts."""

    def __init__(self):
        self.bodies: list[str] = []
        self.accepted_at: list[float] = []  # time.monotonic() of each, in the same order

    async def handle_DATA(self, server, session, envelope):
        self.bodies.append(envelope.content.decode("utf-8", "replace"))
        self.accepted_at.append(time.monotonic())
        return "250 Message accepted for delivery"

    @contextlib.contextmanager
    def serving(self, port: int):
        from aiosmtpd.controller import Controller

        controller = Controller(self, hostname="127.0.0.1", port=port, ready_timeout=120)
        controller.start()
        try:
            yield
        finally:
            controller.stop()


class Child:
    """A process restarted by hand (the worker, redis-server), its output in a log file."""

    def __init__(self, args: list[str], *, env: dict, log: Path):
        self.args, self.env, self.log = args, env, log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()


def redis_server(port: int, folder: Path) -> Child | None:
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
    return Child([*args, "no", "--dir", str(folder)], env={}, log=folder / "redis.log")


def worker(env: dict, folder: Path) -> Child:
    args = [sys.executable, "manage.py", "worker", "--interval=0.2", "--no-startup-delay"]
    return Child(args, env={**env, "PGAPPNAME": "msblog-load-worker"}, log=folder / "worker.log")


def wait_for_port(port: int, deadline_seconds: float = 120) -> None:
    import socket

    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"nothing answered on port {port}")


class Injector:
    """Runs the faults at their moments, in a thread beside the load."""

    def __init__(self, *, duration, admin_url, database, worker, redis, redis_port, faults):
        self.duration, self.admin_url, self.database = duration, admin_url, database
        self.worker, self.redis, self.redis_port, self.faults = worker, redis, redis_port, faults
        self.refuse_seconds = max(1.0, min(4.0, duration * 0.1))
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.error: BaseException | None = None

    def plan(self) -> list[tuple[float, str, object]]:
        steps = [(0.50, "worker killed", self.kill_worker)]
        if self.redis is not None:
            steps.append((0.70, "Redis restarted", self.restart_redis))
        else:
            self.faults.skipped.append("Redis restart (redis-server is not installed)")
        if self.admin_url:
            steps += [
                (0.15, "database connections killed", self.kill_connections),
                (0.30, "database refusing connections", self.refuse_connections),
            ]
        else:
            self.faults.skipped.append("database faults (PostgreSQL only)")
        return sorted(steps, key=lambda step: step[0])

    def start(self) -> None:
        self.started = time.monotonic()
        self.steps = self.plan()
        self.thread.start()

    def join(self) -> None:
        self.thread.join()
        if self.error is not None:
            raise self.error

    def run(self) -> None:
        try:
            for fraction, cause, act in self.steps:
                time.sleep(max(0.0, self.started + fraction * self.duration - time.monotonic()))
                with self.faults.window(cause):
                    act()
        except BaseException as error:
            self.error = error

    def admin(self):
        import psycopg

        return psycopg.connect(self.admin_url, autocommit=True)

    def terminate_backends(self, admin) -> int:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [self.database],
        ).fetchall()
        return len(rows)

    def kill_connections(self) -> None:
        with self.admin() as admin:
            self.terminate_backends(admin)

    def refuse_connections(self) -> None:
        with self.admin() as admin:
            admin.execute(f'ALTER DATABASE "{self.database}" ALLOW_CONNECTIONS false')
            try:
                self.terminate_backends(admin)
                time.sleep(self.refuse_seconds)
            finally:
                admin.execute(f'ALTER DATABASE "{self.database}" ALLOW_CONNECTIONS true')

    def kill_worker(self) -> None:
        self.worker.kill()
        time.sleep(2)
        self.worker.start()

    def restart_redis(self) -> None:
        self.redis.stop()
        time.sleep(1)
        self.redis.start()
        wait_for_port(self.redis_port)
