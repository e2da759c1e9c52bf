"""A read replica: reads go to it, writes to the primary, and nobody reads stale data that
matters to them.

Setting DATABASE_REPLICA_URL adds a "replica" database and installs PrimaryReplicaRouter
(settings.py); PrimaryAfterWriteMiddleware, always listed, switches itself off without it.

* Every write goes to the primary ("default").
* Reads go to the replica only while serving a GET, HEAD or OPTIONS request, and only
  until that request first writes. Everything else reads from the primary: POST and other
  unsafe requests from start to finish (a form is validated and a comment tree is
  numbered against what is really there), reads inside a transaction on the primary, and
  code outside a request (management commands, imports, the shell, background jobs).
* Whole requests read from the primary when stale data would be wrong for them: anyone
  with a session (only staff sign in: moderators, the admin, the session row itself),
  ``?replytocom=`` links, and views reached by links that name a row (comment permalinks,
  unsubscribe and resubscribe: the ``read_primary`` decorator), since a link in an email
  may name a comment the replica has not replayed yet.
* Read-your-writes by position: a response to a request that wrote carries, in a signed
  cookie, where the primary's WAL ended after its commits. That browser reads from the
  primary until the replica has replayed that far, and from the replica as soon as it has.
  A reader with comments awaiting moderation reads from the replica only when it is known
  to be current for them that way. Where there are no positions (SQLite), the cookie only
  pins the browser to the primary for DATABASE_REPLICA_PIN_SECONDS.
* The replica is read only while msblog.replica finds it up and no further behind than
  DATABASE_REPLICA_MAX_LAG_SECONDS. If a query to it fails mid-request, a request that
  has not written is served again from the primary, as a proxy retries an idempotent GET.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, OperationalError, connections

from comments.pending import COOKIE_NAME as PENDING_COOKIE
from comments.pending import MAX_AGE as PENDING_MAX_AGE
from msblog.replica import REPLICA, health, lsn, lsn_text, primary_position

POSITION_COOKIE = "msblog_wrote"
POSITION_SALT = "msblog.routers.position"
# As long as the pending-comment cookie: its comments stay "known current" on the replica.
POSITION_MAX_AGE = PENDING_MAX_AGE
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
ROW_PARAMETERS = ("replytocom",)  # query parameters naming a row


@dataclass
class RequestReads:
    primary: bool  # read from the primary for the rest of this request
    position: int | None = None  # the browser's last write: the replica must be past it
    replica: bool | None = None  # decided at the first read that may go to the replica
    wrote: bool = False
    replica_failed: bool = False


# Set by the middleware for the request being served (per thread, per asyncio task).
current_request: ContextVar[RequestReads | None] = ContextVar("msblog_reads", default=None)


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        reads = current_request.get()
        if reads is None or reads.primary or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        if reads.replica is None:
            reads.replica = replica_serves(reads.position)
        return REPLICA if reads.replica else DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        reads = current_request.get()
        if reads is not None:
            reads.primary = reads.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same data, whichever copy it was read from

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS  # the replica gets its schema by replication


def replica_serves(position: int | None) -> bool:
    """Whether this request may read from the replica: up, not too far behind, connected,
    and past the browser's last write if it has one."""
    if not (health.readable() and health.connected()):
        return False
    return position is None or health.replayed(position)


def router_installed() -> bool:
    return any(
        path == f"{__name__}.{PrimaryReplicaRouter.__name__}"
        or isinstance(path, PrimaryReplicaRouter)
        for path in settings.DATABASE_ROUTERS
    )


# --- for views and the content version ------------------------------------------------


def read_from_primary() -> None:
    """The rest of this request reads from the primary (what it needs may be newer than
    the replica). Nothing outside a request, or without a replica."""
    reads = current_request.get()
    if reads is not None:
        reads.primary = True


def reading_replica() -> bool:
    """Whether this request's reads so far came from the replica."""
    reads = current_request.get()
    return reads is not None and not reads.primary and bool(reads.replica)


@contextmanager
def writes_not_the_readers():
    """Writes inside are the site's own (a clock-driven bump), not this reader's: they put
    the rest of the request on the primary but set no read-your-writes cookie."""
    reads = current_request.get()
    wrote = reads.wrote if reads is not None else False
    try:
        yield
    finally:
        if reads is not None:
            reads.wrote = wrote


def read_primary(view):
    """For views reached by links that name a row (emails, permalinks): the row may be
    newer than the replica, so they read from the primary."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        read_from_primary()
        return view(request, *args, **kwargs)

    return wrapper


# --- the middleware ---------------------------------------------------------------------


class PrimaryAfterWriteMiddleware:
    def __init__(self, get_response):
        if not router_installed():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        pinned, position = written_position(request)
        primary = pinned or self.needs_primary(request, position)
        reads = RequestReads(primary=primary, position=position)
        response = self.serve(request, reads)
        if reads.replica_failed and not reads.wrote and request.method in SAFE_METHODS:
            reads = RequestReads(primary=True)
            response = self.serve(request, reads)
        if reads.wrote:
            remember_write(response)
        return response

    def serve(self, request, reads: RequestReads):
        token = current_request.set(reads)
        try:
            with connections[REPLICA].execute_wrapper(replica_failure_watch(reads)):
                return self.get_response(request)
        finally:
            current_request.reset(token)

    def needs_primary(self, request, position: int | None) -> bool:
        # A session means staff (readers never get one): moderators, the admin, and the
        # session row itself, which cached_db reads from the database on a cache miss.
        return (
            request.method not in SAFE_METHODS
            or settings.SESSION_COOKIE_NAME in request.COOKIES
            or any(name in request.GET for name in ROW_PARAMETERS)
            or (PENDING_COOKIE in request.COOKIES and position is None)
        )


def replica_failure_watch(reads: RequestReads):
    """An execute wrapper on the replica connection: a query that fails there (lost
    connection, timeout, recovery conflict) marks the replica down and this request for
    serving again from the primary."""

    def watch(execute, sql, params, many, context):
        try:
            return execute(sql, params, many, context)
        except (OperationalError, InterfaceError) as exc:
            if reads.replica:  # a read, not msblog.replica's own probe (it handles those)
                reads.primary = reads.replica_failed = True
                health.failed(exc)
            raise

    return watch


def written_position(request) -> tuple[bool, int | None]:
    """(pinned, position) from the browser's read-your-writes cookie: the WAL position of
    its last write, or a pin where positions are unavailable. A forged or stale-format
    cookie counts as none."""
    value = request.get_signed_cookie(POSITION_COOKIE, default=None, salt=POSITION_SALT)
    if value is None:
        return False, None
    position = lsn(value)
    return position is None, position


def remember_write(response) -> None:
    """Read after the request's commits: the response is sent only after this."""
    try:
        position = primary_position()
    except DatabaseError:
        position = None
    response.set_signed_cookie(
        POSITION_COOKIE,
        lsn_text(position) if position is not None else "",
        salt=POSITION_SALT,
        max_age=POSITION_MAX_AGE if position is not None else settings.DATABASE_REPLICA_PIN_SECONDS,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
