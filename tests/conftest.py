import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.core.cache import cache
from django.db import connection

from msblog.replica import health as replica_health
from posts import search
from posts.search import fallback, schema


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """A test database of this run's own, and a "replica" database, as
    DATABASE_REPLICA_URL adds one, mirroring it; only tests that name the replica may use
    it, and nothing routes to it unless a test installs the replica router
    (tests/test_replica_router.py)."""
    from django.conf import settings

    own_test_database(settings.DATABASES["default"])
    settings.DATABASES.setdefault(
        "replica", {**settings.DATABASES["default"], "TEST": {"MIRROR": "default"}}
    )


def own_test_database(database: dict) -> None:
    """Name the test database after this process, so that two `make test` runs at once
    (in one checkout or two, on one DATABASE_URL) never create, use or drop each other's.
    pytest-django drops it at the end, as ever."""
    test = database.setdefault("TEST", {})
    if database["ENGINE"].endswith("sqlite3"):
        name = Path(test.get("NAME") or ROOT / ".test-db.sqlite3")
        test["NAME"] = str(name.with_name(f"{name.stem}-{os.getpid()}{name.suffix}"))
    else:
        test["NAME"] = f"{test.get('NAME') or 'test_' + database['NAME']}_{os.getpid()}"[:63]


def pytest_sessionfinish(session):
    """pytest-django drops this run's SQLite file; its WAL and shared-memory files too."""
    for leftover in ROOT.glob(f".test-db-{os.getpid()}.sqlite3-*"):
        leftover.unlink(missing_ok=True)


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _replica_unknown():
    """Each test starts knowing nothing of the replica (msblog.replica keeps per process
    whether it is up and how far behind)."""
    replica_health.reset()
    yield
    replica_health.reset()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (flood counters live there)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def page_soup():
    def parse(response) -> BeautifulSoup:
        return BeautifulSoup(response.content.decode(), "html.parser")

    return parse


# Playwright's sync API keeps an event loop in the main thread; Django's ORM refuses to
# run beside one unless told this is a test process.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
TEST_OUTPUT = ROOT / "test-output"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
]


# How long Playwright waits for the browser, a page or an element before failing: a
# deadline for a busy machine, not a speed check (waits end as soon as the thing is there).
BROWSER_WAIT_MS = 120_000


def tool_missing(reason: str):
    """Skip a check whose tool is missing, except in CI, which installs every tool."""
    if os.environ.get("REQUIRE_BROWSER_TOOLS"):
        pytest.fail(f"{reason}, but REQUIRE_BROWSER_TOOLS is set")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        tool_missing(f"Chromium is not installed at {CHROMIUM} (.ci/run installs it with apt)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, timeout=BROWSER_WAIT_MS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser):
    """Open pages in fresh browser contexts (no shared cookies), closed after the test."""
    contexts = []

    def open_page(*, javascript=True, width=1280, height=900, bypass_csp=False):
        # bypass_csp lets a check inject its own script (axe) past the site's CSP.
        context = browser.new_context(
            java_script_enabled=javascript,
            viewport={"width": width, "height": height},
            bypass_csp=bypass_csp,
        )
        context.set_default_timeout(BROWSER_WAIT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def node_tools():
    """The npm packages the checks use (axe-core, vnu-jar), installed by make test."""
    modules = ROOT / "node_modules"
    if shutil.which("node") is None or not (modules / "axe-core").exists():
        tool_missing("Node.js or node_modules/axe-core is missing (make test runs npm ci)")
    return modules


def vnu_errors(node_tools: Path, files) -> list[str]:
    """The Nu HTML Checker's errors on ``files``, as "file:line: message"."""
    java = shutil.which("java")
    if java is None:
        tool_missing("Java is not installed (the Nu HTML Checker needs it)")
    jar = node_tools / "vnu-jar" / "build" / "dist" / "vnu.jar"
    result = subprocess.run(
        [java, "-jar", str(jar), "--errors-only", "--format", "json", "--stdout", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    messages = json.loads(result.stdout or "{}").get("messages", [])
    return [
        f"{m['url'].rsplit('/', 1)[-1]}:{m.get('lastLine')}: {m['message']}"
        for m in messages
        if m.get("type") == "error"
    ]


@pytest.fixture
def fallback_backend(monkeypatch):
    """Search as on an SQLite without FTS5."""
    monkeypatch.setattr(search, "backend", lambda: fallback)


@pytest.fixture(params=["database", "fallback"])
def any_backend(request):
    """Run a search test with the database's own backend, then with the fallback."""
    if request.param == "fallback":
        request.getfixturevalue("fallback_backend")
    elif connection.vendor == "sqlite" and not schema.fts5_available():
        pytest.skip("no FTS5 in this SQLite")
    return request.param
