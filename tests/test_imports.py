"""What every importer shares: the content version, progress lines, refusals."""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from posts.models import ContentVersion, Post

DATA = Path(__file__).resolve().parent / "data"

pytestmark = pytest.mark.django_db


def run(command, *args, stderr=None) -> str:
    out = io.StringIO()
    call_command(command, *map(str, args), stdout=out, stderr=stderr or io.StringIO())
    return out.getvalue()


def token():
    return ContentVersion.objects.values_list("token", flat=True).first()


@pytest.mark.parametrize(
    ("command", "files"),
    [
        ("import_wxr", [DATA / "wxr-basic.xml"]),
        ("import_blogger", [DATA / "blogger.xml"]),
        ("import_pages", []),
    ],
)
def test_a_reimport_that_changes_nothing_keeps_the_content_version(command, files):
    """Re-running an import that changes no row leaves every cached page valid."""
    run(command, *files)
    before = token()
    run(command, *files)
    assert token() == before


def test_an_import_that_changes_something_retires_cached_pages():
    """A newer export with one new comment gives the site a new content version."""
    run("import_wxr", DATA / "wxr-basic.xml")
    before = token()
    run("import_wxr", DATA / "wxr-newer.xml")
    assert token() != before


def test_progress_lines_when_the_output_is_not_a_terminal():
    """Under nohup or a supervisor, reading and writing print lines a log can show."""
    err = io.StringIO()
    run("import_wxr", DATA / "wxr-basic.xml", "--progress-every", "0", stderr=err)
    lines = err.getvalue().splitlines()
    assert any(line.startswith("reading wxr-basic.xml: ") and "%" in line for line in lines)
    assert any(line.startswith("importing: ") and "posts" in line for line in lines)
    assert lines[-1].startswith("importing: done")


def test_a_file_that_cannot_be_read_gets_no_skip_bad_hint():
    """--skip-bad is offered only where it can help: not for malformed XML."""
    with pytest.raises(CommandError) as caught:
        run("import_wxr", DATA / "wxr-malformed.xml")
    assert "--skip-bad" not in str(caught.value)
    with pytest.raises(CommandError) as caught:
        run("import_wxr", DATA / "wxr-orphan.xml")
    assert "(--skip-bad leaves bad items out)" in str(caught.value)


def test_a_quiet_import_prints_no_progress():
    """With --verbosity 0 an import says nothing on standard error, and still imports."""
    err = io.StringIO()
    run("import_wxr", DATA / "wxr-basic.xml", "--verbosity", "0", stderr=err)
    assert err.getvalue() == ""
    assert Post.objects.count() == 4
