"""Settings come from the environment; production refuses unsafe or missing values."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management.utils import get_random_secret_key

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DJANGO_ENV": "production",
    "ALLOWED_HOSTS": "blog.example.org",
    "REDIS_URL": "redis://127.0.0.1:1/0",  # read, never reached
}


SETUP = (
    "import os, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'msblog.settings'); "
    "django.setup(); from django.conf import settings; "
)
# Variables each test sets itself; the test process's own values must not leak in.
MANAGED = (
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DEBUG",
    "DJANGO_ENV",
    "REDIS_URL",
    "EMAIL_HOST",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


def run(code: str, **env) -> subprocess.CompletedProcess:
    """Load settings in a fresh interpreter with exactly these variables, then run code."""
    clean = {k: v for k, v in os.environ.items() if k not in MANAGED}
    return subprocess.run(
        [sys.executable, "-c", SETUP + code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def manage(*args, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in MANAGED}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_secret_key():
    """DJANGO_ENV=production with no SECRET_KEY stops with a clear message."""
    result = run("print(settings.SECRET_KEY)", **PRODUCTION)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DJANGO_ENV=production" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    """DJANGO_ENV=production with no ALLOWED_HOSTS stops with a clear message."""
    result = run("print(1)", DJANGO_ENV="production", SECRET_KEY=get_random_secret_key())
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr


def test_production_refuses_debug():
    """DEBUG cannot be switched on in production."""
    result = run("print(1)", **PRODUCTION, SECRET_KEY=get_random_secret_key(), DEBUG="1")
    assert "DEBUG must stay off" in result.stderr


def test_wsgi_application_defaults_to_production():
    """An app server importing msblog.wsgi without settings gets production, and refuses."""
    result = subprocess.run(
        [sys.executable, "-c", "import msblog.wsgi"],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DJANGO_ENV")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "SECRET_KEY must be set when DJANGO_ENV=production" in result.stderr


def test_check_deploy_passes_with_production_environment():
    """manage.py check --deploy prints no warning with production variables."""
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **PRODUCTION,
        SECRET_KEY=get_random_secret_key(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_cache_uses_redis_only_when_configured():
    """REDIS_URL switches the cache to Redis; without it the cache is local memory."""
    local = run("print(settings.CACHES['default']['BACKEND'])")
    assert local.stdout.strip() == "django.core.cache.backends.locmem.LocMemCache"
    redis = run("print(settings.CACHES['default']['BACKEND'])", REDIS_URL="redis://127.0.0.1:1/1")
    assert redis.stdout.strip() == "django_redis.cache.RedisCache"


def test_email_goes_to_smtp_when_a_host_is_set():
    """The console email backend is the default; EMAIL_HOST selects SMTP."""
    console = run("print(settings.EMAIL_BACKEND)")
    assert console.stdout.strip().endswith("console.EmailBackend")
    smtp = run(
        "print(settings.EMAIL_BACKEND, settings.EMAIL_PORT)",
        EMAIL_HOST="mail.example.org",
        EMAIL_PORT="2525",
    )
    assert smtp.stdout.strip() == "django.core.mail.backends.smtp.EmailBackend 2525"


def test_development_secret_key_is_generated_not_fixed():
    """Without SECRET_KEY, development uses a random per-checkout key, never a constant."""
    result = run("print(settings.SECRET_KEY)")
    key = result.stdout.strip()
    assert len(key) >= 50
    assert key == (ROOT / ".dev-secret-key").read_text().strip()


def test_production_needs_a_shared_cache():
    """Production without REDIS_URL refuses to start, unless it declares one process."""
    env = {**PRODUCTION, "REDIS_URL": "", "SECRET_KEY": get_random_secret_key()}
    refused = run("print(1)", **env)
    assert "REDIS_URL must be set when DJANGO_ENV=production" in refused.stderr
    single = run("print(settings.CACHES['default']['BACKEND'])", **env, SINGLE_PROCESS="1")
    assert single.stdout.strip() == "django.core.cache.backends.locmem.LocMemCache"


def test_the_app_server_entry_point_refuses_debug():
    """msblog.wsgi, which gunicorn imports (production unless told otherwise), refuses to
    start with DEBUG on, with every other production variable in place."""
    clean = {k: v for k, v in os.environ.items() if k not in MANAGED}
    env = {**clean, **PRODUCTION, "SECRET_KEY": get_random_secret_key(), "DEBUG": "true"}
    del env["DJANGO_ENV"]
    result = subprocess.run(
        [sys.executable, "-c", "import msblog.wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "DEBUG must stay off" in result.stderr


# Every numeric and boolean variable: (name, a value that cannot be read, what it expects).
TYPED_VARIABLES = [
    ("DEBUG", "maybe", "on or off"),
    ("SINGLE_PROCESS", "2", "on or off"),
    ("CONN_MAX_AGE", "1m", "whole number"),
    ("DATABASE_REPLICA_PIN_SECONDS", "ten", "whole number"),
    ("EMAIL_PORT", "smtp", "whole number"),
    ("EMAIL_USE_TLS", "starttls", "on or off"),
    ("EMAIL_TIMEOUT", "10s", "whole number"),
    ("AXES_FAILURE_LIMIT", "five", "whole number"),
    ("AXES_COOLOFF_MINUTES", "0.5h", "whole number"),
    ("SECURE_SSL_REDIRECT", "yes please", "on or off"),
    ("SECURE_HSTS_SECONDS", "", "whole number"),
    ("SECURE_HSTS_SECONDS", "1y", "whole number"),
    ("SECURE_HSTS_INCLUDE_SUBDOMAINS", "all", "on or off"),
    ("SECURE_HSTS_PRELOAD", "-", "on or off"),
    ("BEHIND_TLS_PROXY", "nginx", "on or off"),
    ("POSTS_PER_PAGE", "0", "whole number of at least 1"),
    ("FEED_ITEMS", "twenty", "whole number"),
    ("COMMENTS_HOLD_LINK_COUNT", "-1", "whole number of at least 0"),
    ("COMMENTS_CLOSE_AFTER_DAYS", "14d", "whole number"),
    ("COMMENTS_FLOOD_LIMIT", "5.5", "whole number"),
    ("COMMENTS_FLOOD_WINDOW", "0", "whole number of at least 1"),
    ("COMMENTS_MAX_LENGTH", "", "whole number"),
    ("COMMENTS_REQUIRE_NAME_EMAIL", "required", "on or off"),
    ("COMMENTS_MIN_SUBMIT_SECONDS", "2s", "number"),
    ("COMMENTS_FORM_MAX_AGE", "12h", "whole number"),
    ("COMMENTS_NOTIFY_MODERATORS", "moderators", "on or off"),
    ("COMMENTS_PER_PAGE", "all", "whole number"),
    ("PAGE_CACHE_SECONDS", "1 day", "whole number"),
    ("COMMENTS_MAX_VISUAL_DEPTH", "deep", "whole number"),
]
# Production with mail, so that every branch of settings reads its variables.
EVERY_BRANCH = {**PRODUCTION, "SECRET_KEY": "x" * 50, "EMAIL_HOST": "mail.example.org"}


def settings_error(module: str, env: dict, monkeypatch) -> str:
    """Run a settings file in this process with ``env``; the message it stopped with."""
    import runpy

    for name in MANAGED:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    try:
        runpy.run_path(str(ROOT / module))
    except Exception as error:  # what the operator would see last
        return f"{type(error).__name__}: {error}"
    return "no error"


@pytest.mark.parametrize(("name", "value", "expected"), TYPED_VARIABLES)
def test_a_value_that_cannot_be_read_names_the_variable(monkeypatch, name, value, expected):
    """Each numeric or boolean variable with a bad value stops settings with one line that
    names it, what it expects and what it got, never a bare ValueError."""
    message = settings_error("msblog/settings.py", {**EVERY_BRANCH, name: value}, monkeypatch)
    assert message.startswith(f"ImproperlyConfigured: {name} must be"), message
    assert expected in message and repr(value) in message and "\n" not in message


GUNICORN_VARIABLES = [
    ("WEB_CONCURRENCY", "lots"),
    ("GUNICORN_THREADS", "0"),
    ("GUNICORN_TIMEOUT", "30s"),
    ("GUNICORN_GRACEFUL_TIMEOUT", ""),
    ("GUNICORN_MAX_REQUESTS", "1e3"),
    ("PORT", "http"),
]


@pytest.mark.parametrize(("name", "value"), GUNICORN_VARIABLES)
def test_gunicorn_variables_that_cannot_be_read_name_themselves(monkeypatch, name, value):
    """gunicorn.conf.py reads its numbers the same way, with the same kind of message."""
    message = settings_error("gunicorn.conf.py", {name: value}, monkeypatch)
    assert message.startswith(f"ImproperlyConfigured: {name} must be a whole number"), message


def test_empty_hsts_seconds_is_one_clear_line_at_start_up():
    """The reported case: SECURE_HSTS_SECONDS='' in production stops manage.py with a line
    naming the variable, not a traceback ending in a bare ValueError."""
    result = manage("check", **EVERY_BRANCH, SECURE_HSTS_SECONDS="")
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert "SECURE_HSTS_SECONDS must be a whole number" in last, result.stderr
    assert "ValueError" not in result.stderr
