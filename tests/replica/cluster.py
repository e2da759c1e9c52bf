"""The real streaming replica made by tests/replica/setup.sh, driven by the tests and by
benchmarks/replica.py: waited for, replay paused, stopped, hung.

Tests needing it skip when the primary is SQLite or no replica answers on
TEST_REPLICA_PORT (5442), unless REQUIRE_REPLICA is set (CI creates one), when they fail.
"""

import contextlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

PORT = int(os.environ.get("TEST_REPLICA_PORT", "5442"))
WAIT_SECONDS = 90  # the machine is busy: every wait retries until this deadline


class Unavailable(Exception):
    """No replica to use, or no way to control it from here."""


def wait_until(check, *, what: str, timeout: float = WAIT_SECONDS, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout} s")
        time.sleep(interval)


def lsn(text: str | None) -> int:
    if not text:
        return 0
    high, low = text.split("/")
    return (int(high, 16) << 32) + int(low, 16)


class Replica:
    """A replica of the primary at ``primary`` (host, port): same user, same databases."""

    def __init__(self, *, primary: tuple[str, int], port: int, user: str, password=None):
        self.primary = primary
        self.host = os.environ.get("TEST_REPLICA_HOST") or primary[0]
        self.port = port
        self.user = user
        self.password = password or None
        self.hung: list[int] = []

    @classmethod
    def of(cls, settings_dict: dict, port: int = PORT) -> "Replica":
        """The replica of the database in these Django settings; Unavailable if none."""
        primary = (settings_dict["HOST"] or "127.0.0.1", int(settings_dict["PORT"] or 5432))
        user, password = settings_dict["USER"], settings_dict["PASSWORD"]
        replica = cls(primary=primary, port=port, user=user, password=password)
        try:
            in_recovery = replica.query("SELECT pg_is_in_recovery()")[0]
        except Exception as exc:
            raise Unavailable(f"no PostgreSQL answers on {replica.host}:{port} ({exc})") from exc
        if not in_recovery:
            raise Unavailable(f"the server on port {port} is not a replica (not in recovery)")
        return replica

    def url(self, database: str) -> str:
        auth = self.user + (f":{self.password}" if self.password else "")
        return f"postgres://{auth}@{self.host}:{self.port}/{database}"

    # --- queries ------------------------------------------------------------------

    def _connect(self, host: str, port: int):
        import psycopg

        return psycopg.connect(
            host=host,
            port=port,
            user=self.user,
            password=self.password,
            dbname="postgres",
            autocommit=True,
            connect_timeout=5,
        )

    def query(self, sql: str):
        with self._connect(self.host, self.port) as conn:
            return conn.execute(sql).fetchone()

    def primary_query(self, sql: str):
        with self._connect(*self.primary) as conn:
            return conn.execute(sql).fetchone()

    def replayed(self) -> int:
        return lsn(self.query("SELECT pg_last_wal_replay_lsn()::text")[0])

    def primary_position(self) -> int:
        return lsn(self.primary_query("SELECT pg_current_wal_lsn()::text")[0])

    def wait_caught_up(self) -> None:
        """Until the replica has replayed everything the primary had written when asked."""
        target = self.primary_position()
        wait_until(lambda: self.replayed() >= target, what="the replica catching up")

    # --- replay ---------------------------------------------------------------------

    def pause_replay(self) -> None:
        self.query("SELECT pg_wal_replay_pause()")
        wait_until(
            lambda: self.query("SELECT pg_get_wal_replay_pause_state()")[0] == "paused",
            what="replay pausing",
        )

    def resume_replay(self) -> None:
        self.query("SELECT pg_wal_replay_resume()")

    # --- the server's processes -----------------------------------------------------

    def cluster(self) -> tuple[str, str]:
        """(version, name) of the Debian cluster on this port, for pg_ctlcluster."""
        lsclusters = shutil.which("pg_lsclusters")
        if lsclusters is None:
            raise Unavailable("pg_lsclusters (Debian's postgresql-common) is needed")
        lines = subprocess.run(
            [lsclusters, "-h"], capture_output=True, text=True, check=True
        ).stdout.splitlines()
        for line in lines:
            version, name, port, *_ = line.split()
            if int(port) == self.port:
                return version, name
        raise Unavailable(f"no cluster of pg_lsclusters listens on port {self.port}")

    def _ctl(self, action: str) -> None:
        version, name = self.cluster()
        command = [shutil.which("pg_ctlcluster"), "--skip-systemctl-redirect", version, name]
        subprocess.run(
            [*command, action, *(["-m", "fast"] if action == "stop" else [])],
            check=True,
            capture_output=True,
            timeout=WAIT_SECONDS,
        )

    def answers(self) -> bool:
        try:
            return self.query("SELECT pg_is_in_recovery()")[0]
        except Exception:
            return False

    def stop(self) -> None:
        self._ctl("stop")

    def start(self) -> None:
        """Start it if it is down; wait until it answers queries again."""
        if not self.answers():
            self._ctl("start")
            wait_until(self.answers, what="the replica starting", interval=0.5)

    def hang(self) -> None:
        """Stop (SIGSTOP) the replica's postmaster and every process it started: it keeps
        its connections and its port open and answers nothing."""
        # The postmaster's pid file, not our backend's parent: the backend may be gone by
        # the time /proc is read, on a busy machine.
        data_directory = Path(self.query("SHOW data_directory")[0])
        postmaster = int((data_directory / "postmaster.pid").read_text().split()[0])
        try:
            os.kill(postmaster, signal.SIGSTOP)
        except PermissionError as exc:
            raise Unavailable("this user may not signal the replica's processes") from exc
        self.hung = [postmaster, *children_of(postmaster)]
        for pid in self.hung[1:]:
            os.kill(pid, signal.SIGSTOP)

    def resume(self) -> None:
        for pid in self.hung:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        self.hung = []


def parent_of(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def children_of(parent: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if parent_of(int(entry.name)) == parent:
                    children.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return children
