"""msblog settings: the one place that reads the environment.

DJANGO_ENV selects the profile. ``manage.py`` defaults to "development" (DEBUG on, SQLite,
local-memory cache, console email); ``wsgi.py`` defaults to "production", which refuses to
start without SECRET_KEY and ALLOWED_HOSTS. Every variable is listed in README.md.
"""

import datetime
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

from msblog.env import env_value
from msblog.logs import FORMATS as LOG_FORMATS
from msblog.logs import stdout_logging

BASE_DIR = Path(__file__).resolve().parent.parent

ENVIRONMENT = os.environ.get("DJANGO_ENV", "development")
if ENVIRONMENT not in ("development", "production"):
    raise ImproperlyConfigured(f"DJANGO_ENV must be development or production, not {ENVIRONMENT!r}")
PRODUCTION = ENVIRONMENT == "production"


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when DJANGO_ENV=production")
    return value


def development_secret_key() -> str:
    # A per-checkout random key, kept out of git, so signed cookies survive restarts
    # without any fixed fallback key existing anywhere.
    key_file = BASE_DIR / ".dev-secret-key"
    if not key_file.exists():
        key_file.write_text(get_random_secret_key())
        key_file.chmod(0o600)
    return key_file.read_text().strip()


if PRODUCTION:
    SECRET_KEY = env_required("SECRET_KEY")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        env_required("ALLOWED_HOSTS")
    DEBUG = env_value("DEBUG", False)
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must stay off when DJANGO_ENV=production")
else:
    SECRET_KEY = os.environ.get("SECRET_KEY") or development_secret_key()
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
    DEBUG = env_value("DEBUG", True)

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    "axes",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "mptt",
    "taggit",
    "django_tasks",
    "django_tasks_db",
    "posts",
    "comments",
]

MIDDLEWARE = [
    # First: load balancers probe /healthz by IP over plain HTTP (see msblog/health.py).
    "msblog.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # django-csp's, with the policy header built once (msblog/csp.py).
    "msblog.csp.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Off unless DATABASE_REPLICA_URL installs the replica router (msblog/routers.py).
    "msblog.routers.PrimaryAfterWriteMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Acts only on 404s, turning an old address into a 301 to its post.
    "posts.redirects.OriginalURLFallbackMiddleware",
    # Last, as django-axes requires: it turns locked-out logins into a 429 response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Django's form renderer, drawing its commonest widget and label templates in Python.
FORM_RENDERER = "msblog.forms.FormRenderer"

ROOT_URLCONF = "msblog.urls"
WSGI_APPLICATION = "msblog.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "msblog.context_processors.site",
            ],
        },
    },
]

# Database: DATABASE_URL, or an SQLite file beside manage.py.
CONN_MAX_AGE = env_value("CONN_MAX_AGE", 60, minimum=0)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=CONN_MAX_AGE,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # IMMEDIATE takes SQLite's write lock at BEGIN, so two writers can never
            # interleave a read-then-write of the comment tree.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # A file, not memory, so tests with several connections see real SQLite locking.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / ".test-db.sqlite3")}


# Read replica (optional): GET requests read from it, everything else from the primary;
# msblog/routers.py states the rule, msblog/replica.py how a failing or lagging replica is
# left for the primary. Tests read it from the primary's test database.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
DATABASE_REPLICA_PIN_SECONDS = env_value("DATABASE_REPLICA_PIN_SECONDS", 10, minimum=0)
# libpq waits at least 2 s for a connection, whatever it is told.
DATABASE_REPLICA_CONNECT_TIMEOUT = env_value("DATABASE_REPLICA_CONNECT_TIMEOUT", 2, minimum=2)
DATABASE_REPLICA_STATEMENT_TIMEOUT = env_value(
    "DATABASE_REPLICA_STATEMENT_TIMEOUT", 5.0, minimum=0.1
)
DATABASE_REPLICA_MAX_LAG_SECONDS = env_value("DATABASE_REPLICA_MAX_LAG_SECONDS", 5.0, minimum=0.1)
DATABASE_REPLICA_RETRY_SECONDS = env_value("DATABASE_REPLICA_RETRY_SECONDS", 5.0, minimum=0.1)


def replica_database(url: str, *, connect_timeout: int, statement_timeout: float) -> dict:
    """The replica's DATABASES entry. It must be PostgreSQL (a streaming replica of
    DATABASE_URL); the server cancels any statement running past ``statement_timeout``,
    and no server-side cursors, so every query runs under msblog.replica's deadline."""
    database = dj_database_url.parse(url, conn_max_age=CONN_MAX_AGE, conn_health_checks=True)
    if database["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must be a postgres:// URL")
    options = database.setdefault("OPTIONS", {})
    timeout = f"-c statement_timeout={round(statement_timeout * 1000)}"
    options["options"] = f"{options.get('options', '')} {timeout}".strip()
    options["connect_timeout"] = connect_timeout
    database["DISABLE_SERVER_SIDE_CURSORS"] = True
    database["TEST"] = {"MIRROR": "default"}
    return database


if DATABASE_REPLICA_URL:
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL needs DATABASE_URL on PostgreSQL")
    DATABASES["replica"] = replica_database(
        DATABASE_REPLICA_URL,
        connect_timeout=DATABASE_REPLICA_CONNECT_TIMEOUT,
        statement_timeout=DATABASE_REPLICA_STATEMENT_TIMEOUT,
    )
    DATABASE_ROUTERS = ["msblog.routers.PrimaryReplicaRouter"]

# PostgreSQL: the reads every page makes (msblog/prepared.py) are prepared statements,
# planned once per connection instead of on every request. Everything else keeps
# Django's client-side binding. A connection pooler in transaction mode needs to support
# prepared statements (PgBouncer 1.21+ with max_prepared_statements), or set this off.
DATABASE_PREPARED_STATEMENTS = env_value("DATABASE_PREPARED_STATEMENTS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: Redis when REDIS_URL is set, local memory otherwise. App servers share cached
# pages, content versions and flood counters through it, so production needs Redis
# unless it declares a single process (SINGLE_PROCESS=1), where local memory is safe.
REDIS_URL = os.environ.get("REDIS_URL", "")
SINGLE_PROCESS = env_value("SINGLE_PROCESS", False)
if PRODUCTION and not REDIS_URL and not SINGLE_PROCESS:
    raise ImproperlyConfigured(
        "REDIS_URL must be set when DJANGO_ENV=production: app servers share cached pages "
        "through it (or set SINGLE_PROCESS=1 for a one-process deployment)"
    )


def redis_cache(url: str) -> dict:
    """django-redis rather than Django's own RedisCache, which raises on a lost connection:
    with IGNORE_EXCEPTIONS an unreachable Redis reads as a cache miss (logged), so pages
    and comments keep working from the database."""
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "msblog"),
        "OPTIONS": {
            "IGNORE_EXCEPTIONS": True,
            # A Redis that hangs costs a request at most these, not a worker forever.
            "SOCKET_CONNECT_TIMEOUT": 1,
            "SOCKET_TIMEOUT": 1,
        },
    }


if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL)}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

# Sessions (only staff sign in; readers' pending comments and messages are signed
# cookies). With Redis: read from the cache, written through to the database, so a Redis
# flush, eviction or restart signs nobody out. Without Redis: the database alone, since a
# local-memory cache is per process and would keep a signed-out session alive in the
# other gunicorn workers.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if REDIS_URL
    else "django.contrib.sessions.backends.db"
)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# One language per deployment, not per reader: cached pages are shared by every reader
# and do not vary on Accept-Language (posts/pagecache.py), so no LocaleMiddleware.
# English is the source text; Spanish ships in msblog/locale (README "Translations").
LANGUAGES = [("en-gb", "English"), ("en", "English"), ("es", "Español")]
LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "en-gb").strip().lower()
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured(
        f"LANGUAGE_CODE must be one of {', '.join(dict(LANGUAGES))}, not {LANGUAGE_CODE!r}"
    )
LOCALE_PATHS = [BASE_DIR / "msblog" / "locale"]
# The blog's own date formats per language, before Django's (msblog/formats/).
FORMAT_MODULE_PATH = ["msblog.formats"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
WHITENOISE_AUTOREFRESH = not PRODUCTION
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files browsers ask for at the site's root (/favicon.ico), served there by WhiteNoise.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Email: console in development; SMTP as soon as EMAIL_HOST is set.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_value("EMAIL_PORT", 587, minimum=1)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_value("EMAIL_USE_TLS", True)
    EMAIL_TIMEOUT = env_value("EMAIL_TIMEOUT", 10, minimum=1)
else:
    EMAIL_BACKEND = os.environ.get(
        "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
    )
# Background tasks (the comment emails): "immediate" runs a task at once in the process
# that queues it (zero setup: development, tests); "database" stores it in the database
# for `manage.py db_worker`, so mail leaves the request (the production default).
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "database" if PRODUCTION else "immediate")
TASK_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
if TASKS_BACKEND not in TASK_BACKENDS:
    raise ImproperlyConfigured("TASKS_BACKEND must be immediate or database")
TASKS = {"default": {"BACKEND": TASK_BACKENDS[TASKS_BACKEND]}}
# `manage.py worker` runs again a task still RUNNING this long after it started: its worker
# died. Longer than any task takes (a mail waits at most EMAIL_TIMEOUT per step).
TASKS_RUNNING_TIMEOUT = env_value("TASKS_RUNNING_TIMEOUT", 300, minimum=1)

DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "msblog <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# No inline script anywhere (the reply script is a static file), so script-src is 'self'.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Imported post bodies may show images hosted elsewhere.
        "img-src": [SELF, "https:", "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Failed admin logins: django-axes locks a username from an IP after AXES_FAILURE_LIMIT
# failures, for AXES_COOLOFF_MINUTES.
AXES_FAILURE_LIMIT = env_value("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_value("AXES_COOLOFF_MINUTES", 30, minimum=0))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# Messages ride in a signed cookie: showing one never needs a session or a query.
MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"

# Security. Production turns on everything `check --deploy` asks for.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_value("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_value("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_value("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_value("SECURE_HSTS_PRELOAD", True)
    if env_value("BEHIND_TLS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Everything to stdout: JSON lines in production (one object per record, for a log
# collector), readable lines in development. gunicorn.conf.py uses the same format.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "json" if PRODUCTION else "text")
if LOG_FORMAT not in LOG_FORMATS:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}")
LOGGING = stdout_logging(
    LOG_FORMAT,
    level=os.environ.get("LOG_LEVEL", "INFO"),
    loggers={"django.db.backends": {"level": "INFO"}},
)

# Blog settings (documented in README.md).
SITE_NAME = os.environ.get("SITE_NAME", "Prof G's MS Blog")
SITE_TAGLINE = os.environ.get("SITE_TAGLINE", "Multiple sclerosis research, clinic and debate")
POSTS_PER_PAGE = env_value("POSTS_PER_PAGE", 10, minimum=1)
FEED_ITEMS = env_value("FEED_ITEMS", 20, minimum=1)
TAGGIT_CASE_INSENSITIVE = True

# The email address `manage.py setup_site` gives the admin it creates: moderators' notices
# go to superusers' addresses (or COMMENTS_MODERATOR_EMAILS).
ADMIN_EMAIL = os.environ.get("ADMIN_EMAIL", "").strip()

# The site's origin: every absolute URL (feeds, sitemap, canonical links, emails) is built
# on it, never on the request's Host header (msblog/siteurl.py).
SITE_URL = os.environ.get(
    "SITE_URL", f"https://{ALLOWED_HOSTS[0]}" if PRODUCTION else "http://127.0.0.1:8000"
).rstrip("/")
_site = urlsplit(SITE_URL)
if _site.scheme not in ("http", "https") or not _site.hostname or _site.path or _site.query:
    raise ImproperlyConfigured(
        f"SITE_URL must be the site's origin, like https://blog.example.org, not {SITE_URL!r}"
    )
if _site.hostname.startswith((".", "*")):
    raise ImproperlyConfigured("SITE_URL must be set when ALLOWED_HOSTS starts with a pattern")
if PRODUCTION and _site.scheme == "https":
    SECURE_SSL_HOST = _site.netloc  # the HTTPS redirect goes there, whatever Host said

# Comment moderation policy; README.md "Moderating" describes each setting.
# "all": hold every new comment; "known": publish authors (by email) with an earlier
# approved comment, hold the rest; "none": publish unless a rule below holds it.
COMMENTS_MODERATION = os.environ.get("COMMENTS_MODERATION", "all")
if COMMENTS_MODERATION not in ("all", "known", "none"):
    raise ImproperlyConfigured("COMMENTS_MODERATION must be all, known or none")
COMMENTS_HOLD_LINK_COUNT = env_value("COMMENTS_HOLD_LINK_COUNT", 2, minimum=0)
COMMENTS_MODERATION_WORDS = env_list("COMMENTS_MODERATION_WORDS")
COMMENTS_BLOCK_WORDS = env_list("COMMENTS_BLOCK_WORDS")
COMMENTS_CLOSE_AFTER_DAYS = env_value("COMMENTS_CLOSE_AFTER_DAYS", 0, minimum=0)
COMMENTS_FLOOD_LIMIT = env_value("COMMENTS_FLOOD_LIMIT", 5, minimum=0)
COMMENTS_FLOOD_WINDOW = env_value("COMMENTS_FLOOD_WINDOW", 60, minimum=1)
COMMENTS_MAX_LENGTH = env_value("COMMENTS_MAX_LENGTH", 10000, minimum=1)
COMMENTS_REQUIRE_NAME_EMAIL = env_value("COMMENTS_REQUIRE_NAME_EMAIL", False)
COMMENTS_MIN_SUBMIT_SECONDS = env_value("COMMENTS_MIN_SUBMIT_SECONDS", 2.0, minimum=0)
COMMENTS_FORM_MAX_AGE = env_value("COMMENTS_FORM_MAX_AGE", 12 * 60 * 60, minimum=1)
COMMENTS_NOTIFY_MODERATORS = env_value("COMMENTS_NOTIFY_MODERATORS", True)
COMMENTS_MODERATOR_EMAILS = env_list("COMMENTS_MODERATOR_EMAILS")
# Minutes during which a comment's author may edit or delete it from the same browser
# (0: never).
COMMENTS_EDIT_MINUTES = int(os.environ.get("COMMENTS_EDIT_MINUTES", "15"))
# Long threads are split into pages of this many top-level threads, oldest first
# (0: the whole thread on one page); a thread's replies stay on its page.
COMMENTS_PER_PAGE = env_value("COMMENTS_PER_PAGE", 50, minimum=0)
# How long a cached page or thread is kept; content versions make it never stale.
# 0 turns page and thread caching off (conditional GETs still answer 304).
PAGE_CACHE_SECONDS = env_value("PAGE_CACHE_SECONDS", 24 * 60 * 60, minimum=0)
# Visual nesting stops growing past this depth; deeper replies still nest in the markup.
COMMENTS_MAX_VISUAL_DEPTH = env_value("COMMENTS_MAX_VISUAL_DEPTH", 5, minimum=1)
