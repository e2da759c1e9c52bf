"""A fresh machine: the README's commands, `make run`, the generated admin, the icon."""

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command, get_commands

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()

# `manage.py …` in a code span or at the start of a code block's line (after an optional
# VAR=value prefix), with whatever precedes it on that line.
COMMAND_RE = re.compile(r"(?P<prefix>[^`\n]*?)\bmanage\.py (?P<command>[a-z_]+)")


def readme_commands() -> list[tuple[str, str]]:
    """(prefix, command) for every manage.py command the README shows a reader to run."""
    found = []
    blocks = re.findall(r"```sh\n(.*?)```", README, flags=re.S)
    spans = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", README, flags=re.S))
    for text in [*blocks, *spans]:
        for line in text.splitlines():
            found += [(m["prefix"], m["command"]) for m in COMMAND_RE.finditer(line)]
    return found


def test_readme_commands_run_from_the_projects_virtualenv():
    """Every manage.py command in the README names .venv/bin/python (or $M) and exists."""
    commands = readme_commands()
    assert len(commands) > 10
    known = get_commands()
    for prefix, command in commands:
        assert command in known, command
        assert prefix.rstrip().endswith((".venv/bin/python", '"$M"', "$M")) or prefix.endswith(
            'M=".venv/bin/python '
        ), f"{prefix!r} manage.py {command}"


def make_run_command(**env) -> str:
    """What `make run` would run (a dry run), with ``env`` as the environment."""
    make = shutil.which("make")
    result = subprocess.run(
        [make, "-n", "run"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def test_make_run_takes_another_port():
    """`PORT=8001 make run` serves on 8001; without PORT, on 8000."""
    assert "runserver 127.0.0.1:8001" in make_run_command(PORT="8001")
    assert "runserver 127.0.0.1:8000" in make_run_command()


@pytest.mark.django_db
def test_generated_admin_gets_admin_email(settings):
    """setup_site gives the admin ADMIN_EMAIL, so moderator notices reach someone."""
    settings.ADMIN_EMAIL = "prof@example.org"
    out = io.StringIO()
    call_command("setup_site", stdout=out)
    admin = get_user_model().objects.get(username="admin")
    assert admin.email == "prof@example.org"
    assert "prof@example.org" in out.getvalue()
    assert ".venv/bin/python manage.py changepassword admin" in out.getvalue()


@pytest.mark.django_db
def test_admin_without_email_is_told_so(settings):
    """Without ADMIN_EMAIL, setup_site says moderator notices will go nowhere, and how to fix it."""
    settings.ADMIN_EMAIL = ""
    out = io.StringIO()
    call_command("setup_site", stdout=out)
    assert get_user_model().objects.get(username="admin").email == ""
    text = out.getvalue()
    assert "has no email address" in text and "ADMIN_EMAIL" in text


@pytest.mark.django_db
def test_setup_site_refuses_a_bad_admin_email(settings):
    """A mistyped ADMIN_EMAIL is named, and no admin is created with it."""
    from django.core.management import CommandError

    settings.ADMIN_EMAIL = "not an address"
    with pytest.raises(CommandError, match="ADMIN_EMAIL"):
        call_command("setup_site", stdout=io.StringIO())
    assert not get_user_model().objects.filter(username="admin").exists()


@pytest.mark.django_db
def test_favicon_is_served(client):
    """/favicon.ico is a real icon, not a 404."""
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO header
    assert response["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")


@pytest.mark.django_db
def test_admin_is_titled_with_the_sites_name(client, settings):
    """The admin's header and page titles carry SITE_NAME, not "msblog administration"."""
    from tests.factories import make_staff

    client.force_login(make_staff("editor", superuser=True))
    page = client.get("/admin/").content.decode()
    assert "msblog administration" not in page
    assert f"<title>Site administration | {settings.SITE_NAME}" in page.replace("&#x27;", "'")


@pytest.mark.django_db
def test_a_held_comment_nobody_can_hear_of_is_logged(caplog, django_capture_on_commit_callbacks):
    """With no moderator address anywhere, the held comment's notice is a logged warning."""
    from comments import services
    from tests.factories import make_post

    with django_capture_on_commit_callbacks(execute=True):
        comment = services.comment_create(post=make_post(), body="Waiting words.")
    assert comment.status == "pending"
    assert any(
        "no moderator has an email address" in record.getMessage()
        for record in caplog.records
        if record.levelname == "WARNING"
    )
