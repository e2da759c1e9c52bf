"""The Nu HTML Checker reports no errors on the public pages."""

import json
import shutil
import subprocess

import pytest
from django.test import Client

from tests.conftest import TEST_OUTPUT, tool_missing
from tests.pages import load_seed_site, one_readers_pages, public_pages

pytestmark = pytest.mark.django_db


def test_pages_are_valid_html(client, node_tools):
    """Every public page, and each page only one reader sees, rendered whole, is valid
    HTML according to vnu."""
    java = shutil.which("java")
    if java is None:
        tool_missing("Java is not installed (the Nu HTML Checker needs it)")
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
    jar = node_tools / "vnu-jar" / "build" / "dist" / "vnu.jar"
    result = subprocess.run(
        [java, "-jar", str(jar), "--errors-only", "--format", "json", "--stdout", *files],
        capture_output=True,
        text=True,
        timeout=180,
    )
    messages = json.loads(result.stdout or "{}").get("messages", [])
    errors = [
        f"{m['url'].rsplit('/', 1)[-1]}:{m.get('lastLine')}: {m['message']}"
        for m in messages
        if m.get("type") == "error"
    ]
    assert errors == []
