"""The Nu HTML Checker reports no errors on the public pages."""

import shutil

import pytest
from django.test import Client

from tests.conftest import TEST_OUTPUT, vnu_errors
from tests.pages import load_seed_site, one_readers_pages, public_pages

pytestmark = pytest.mark.django_db


def test_pages_are_valid_html(client, node_tools):
    """Every public page, and each page only one reader sees, rendered whole, is valid
    HTML according to vnu."""
    load_seed_site()
    folder = TEST_OUTPUT / "html"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    files = []
    reader = Client()
    pages = [(name, path, client) for name, path in public_pages()]
    pages += [(name, path, reader) for name, path in one_readers_pages(reader)]
    for name, path, browser in pages:
        response = browser.get(path)
        assert response.status_code == (400 if name.endswith("refused") else 200), path
        target = folder / f"{name}.html"
        target.write_bytes(response.content)
        files.append(str(target))
    errors = vnu_errors(node_tools, files)
    assert errors == []
