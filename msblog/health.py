"""GET /healthz: can this app server reach its database(s) and its cache?

200 ``{"status": "ok", "checks": {"database": "ok", "cache": "ok"}}`` when every check
passes. A failed database is 503, ``"status": "unavailable"``: this server cannot serve.
A failed cache is 200, ``"status": "degraded"``: pages and comments work from the
database without Redis (README "Faults"), and a load balancer that dropped every server
at once over a cache outage would turn a slower site into no site. So is a read replica
that is down or further behind than DATABASE_REPLICA_MAX_LAG_SECONDS
(``"checks": {"database_replica": "down"|"lagging"}``): the primary serves its reads.
``"replica"`` gives its lag as this server last measured it (msblog.replica, at most a
second old). ``"failed"`` names what did not pass either way. The
body never carries an error's text (it may name hosts); that goes to the log.

The first middleware answers it, before SecurityMiddleware and host validation: a load
balancer probes each server by its own address over plain HTTP, and must get this answer,
not a redirect to HTTPS or a 400 for a host outside ALLOWED_HOSTS. Nothing else runs
either: no session, cookie, CSRF or CSP, so a probe is cheap. Responses are never cached.
"""

import logging
import uuid

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import JsonResponse
from django.utils.cache import add_never_cache_headers

from msblog.replica import REPLICA
from msblog.replica import health as replica_health

PATH = "/healthz"
logger = logging.getLogger(__name__)


def check_database(alias: str) -> None:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone() != (1,):
            raise RuntimeError(f"SELECT 1 on {alias} did not return 1")


def check_cache() -> None:
    # A round trip, not just "no exception": a cache that swallows errors would pass that.
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=30)
    try:
        if cache.get(key) != "ok":
            raise RuntimeError("the cache did not return a value just stored in it")
    finally:
        cache.delete(key)


def check_name(alias: str) -> str:
    return "database" if alias == DEFAULT_DB_ALIAS else f"database_{alias}"


def run_checks() -> dict[str, bool]:
    checks = {
        check_name(alias): (check_database, alias) for alias in connections if alias != REPLICA
    }
    checks["cache"] = (check_cache,)
    results = {}
    for name, (check, *args) in checks.items():
        try:
            check(*args)
        except Exception:
            logger.exception("health check failed: %s", name)
            results[name] = False
        else:
            results[name] = True
    return results


def health_response() -> JsonResponse:
    results = run_checks()
    failed = [name for name, passed in results.items() if not passed]
    unavailable = any(name != "cache" for name in failed)
    checks = {name: "ok" if passed else "failed" for name, passed in results.items()}
    replica = replica_health.report() if REPLICA in connections else None
    if replica is not None:
        # Down or lagging, the replica only degrades: the primary serves its reads.
        checks[check_name(REPLICA)] = replica.pop("status")
        if checks[check_name(REPLICA)] != "ok":
            failed.append(check_name(REPLICA))
    status = "unavailable" if unavailable else "degraded" if failed else "ok"
    body = {"status": status, "checks": checks}
    if replica is not None:
        body["replica"] = replica
    if failed:
        body["failed"] = failed
    response = JsonResponse(body, status=503 if unavailable else 200)
    add_never_cache_headers(response)
    response["X-Content-Type-Options"] = "nosniff"
    return response


class HealthCheckMiddleware:
    """Answers GET and HEAD /healthz; passes every other request on untouched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == PATH and request.method in ("GET", "HEAD"):
            return health_response()
        return self.get_response(request)
