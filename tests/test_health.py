"""/healthz tells a load balancer whether this server reaches its database and cache."""

import logging
import time
from unittest import mock

import pytest
from django.db import OperationalError, connections

from msblog import replica as replica_health

# The check queries every configured database, the test replica included (a second
# connection to the test database: hence transactional tests).
pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

CLOSED_REDIS = "redis://127.0.0.1:1/5"  # nothing listens on port 1


def test_healthy_server_answers_200_with_each_check(client):
    """Database and cache reachable: 200 and a small JSON body naming each check."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache"] == "ok"
    assert "failed" not in body


def test_health_is_never_cached_and_sets_no_cookie(client):
    """No cache (browser, proxy or CDN) may keep an answer; probes get no cookie."""
    response = client.get("/healthz")
    cache_control = response["Cache-Control"]
    for directive in ("no-cache", "no-store", "max-age=0", "private"):
        assert directive in cache_control
    assert not response.cookies


def test_unreachable_cache_is_degraded_not_down(client, settings):
    """Redis down: the site still serves from the database, so 200 "degraded" naming the
    cache (no load balancer drops every server at once), and no error text in the body."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CLOSED_REDIS,
        }
    }
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["failed"] == ["cache"]
    assert body["checks"]["database"] == "ok"
    assert "refused" not in response.content.decode().lower()


def test_unreachable_database_is_503_naming_the_database(client, caplog):
    """Database down: 503 naming it; the error and its traceback go to the log."""
    down = OperationalError("connection to server at 10.0.0.9 refused")
    with (
        mock.patch.object(connections["default"], "cursor", side_effect=down),
        caplog.at_level(logging.ERROR, logger="msblog.health"),
    ):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["database"]
    assert "10.0.0.9" not in response.content.decode()
    record = next(r for r in caplog.records if r.name == "msblog.health")
    assert record.getMessage() == "health check failed: database"
    assert record.exc_info[1] is down


def test_a_cache_that_hides_errors_still_fails_the_check(client):
    """A cache that swallows errors (stores nothing, returns nothing) is not healthy."""
    from django.core.cache import cache

    with mock.patch.object(cache, "get", return_value=None):
        response = client.get("/healthz")
    assert response.json()["status"] == "degraded"
    assert response.json()["failed"] == ["cache"]


def test_probe_by_ip_over_plain_http_is_not_redirected_or_refused(client, settings):
    """In production a load balancer probes http://<server IP>/healthz: it gets the
    answer, while the same request for a page is refused (unknown host) or redirected."""
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["blog.example.org"]
    assert client.get("/healthz", HTTP_HOST="10.0.3.17:8080").status_code == 200
    assert client.head("/healthz", HTTP_HOST="10.0.3.17:8080").status_code == 200
    assert client.get("/", HTTP_HOST="10.0.3.17:8080").status_code == 400
    page = client.get("/", HTTP_HOST="blog.example.org")
    assert page.status_code == 301
    assert page["Location"] == "https://blog.example.org/"


def test_a_replica_down_or_lagging_only_degrades(client, settings, monkeypatch):
    """The primary serves a replica's reads: a replica that is down, or further behind than
    DATABASE_REPLICA_MAX_LAG_SECONDS, makes /healthz 200 "degraded" naming it, with its lag
    and no error text."""
    assert client.get("/healthz").json()["checks"]["database_replica"] == "ok"
    replica_health.health.failed(OperationalError("could not connect to server at 10.0.0.7"))
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["failed"] == ["database_replica"]
    assert body["checks"] == {"database": "ok", "database_replica": "down", "cache": "ok"}
    assert body["replica"]["retry_in_seconds"] > 0
    assert "10.0.0.7" not in response.content.decode()

    replica_health.health.reset()
    monkeypatch.setattr(replica_health, "MEASURE_EVERY", 3600)
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 5
    # Measured: the replica replayed position 0/10 while the primary is far ahead, and
    # its last replayed transaction is 30 s old.
    now = replica_health.Sample(position=10**9, at=time.monotonic())
    replica_health.health._record(
        replica_health.health.generation, primary=now, row=(True, "0/10", 30.0)
    )
    body = client.get("/healthz").json()
    assert body["status"] == "degraded"
    assert body["checks"]["database_replica"] == "lagging"
    assert body["replica"] == {"lag_seconds": 30.0, "max_lag_seconds": 5}
