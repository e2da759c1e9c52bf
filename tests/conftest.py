import pytest
from bs4 import BeautifulSoup
from django.db import connection

from posts import search
from posts.search import fallback, schema


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def page_soup():
    def parse(response) -> BeautifulSoup:
        return BeautifulSoup(response.content.decode(), "html.parser")

    return parse


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
