"""The read replica as this process last saw it: up or down, how far behind, how far it has
replayed. A cache of facts about the replica, never of data, kept per process;
msblog/routers.py asks it where each read may go. Every query to the replica runs under a
deadline (msblog/deadlines.py), so finding out costs seconds at most.

* **Down.** A replica that refuses, times out or fails a query is marked down (logged
  once) and not read for DATABASE_REPLICA_RETRY_SECONDS, doubling after each failed
  retry up to a minute. Retries run in a background thread: no reader waits on one.
* **Lag.** Measured at most once a second, on the request's own connections: the
  primary's WAL position, then the replica's replayed position and the age of the last
  transaction it replayed. It is caught up if it has replayed what the primary had;
  otherwise behind by at most the age of that transaction, or the time since an earlier
  measurement whose primary position it has passed, whichever is less (an idle primary
  makes the first bound large, not the second). Further behind than
  DATABASE_REPLICA_MAX_LAG_SECONDS it is "lagging" (logged once) and not read until it
  catches up.
* **Positions.** ``primary_position()`` is where the primary's WAL ends; read after a
  commit, a replica that has replayed that far shows the commit.
  ``health.replayed(position)`` tells, asking the replica afresh when the last position
  known falls short.
"""

import logging
import math
import threading
import time
from contextlib import suppress
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from msblog.deadlines import REPLICA, open_replica, probe_deadline

OK, LAGGING, DOWN = "ok", "lagging", "down"
MEASURE_EVERY = 1.0  # seconds a measurement of the lag is trusted
MAX_RETRY_SECONDS = 60.0

logger = logging.getLogger(__name__)

# The replica's WAL position and lag; its own position when it is not a replica (a test
# mirror, or a replica promoted to primary).
MEASURE_SQL = """
SELECT pg_is_in_recovery(),
       (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()
             ELSE pg_current_wal_lsn() END)::text,
       EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8
"""
REPLAYED_SQL = """
SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()
             ELSE pg_current_wal_lsn() END)::text
"""


# --- WAL positions ----------------------------------------------------------------------


def lsn(text: str | None) -> int | None:
    """A pg_lsn ("16/B374D848") as a number; None for anything else."""
    try:
        high, low = text.split("/")
        return (int(high, 16) << 32) + int(low, 16)
    except (AttributeError, ValueError):
        return None


def lsn_text(position: int) -> str:
    return f"{position >> 32:X}/{position & 0xFFFFFFFF:X}"


def primary_position() -> int | None:
    """Where the primary's WAL ends now; None without positions (SQLite). Read after a
    commit, it is past that commit (synchronous_commit, PostgreSQL's default, writes the
    commit out before it returns)."""
    primary = connections[DEFAULT_DB_ALIAS]
    if primary.vendor != "postgresql":
        return None
    with primary.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        return lsn(cursor.fetchone()[0])


# --- health -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    position: int  # the primary's
    at: float  # time.monotonic()


def lag_seconds(
    *, primary: Sample | None, replayed: int, since_replay: float | None, earlier: Sample | None
) -> float:
    """An upper bound of how far behind the primary the replica is (see the docstring)."""
    if primary is not None and replayed >= primary.position:
        return 0.0
    bounds = [since_replay] if since_replay is not None else []
    if earlier is not None and replayed >= earlier.position:
        bounds.append(time.monotonic() - earlier.at)
    return max(0.0, min(bounds, default=math.inf))


def describe(exc: BaseException) -> str:
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first_line}"


class ReplicaHealth:
    """This process's view of the replica; every method is safe from any thread."""

    def __init__(self):
        self._lock = threading.Lock()
        self.generation = 0
        self.reset()

    def reset(self) -> None:
        """Forget everything (a test starting afresh); a measurement still running is
        discarded when it ends."""
        with self._lock:
            self.generation += 1
            self.status: str | None = None  # None: not measured yet
            self.lag: float | None = None
            self.replayed_position: int | None = None
            self.measured_at = -math.inf
            self.sample: Sample | None = None  # the primary's position at the last measurement
            self.busy = False  # a measurement or retry is running
            self.retry_at = 0.0
            self.backoff = 0.0
            self.error = ""

    # --- what the router asks ---

    def readable(self) -> bool:
        """Whether this process may read from the replica now: not down, not too far
        behind. Measures first if the last measurement is stale; while down, starts a
        retry in the background once the back-off has passed."""
        now = time.monotonic()
        with self._lock:
            generation = self.generation
            retry = measure = False
            if self.status == DOWN:
                retry = now >= self.retry_at and not self.busy
            else:
                measure = now - self.measured_at >= MEASURE_EVERY and not self.busy
            self.busy = self.busy or retry or measure
        if retry:
            threading.Thread(target=self._retry, args=(generation,), daemon=True).start()
        elif measure:
            self._measure(generation, retry=False)
        return self.status == OK

    def connected(self) -> bool:
        """Open (or health-check) this thread's replica connection under the deadlines,
        so that a refusing or hung replica is found here, before the request reads."""
        try:
            open_replica()
        except DatabaseError as exc:
            self.failed(exc)
            return False
        return True

    def replayed(self, position: int) -> bool:
        """Whether the replica has replayed the primary's WAL up to ``position``: from the
        last position known if it is far enough, else by asking the replica now."""
        with self._lock:
            known, generation = self.replayed_position, self.generation
        if known is not None and known >= position:
            return True
        try:
            with probe_deadline(), connections[REPLICA].cursor() as cursor:
                cursor.execute(REPLAYED_SQL)
                current = lsn(cursor.fetchone()[0])
        except DatabaseError as exc:
            self.failed(exc)
            return False
        if current is None:
            return False
        with self._lock:
            if generation == self.generation:
                self.replayed_position = max(self.replayed_position or 0, current)
        return current >= position

    def failed(self, exc: BaseException, *, generation: int | None = None, retry=False) -> None:
        """The replica refused, hung or failed: read the primary until a retry succeeds."""
        with self._lock:
            if generation is not None and generation != self.generation:
                return
            previous = self.status
            if retry and self.backoff:
                self.backoff = min(self.backoff * 2, MAX_RETRY_SECONDS)
            elif previous != DOWN or not self.backoff:
                self.backoff = settings.DATABASE_REPLICA_RETRY_SECONDS
            self.status, self.lag, self.busy = DOWN, None, False
            self.retry_at = time.monotonic() + self.backoff
            self.error = describe(exc)
            backoff = self.backoff
        if previous != DOWN:
            logger.warning(
                "read replica failed (%s): reading from the primary, retrying in %g s",
                self.error,
                backoff,
            )

    # --- /healthz ---

    def report(self) -> dict:
        """The replica's state for /healthz: status (ok, lagging, down), lag, limit."""
        with suppress(DatabaseError):  # the primary's failure: /healthz reports it
            self.readable()
        with self._lock:
            status, lag = self.status, self.lag
            retry_in = max(0.0, self.retry_at - time.monotonic())
        report = {
            "status": status or "unknown",
            "lag_seconds": round(lag, 1) if lag is not None and math.isfinite(lag) else None,
            "max_lag_seconds": settings.DATABASE_REPLICA_MAX_LAG_SECONDS,
        }
        if status == DOWN:
            report["retry_in_seconds"] = round(retry_in, 1)
        return report

    # --- measuring ---

    def _retry(self, generation: int) -> None:
        try:
            self._measure(generation, retry=True)
        finally:
            # This thread's own connections, opened for the retry.
            for alias in (REPLICA, DEFAULT_DB_ALIAS):
                connections[alias].close()

    def _measure(self, generation: int, *, retry: bool) -> None:
        replica = connections[REPLICA]
        if replica.vendor != "postgresql":  # a test mirror: the primary itself
            self._record(generation, primary=None, row=(False, None, None))
            return
        try:
            primary = primary_position()
        except DatabaseError:
            primary = None  # the primary's own failure is reported where it is read
        sample = Sample(primary, time.monotonic()) if primary is not None else None
        try:
            open_replica()
            with probe_deadline(), replica.cursor() as cursor:
                cursor.execute(MEASURE_SQL)
                row = cursor.fetchone()
        except DatabaseError as exc:
            self.failed(exc, generation=generation, retry=retry)
            return
        except BaseException:
            with self._lock:
                self.busy = False
            raise
        self._record(generation, primary=sample, row=row)

    def _record(self, generation: int, *, primary: Sample | None, row) -> None:
        in_recovery, replayed_text, since_replay = row
        replayed = lsn(replayed_text)
        with self._lock:
            if generation != self.generation:
                return
            if not in_recovery or replayed is None:
                lag = 0.0 if not in_recovery else math.inf
            else:
                lag = lag_seconds(
                    primary=primary,
                    replayed=replayed,
                    since_replay=since_replay,
                    earlier=self.sample,
                )
            previous = self.status
            self.status = OK if lag <= settings.DATABASE_REPLICA_MAX_LAG_SECONDS else LAGGING
            self.lag, self.busy, self.backoff = lag, False, 0.0
            self.measured_at = time.monotonic()
            if replayed is not None:
                self.replayed_position = max(self.replayed_position or 0, replayed)
            self.sample = primary or self.sample
            status = self.status
        log_transition(previous, status, lag)


def log_transition(previous: str | None, status: str, lag: float) -> None:
    if previous == status or (previous is None and status == OK):
        return
    if status == LAGGING:
        logger.warning(
            "read replica is %s behind, more than DATABASE_REPLICA_MAX_LAG_SECONDS (%g s): "
            "reading from the primary until it catches up",
            "an unknown time" if math.isinf(lag) else f"{lag:.1f} s",
            settings.DATABASE_REPLICA_MAX_LAG_SECONDS,
        )
    else:
        logger.info("read replica is back (%.1f s behind): reading from it again", lag)


health = ReplicaHealth()
