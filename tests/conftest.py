import pytest
from bs4 import BeautifulSoup


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def page_soup():
    def parse(response) -> BeautifulSoup:
        return BeautifulSoup(response.content.decode(), "html.parser")

    return parse
