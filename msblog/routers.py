"""A read replica: reads go to it, writes to the primary, and readers see their own writes.

Setting DATABASE_REPLICA_URL adds a "replica" database and installs PrimaryReplicaRouter
(settings.py); PrimaryAfterWriteMiddleware, always listed, switches itself off without it.

* Every write goes to the primary ("default").
* Reads go to the replica only while serving a GET, HEAD or OPTIONS request, and only
  until that request first writes. Everything else reads from the primary: POST and other
  unsafe requests from start to finish (a form is validated and a comment tree is
  numbered against what is really there), reads inside a transaction on the primary, and
  code outside a request (management commands, imports, the shell, background jobs).
* A response to a request that wrote sets a short-lived cookie; while it lasts
  (DATABASE_REPLICA_PIN_SECONDS, default 10 s, well above normal replication lag) that
  browser reads from the primary, so the page a commenter is redirected to after posting
  shows their comment even if the replica is a moment behind.
"""

from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
PIN_COOKIE = "msblog_primary"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass
class RequestReads:
    primary: bool  # read from the primary for the rest of this request
    wrote: bool = False


# Set by the middleware for the request being served (per thread, per asyncio task).
current_request: ContextVar[RequestReads | None] = ContextVar("msblog_reads", default=None)


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        reads = current_request.get()
        if reads is None or reads.primary or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return REPLICA

    def db_for_write(self, model, **hints):
        reads = current_request.get()
        if reads is not None:
            reads.primary = reads.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same data, whichever copy it was read from

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS  # the replica gets its schema by replication


def router_installed() -> bool:
    return any(
        path == f"{__name__}.{PrimaryReplicaRouter.__name__}"
        or isinstance(path, PrimaryReplicaRouter)
        for path in settings.DATABASE_ROUTERS
    )


class PrimaryAfterWriteMiddleware:
    def __init__(self, get_response):
        if not router_installed():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        reads = RequestReads(
            primary=request.method not in SAFE_METHODS or PIN_COOKIE in request.COOKIES
        )
        token = current_request.set(reads)
        try:
            response = self.get_response(request)
        finally:
            current_request.reset(token)
        if reads.wrote:
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=settings.DATABASE_REPLICA_PIN_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
