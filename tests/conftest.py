import pytest
from bs4 import BeautifulSoup
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
