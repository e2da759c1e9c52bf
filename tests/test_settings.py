"""Settings come from the environment; production refuses unsafe or missing values."""

import os
import subprocess
import sys
from pathlib import Path

from django.core.management.utils import get_random_secret_key

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DJANGO_ENV": "production",
    "ALLOWED_HOSTS": "blog.example.org",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
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
    redis = run(
        "print(settings.CACHES['default']['BACKEND'])", REDIS_URL="redis://127.0.0.1:6379/1"
    )
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
