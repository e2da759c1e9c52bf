"""The production stack as an operator runs it: gunicorn with gunicorn.conf.py, WhiteNoise
serving collected static files, HTTPS behind a proxy, JSON logs on stdout, /healthz."""

import gzip
import http.client
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import brotli
import pytest
from django.core.management.utils import get_random_secret_key

from tests import servers

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
HOST = "blog.example.org"
# The variables these servers get; nothing else leaks in from the test run.
INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH", "VIRTUAL_ENV")


def production_env(**env) -> dict:
    base = {name: os.environ[name] for name in INHERITED if name in os.environ}
    return {
        **base,
        "DJANGO_ENV": "production",
        "SECRET_KEY": get_random_secret_key(),
        "ALLOWED_HOSTS": HOST,
        # Production needs a shared cache; the servers below get a private one.
        "REDIS_URL": "redis://127.0.0.1:1/0",
        **env,
    }


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    """manage.py collectstatic with production storage (hashed, compressed files)."""
    root = tmp_path_factory.mktemp("static")
    db = tmp_path_factory.mktemp("db") / "db.sqlite3"
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=production_env(STATIC_ROOT=str(root), DATABASE_URL=f"sqlite:///{db}"),
        check=True,
        timeout=120,
    )
    return root


class Server:
    """A gunicorn started as `gunicorn -c gunicorn.conf.py msblog.wsgi`, on a free port."""

    def __init__(self, env: dict, log: Path):
        self.log_path = log
        self.log = log.open("w")
        self.process = subprocess.Popen(
            [str(GUNICORN), "-c", "gunicorn.conf.py", "msblog.wsgi"],
            cwd=ROOT,
            env={**env, "GUNICORN_BIND": "127.0.0.1:0", "WEB_CONCURRENCY": "1"},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.port = None

    def wait_until_listening(self, timeout=servers.STARTUP_SECONDS):
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", self.log_path.read_text())
            if match and "Booting worker" in self.log_path.read_text():
                self.port = int(match[1])
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not start:\n{self.log_path.read_text()}")

    def get(self, path, *, host=HOST, headers=None, method="GET"):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        connection.request(method, path, headers={"Host": host, **(headers or {})})
        response = connection.getresponse()
        body = response.read()
        connection.close()
        return response, body

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=120)
        self.log.close()
        return code

    def log_lines(self) -> list[str]:
        return [line for line in self.log_path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def private_redis(tmp_path_factory):
    """A redis-server of this test run's own: no other run's tests can flush it."""
    with servers.redis_server(tmp_path_factory.mktemp("redis")) as (url, _):
        yield url


@pytest.fixture(scope="module")
def production(static_root, tmp_path_factory, private_redis):
    """ "proxied": behind a TLS proxy (BEHIND_TLS_PROXY=1), database and cache fine.
    "exposed": no proxy setting, and neither its database nor its Redis reachable."""
    logs = tmp_path_factory.mktemp("logs")
    db = tmp_path_factory.mktemp("db") / "db.sqlite3"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=production_env(DATABASE_URL=f"sqlite:///{db}"),
        check=True,
        timeout=120,
    )
    started = {
        "proxied": Server(
            production_env(
                STATIC_ROOT=str(static_root),
                DATABASE_URL=f"sqlite:///{db}",
                BEHIND_TLS_PROXY="1",
                REDIS_URL=private_redis,
            ),
            logs / "proxied.log",
        ),
        "exposed": Server(
            production_env(
                STATIC_ROOT=str(static_root),
                DATABASE_URL="sqlite:////nonexistent-directory/db.sqlite3",
                REDIS_URL="redis://127.0.0.1:1/5",
            ),
            logs / "exposed.log",
        ),
    }
    try:
        for server in started.values():
            server.wait_until_listening()
        yield started
    finally:
        for server in started.values():
            if server.process.poll() is None:
                server.stop()


def hashed_css(static_root: Path) -> tuple[str, bytes]:
    manifest = json.loads((static_root / "staticfiles.json").read_text())
    name = manifest["paths"]["css/site.css"]
    assert re.fullmatch(r"css/site\.[0-9a-f]{12}\.css", name)
    return f"/static/{name}", (static_root / "css" / "site.css").read_bytes()


@pytest.mark.parametrize(
    ("accept", "decode"), [("gzip", gzip.decompress), ("br", brotli.decompress)]
)
def test_hashed_css_is_compressed_and_cached_for_a_year(production, static_root, accept, decode):
    """A hashed stylesheet comes compressed (gzip or Brotli) with a long, immutable
    Cache-Control, and decompresses to the original file."""
    path, original = hashed_css(static_root)
    response, body = production["proxied"].get(
        path, headers={"Accept-Encoding": accept, "X-Forwarded-Proto": "https"}
    )
    assert response.status == 200
    assert response.getheader("Content-Encoding") == accept
    assert response.getheader("Content-Type").startswith("text/css")
    cache_control = response.getheader("Cache-Control")
    max_age = int(re.search(r"max-age=(\d+)", cache_control)[1])
    assert max_age >= 365 * 24 * 3600
    assert "immutable" in cache_control and "public" in cache_control
    assert len(body) < len(original)
    assert decode(body) == original


def test_pages_link_the_hashed_static_files(production, static_root):
    """Pages link the hashed names, so after a deploy no browser keeps an old stylesheet."""
    path, _ = hashed_css(static_root)
    response, body = production["proxied"].get("/", headers={"X-Forwarded-Proto": "https"})
    assert response.status == 200
    assert f'href="{path}"'.encode() in body


def test_behind_a_tls_proxy_forwarded_https_is_trusted(production):
    """BEHIND_TLS_PROXY=1: a request the proxy marks https is served, with HSTS; one it
    marks http is redirected to https."""
    secure, _ = production["proxied"].get("/robots.txt", headers={"X-Forwarded-Proto": "https"})
    assert secure.status == 200
    assert "max-age=31536000" in secure.getheader("Strict-Transport-Security")
    plain, _ = production["proxied"].get("/robots.txt", headers={"X-Forwarded-Proto": "http"})
    assert plain.status == 301
    assert plain.getheader("Location") == "https://blog.example.org/robots.txt"


def test_without_the_proxy_setting_a_forwarded_header_is_not_trusted(production):
    """Without BEHIND_TLS_PROXY anyone could send X-Forwarded-Proto: it is ignored, by
    Django and by gunicorn (even from loopback, which gunicorn would trust by default)."""
    response, _ = production["exposed"].get("/robots.txt", headers={"X-Forwarded-Proto": "https"})
    assert response.status == 301
    assert response.getheader("Location") == "https://blog.example.org/robots.txt"


def test_health_over_plain_http_by_ip(production):
    """A load balancer's probe (plain HTTP, the server's IP as host) gets 200 and JSON."""
    response, body = production["proxied"].get("/healthz", host="10.0.3.17")
    assert response.status == 200
    assert json.loads(body)["status"] == "ok"
    assert "no-store" in response.getheader("Cache-Control")


def test_health_names_what_is_down(production):
    """A server whose database and Redis are unreachable answers 503 naming both."""
    response, body = production["exposed"].get("/healthz", host="10.0.3.18")
    assert response.status == 503
    assert sorted(json.loads(body)["failed"]) == ["cache", "database"]


def test_logs_are_json_lines_on_stdout_and_shutdown_is_graceful(production):
    """Every line gunicorn and Django write is a JSON object: access lines carry method,
    path, status and duration, failures their traceback. SIGTERM exits cleanly."""
    production["exposed"].get("/healthz", host="10.0.3.18")
    assert production["exposed"].stop() == 0
    entries = [json.loads(line) for line in production["exposed"].log_lines()]
    access = [e for e in entries if e["logger"] == "gunicorn.access" and e["path"] == "/healthz"]
    assert access
    assert access[-1]["method"] == "GET"
    assert access[-1]["status"] == 503
    assert isinstance(access[-1]["duration_ms"], float)
    failures = [e for e in entries if e["logger"] == "msblog.health"]
    assert {e["message"] for e in failures} >= {
        "health check failed: database",
        "health check failed: cache",
    }
    assert all(e["level"] == "ERROR" and "Traceback" in e["exception"] for e in failures)
    assert any(e["message"].startswith("Shutting down") for e in entries)


def test_gunicorn_settings_come_from_the_environment():
    """Workers default to 2 x CPUs + 1 and follow WEB_CONCURRENCY; the address follows
    GUNICORN_BIND; the access log goes to stdout; timeouts are set."""

    def config(**env):
        result = subprocess.run(
            [str(GUNICORN), "-c", "gunicorn.conf.py", "--print-config", "msblog.wsgi"],
            cwd=ROOT,
            env={**production_env(), **env},
            capture_output=True,
            text=True,
            timeout=60,
        )
        return dict(re.findall(r"^(\w+)\s+= (.*)$", result.stdout, re.MULTILINE))

    default = config()
    assert int(default["workers"]) == 2 * os.cpu_count() + 1
    assert default["bind"] == "['127.0.0.1:8000']"
    assert default["accesslog"] == "-"
    assert int(default["graceful_timeout"]) > 0 and int(default["timeout"]) > 0
    custom = config(WEB_CONCURRENCY="3", GUNICORN_BIND="0.0.0.0:9001")
    assert custom["workers"] == "3"
    assert custom["bind"] == "['0.0.0.0:9001']"


def test_sessions_live_in_shared_stores():
    """Sessions are in the database, read through Redis when REDIS_URL is set: never in a
    file or one process's memory, so any app server can serve any request."""
    from tests.test_settings import run

    code = "print(settings.SESSION_ENGINE)"
    assert run(code).stdout.strip() == "django.contrib.sessions.backends.db"
    with_redis = run(code, REDIS_URL="redis://127.0.0.1:1/5")  # only read, never reached
    assert with_redis.stdout.strip() == "django.contrib.sessions.backends.cached_db"


@pytest.fixture
def redis_cache(settings, tmp_path):
    """Django's Redis cache, as REDIS_URL configures it, on a private redis-server (the
    test flushes it)."""
    with servers.redis_server(tmp_path) as (url, _):
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": url,
                "KEY_PREFIX": "msblog-test",
            }
        }
        settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
        yield


@pytest.mark.django_db
def test_a_redis_flush_signs_no_moderator_out(redis_cache, client):
    """A moderator's session is read from Redis but kept in the database: after Redis
    loses everything (flush, eviction, restart) they are still signed in."""
    from django.core.cache import cache

    from tests.factories import make_staff

    client.force_login(make_staff(superuser=True))
    key = client.cookies["sessionid"].value
    assert cache.get(f"django.contrib.sessions.cached_db{key}") is not None
    cache.clear()
    assert client.get("/admin/").status_code == 200


def test_logs_are_json_in_production_and_text_in_development():
    """LOG_FORMAT defaults to JSON lines in production and readable lines in development;
    both go to stdout."""
    from tests.test_settings import run

    code = "import logging; logging.getLogger('msblog.demo').warning('disk %s', 'full')"
    production = run(code, **production_env())
    entry = json.loads(production.stdout)
    assert (entry["level"], entry["logger"], entry["message"]) == (
        "WARNING",
        "msblog.demo",
        "disk full",
    )
    development = run(code)
    assert development.stdout.strip().endswith("WARNING msblog.demo: disk full")
    assert development.stderr == ""
