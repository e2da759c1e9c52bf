"""Deadlines on every query to the read replica, so that a hung replica costs a request a
few seconds, never a worker.

The replica's server cancels a statement after DATABASE_REPLICA_STATEMENT_TIMEOUT and
libpq stops connecting after DATABASE_REPLICA_CONNECT_TIMEOUT (both set in settings.py).
A replica that hangs (its processes stopped, a network path that swallows packets while
the kernel still acknowledges them) enforces neither, so this process keeps its own
deadline: every cursor of the replica connection, Django's health check's included,
arms a watchdog thread that shuts the connection's socket down a second after the
statement timeout; the query then fails at once with an OperationalError. Small queries
of our own (health checks, lag, positions) get only the connect timeout.
"""

import functools
import itertools
import os
import socket
import threading
import time
from collections import Counter
from contextlib import contextmanager, suppress
from contextvars import ContextVar

from django.conf import settings
from django.db import OperationalError, connections
from django.db.backends.signals import connection_created

REPLICA = "replica"
DEADLINE_GRACE = 1.0  # seconds past the server's own statement timeout

_deadline: ContextVar[float | None] = ContextVar("msblog_replica_deadline", default=None)


@contextmanager
def deadline(seconds: float):
    """Queries to the replica inside the block fail after ``seconds`` (probes are short)."""
    token = _deadline.set(seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def probe_deadline():
    """Our own small queries (lag, positions, health checks) get as long as a connection."""
    return deadline(settings.DATABASE_REPLICA_CONNECT_TIMEOUT)


def query_deadline() -> float:
    return _deadline.get() or settings.DATABASE_REPLICA_STATEMENT_TIMEOUT + DEADLINE_GRACE


class Watchdog:
    """One thread per process that shuts down the socket of any query past its deadline."""

    POLL = 0.1

    def __init__(self):
        self._lock = threading.Lock()
        self._armed: dict[int, tuple[float, int, int]] = {}
        self._shots: Counter[int] = Counter()  # queries cut short, per thread
        self._tokens = itertools.count()
        self._pid = None

    @contextmanager
    def armed(self, fileno: int, seconds: float):
        token, thread = next(self._tokens), threading.get_ident()
        with self._lock:
            if self._pid != os.getpid():  # first use here (gunicorn forks workers)
                self._pid = os.getpid()
                self._armed.clear()
                threading.Thread(target=self._run, name="replica-deadlines", daemon=True).start()
            self._armed[token] = (time.monotonic() + seconds, fileno, thread)
        try:
            yield
        finally:
            with self._lock:
                self._armed.pop(token, None)

    def shots(self) -> int:
        """How many of this thread's queries were cut short so far."""
        with self._lock:
            return self._shots[threading.get_ident()]

    def _run(self):
        while True:
            time.sleep(self.POLL)
            now = time.monotonic()
            with self._lock:
                for token, (at, fileno, thread) in list(self._armed.items()):
                    if at <= now:
                        del self._armed[token]
                        self._shots[thread] += 1
                        shut_down(fileno)


def shut_down(fileno: int) -> None:
    """Make a blocked read on this socket return: libpq sees the connection closed."""
    try:
        sock = socket.socket(fileno=os.dup(fileno))
    except OSError:
        return
    with sock, suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


watchdog = Watchdog()


@functools.cache
def deadline_cursor():
    """Django's psycopg cursor, each execute under the watchdog (made on first use, so
    processes without PostgreSQL never import its backend)."""
    from django.db.backends.postgresql.base import Cursor

    class DeadlineCursor(Cursor):
        def execute(self, *args, **kwargs):
            with watchdog.armed(self.connection.fileno(), query_deadline()):
                return super().execute(*args, **kwargs)

        def executemany(self, *args, **kwargs):
            with watchdog.armed(self.connection.fileno(), query_deadline()):
                return super().executemany(*args, **kwargs)

    return DeadlineCursor


def use_deadlines(sender, connection, **kwargs):
    # Every cursor of the replica connection, Django's health check's included.
    if connection.alias == REPLICA and connection.vendor == "postgresql":
        connection.connection.cursor_factory = deadline_cursor()


connection_created.connect(use_deadlines, dispatch_uid="msblog.deadlines.use_deadlines")


def open_replica() -> None:
    """This thread's replica connection, health-checked (as Django does once a request)
    and opened under the deadlines. A health check that the watchdog had to cut short
    means a hung replica: fail at once rather than spend the connect timeout too."""
    replica = connections[REPLICA]
    shots = watchdog.shots()
    with probe_deadline():
        replica.close_if_health_check_failed()
        if watchdog.shots() > shots:
            raise OperationalError("the read replica did not answer its health check in time")
        replica.ensure_connection()
