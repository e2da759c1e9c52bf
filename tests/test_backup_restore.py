"""A backup restored into an empty database serves the same site, page for page.

The site (the seed posts with their tags, comments, authors and original URLs, plus
moderation history: held, approved, spam, removed, edited and staff comments) is served
by gunicorn before and after the round trip, and every public page,
feed, old link and moderation page must be byte-identical once the CSRF tokens and form
timestamps, which differ on every request, are blanked.
"""

import contextlib
import difflib
import re
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from bs4 import BeautifulSoup
from django.db import connection

from comments import services
from comments.models import Comment
from comments.roles import ensure_moderators_group
from posts.models import OriginalURL, Post
from tests import servers
from tests.factories import make_post, make_staff
from tests.pages import load_seed_site

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "restore-Admin-passphrase-7"
# What the backup leaves out: rows `migrate` makes (content types, permissions), sessions,
# login-attempt records, and queued mail (restoring it could mail people twice). Groups
# go in a file of their own, by name: `migrate` has already made "Moderators".
DUMP_EXCLUDES = ["contenttypes", "auth.permission", "auth.group", "sessions", "axes"]
DUMP_EXCLUDES += ["django_tasks_database"]
PER_REQUEST = re.compile(r'(name="(?:csrfmiddlewaretoken|ts)" value=")[^"]*(")')


def build_site() -> list[int]:
    """The seed site plus moderation history; returns comment ids to open in the admin."""
    load_seed_site()
    editor = make_staff("editor", superuser=True, email="editor@example.org")
    editor.set_password(PASSWORD)
    editor.save()
    moderator = make_staff("moderator")  # may moderate only through the Moderators group
    moderator.set_password(PASSWORD)
    moderator.save()
    moderator.groups.add(ensure_moderators_group())
    post = Post.objects.get(slug="clinicspeak-when-to-say-no-to-alemtuzumab-treatment")
    first = Comment.objects.public().filter(post=post).first()
    reader = {"author_email": "sam@example.org", "ip_address": "192.0.2.7"}

    services.comment_create(post=post, body="Held for moderation.", author_name="Pat")
    reply = services.comment_create(
        post=post, parent=first, body="A reply.", author_name="Sam", **reader
    )
    services.comment_set_status(comment=reply, status="approved", actor=editor)
    services.comment_edit(comment=reply, body="A reply, edited.", actor=editor, reason="typo")
    spam = services.comment_create(post=post, body="Cheap pills here.", author_name="Bot")
    services.comment_set_status(comment=spam, status="spam", actor=editor, reason="pills")
    rude = services.comment_create(post=post, body="Something rude.", author_name="Rex")
    services.comment_set_status(comment=rude, status="approved", actor=editor)
    answer = services.comment_create(post=post, parent=rude, body="Steady on.", author_name="Ann")
    services.comment_set_status(comment=answer, status="approved", actor=editor)
    services.comment_set_status(comment=rude, status="removed", actor=editor, reason="rude")
    services.comment_reply_as_team(parent=first, body="Thanks, from the team.", user=editor)
    make_post(title="An unpublished draft", status=Post.Status.DRAFT)
    return [first.pk, reply.pk, spam.pk, rude.pk]


def public_paths(http: httpx.Client, base: str) -> list[str]:
    """Every page the sitemap lists, each post's comment feeds and reply form, the site
    feeds, search, robots.txt and every old address."""
    sitemap = BeautifulSoup(http.get(f"{base}/sitemap.xml").content, "xml")
    pages = [urlsplit(loc.get_text()).path for loc in sitemap.find_all("loc")]
    posts = [page for page in pages if re.match(r"^/\d{4}/\d\d/\d\d/", page)]
    paths = ["/sitemap.xml", "/robots.txt", "/feed/", "/feed/atom/", "/comments/feed/"]
    paths += ["/comments/feed/atom/", "/search/?q=alemtuzumab", "/search/?q=MS&scope=comments"]
    paths += pages + [f"{post}feed/" for post in posts] + [f"{post}feed/atom/" for post in posts]
    paths += [f"{post}?replytocom={c.pk}" for post in posts[:2] for c in Comment.objects.all()[:3]]
    paths += sorted(OriginalURL.objects.values_list("path", flat=True))
    return paths


def admin_paths(comment_ids: list[int]) -> list[str]:
    paths = ["/admin/comments/comment/", "/admin/comments/comment/?status__exact=pending"]
    # Not the user and group pages: groups are restored by name, so their ids (in links
    # and filters there) may differ. The moderator's login below checks the membership.
    paths += ["/admin/comments/commentevent/", "/admin/posts/post/"]
    return paths + [f"/admin/comments/comment/{pk}/change/" for pk in comment_ids]


def log_in(http: httpx.Client, base: str, username: str) -> None:
    form = http.get(f"{base}/admin/login/").text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)[1]
    answer = http.post(
        f"{base}/admin/login/?next=/admin/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert answer.status_code == 302, "could not log in to the admin"


def served_site(tmp_path: Path, database_url: str, comment_ids) -> dict:
    """{path: (status, Location, body with per-request tokens blanked)} as gunicorn serves it."""
    pages = {}

    def fetch(http, path, key=None):
        response = http.get(base + path)
        assert response.status_code < 500, (path, app.output())
        body = PER_REQUEST.sub(r"\1\2", response.text)
        pages[key or path] = (response.status_code, response.headers.get("location"), body)
        return response

    # Absolute URLs come from SITE_URL, so the servers' own ports never show in a page.
    with servers.gunicorn(tmp_path, DATABASE_URL=database_url) as (base, app):
        with httpx.Client(timeout=30) as http:
            for path in public_paths(http, base):
                fetch(http, path)
            log_in(http, base, "editor")
            for path in admin_paths(comment_ids):
                assert fetch(http, path).status_code == 200, path
        with httpx.Client(timeout=30) as http:
            # A moderator reaches the queue only if their group and its permissions came back.
            log_in(http, base, "moderator")
            queue = fetch(http, "/admin/comments/comment/", key="moderator: queue")
            assert queue.status_code == 200
    return pages


def assert_same_site(before: dict, after: dict) -> None:
    assert len(before) > 40
    assert sorted(after) == sorted(before)
    for path, page in before.items():
        if after[path] != page:
            diff = difflib.unified_diff(page[2].splitlines(), after[path][2].splitlines(), n=1)
            pytest.fail(f"{path} differs after the restore:\n" + "\n".join(list(diff)[:40]))


@contextlib.contextmanager
def empty_database(tmp_path: Path):
    """A new, empty database of the kind the tests run on; yields its DATABASE_URL."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    name = f"msblog_restore_{uuid.uuid4().hex[:8]}"
    url = servers.database_url().rsplit("/", 1)[0] + f"/{name}"
    with servers.admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url
    finally:
        with servers.admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(args: list[str]) -> None:
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def manage(*args: str, database_url: str) -> None:
    done = servers.manage(*args, env=servers.app_env(DATABASE_URL=database_url), timeout=180)
    assert done.returncode == 0, done.stderr


def test_dumpdata_and_loaddata_into_an_empty_database(tmp_path, settings):
    """dumpdata, then migrate and loaddata on an empty database: the same pages."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    comment_ids = build_site()
    before = served_site(tmp_path, servers.database_url(), comment_ids)

    source = servers.database_url()
    # XML, not JSON: Django's JSON encoder cuts datetimes to milliseconds.
    groups, site = tmp_path / "groups.xml", tmp_path / "site.xml"
    dump = ["dumpdata", "--format=xml", "--natural-foreign"]
    manage(*dump, "--natural-primary", "auth.group", "-o", str(groups), database_url=source)
    excludes = [f"--exclude={label}" for label in DUMP_EXCLUDES]
    manage(*dump, *excludes, "-o", str(site), database_url=source)
    with empty_database(tmp_path) as target:
        manage("migrate", "--noinput", database_url=target)
        manage("loaddata", str(groups), str(site), database_url=target)
        after = served_site(tmp_path, target, comment_ids)
    assert_same_site(before, after)


@pytest.mark.postgres
def test_pg_dump_and_pg_restore_into_an_empty_database(tmp_path, settings):
    """pg_dump -Fc, then pg_restore into an empty database: the same pages."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    comment_ids = build_site()
    before = served_site(tmp_path, servers.database_url(), comment_ids)

    dump = tmp_path / "site.dump"
    run(["pg_dump", "-Fc", f"--file={dump}", f"--dbname={servers.database_url()}"])
    with empty_database(tmp_path) as target:
        run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={target}", str(dump)])
        after = served_site(tmp_path, target, comment_ids)
    assert_same_site(before, after)


def test_sqlite_backup_command(tmp_path, settings):
    """sqlite3's .backup of the live database file serves the same pages."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's own backup")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    comment_ids = build_site()
    before = served_site(tmp_path, servers.database_url(), comment_ids)

    copy = tmp_path / "backup.sqlite3"
    run(["sqlite3", connection.settings_dict["NAME"], f".backup '{copy}'"])
    after = served_site(tmp_path, f"sqlite:///{copy}", comment_ids)
    assert_same_site(before, after)
