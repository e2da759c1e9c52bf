"""With a read replica, readers' pages read from it, and every write, every POST and the
pages a browser loads just after writing use the primary."""

from contextlib import ExitStack, contextmanager

import pytest
from django.db import connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from comments import notifications
from comments.models import Comment
from msblog.routers import PIN_COOKIE, PrimaryReplicaRouter, RequestReads, current_request
from posts.models import Post
from tests.factories import comment_form_data, make_comment, make_post
from tests.test_settings import run

# The replica is Django's test mirror of the test database (tests/conftest.py), a second
# connection that sees only committed rows: hence transactional tests.
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])

ROUTER = "msblog.routers.PrimaryReplicaRouter"


@pytest.fixture
def replica(settings):
    """The router settings.py installs when DATABASE_REPLICA_URL is set."""
    settings.DATABASE_ROUTERS = [ROUTER]


@contextmanager
def queries_by_alias():
    """The SQL run on each connection inside the block: {"default": [...], "replica": [...]}."""
    with ExitStack() as stack:
        captured = {
            alias: stack.enter_context(CaptureQueriesContext(connections[alias]))
            for alias in ("default", "replica")
        }
        yield captured


def sql(captured) -> list[str]:
    return [query["sql"].split()[0].upper() for query in captured]


def test_a_readers_page_reads_from_the_replica_only(replica, client):
    """A GET of a post page runs every query on the replica and none on the primary."""
    post = make_post(tags=["MSBlog"])
    make_comment(post)
    with queries_by_alias() as queries:
        response = client.get(post.get_absolute_url())
    assert response.status_code == 200
    assert len(queries["replica"]) > 5
    assert len(queries["default"]) == 0
    assert PIN_COOKIE not in response.cookies


def test_posting_a_comment_uses_the_primary_and_pins_the_next_page_to_it(replica, client, settings):
    """The POST reads and writes only the primary, and the page it redirects to, which
    must show the new comment, reads from the primary too."""
    post = make_post()
    with queries_by_alias() as queries:
        response = client.post(
            reverse("comments:create", args=[post.pk]), comment_form_data(post, body="Mine.")
        )
    assert response.status_code == 302
    assert "INSERT" in sql(queries["default"])
    assert "SELECT" in sql(queries["default"])
    assert len(queries["replica"]) == 0
    cookie = response.cookies[PIN_COOKIE]
    assert cookie["max-age"] == settings.DATABASE_REPLICA_PIN_SECONDS
    assert cookie["httponly"]

    with queries_by_alias() as queries:
        page = client.get(response["Location"])
    assert "Your comment is awaiting moderation." in page.content.decode()
    assert len(queries["default"]) > 5
    assert len(queries["replica"]) == 0


def test_once_the_pin_expires_the_browser_reads_from_the_replica_again(replica, client):
    """Without the short-lived cookie (expired), the same browser is back on the replica."""
    post = make_post()
    response = client.post(reverse("comments:create", args=[post.pk]), comment_form_data(post))
    assert PIN_COOKIE in response.cookies
    del client.cookies[PIN_COOKIE]
    with queries_by_alias() as queries:
        client.get(post.get_absolute_url())
    assert len(queries["default"]) == 0
    assert len(queries["replica"]) > 0


def test_a_refused_post_reads_from_the_primary_and_pins_its_form(replica, client):
    """A comment form sent back with errors wrote no comment: it was read from the primary,
    and the browser is pinned so that the page showing the refused form reads the session
    that keeps it (written on the primary) from the primary too."""
    post = make_post()
    with queries_by_alias() as queries:
        response = client.post(
            reverse("comments:create", args=[post.pk]), comment_form_data(post, body="")
        )
    assert response.status_code == 303
    assert len(queries["replica"]) == 0
    assert "INSERT" in sql(queries["default"])  # the session, not a comment
    assert not Comment.objects.exists()
    assert PIN_COOKIE in response.cookies
    with queries_by_alias() as queries:
        page = client.get(response["Location"])
    assert page.status_code == 400 and "Please type a comment." in page.content.decode()
    assert len(queries["replica"]) == 0


def test_a_get_that_writes_pins_the_browser(replica, client):
    """The one-click unsubscribe link is a GET that writes: its browser is pinned too."""
    comment = make_comment(make_post(), author_email="a@example.org", notify_replies=True)
    url = reverse("comments:unsubscribe", args=[notifications.unsubscribe_token(comment)])
    with queries_by_alias() as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert "UPDATE" in sql(queries["default"])
    assert PIN_COOKIE in response.cookies
    comment.refresh_from_db()
    assert comment.notify_replies is False


def test_code_outside_a_request_reads_from_the_primary(replica):
    """Management commands, imports and the shell read from the primary."""
    make_post()
    with queries_by_alias() as queries:
        assert Post.objects.count() == 1
    assert len(queries["default"]) == 1
    assert len(queries["replica"]) == 0


def test_router_rule():
    """Replica for a safe request until it writes; primary in a transaction, for unsafe
    requests and outside requests; migrations only on the primary."""
    router = PrimaryReplicaRouter()
    assert router.db_for_read(Post) == "default"
    token = current_request.set(RequestReads(primary=False))
    try:
        assert router.db_for_read(Post) == "replica"
        with transaction.atomic():
            assert router.db_for_read(Post) == "default"
        assert router.db_for_write(Post) == "default"
        assert router.db_for_read(Post) == "default"
        assert current_request.get().wrote
    finally:
        current_request.reset(token)
    token = current_request.set(RequestReads(primary=True))
    try:
        assert router.db_for_read(Post) == "default"
    finally:
        current_request.reset(token)
    assert router.allow_migrate("default", "posts")
    assert not router.allow_migrate("replica", "posts")


def test_without_a_replica_no_cookie_is_set():
    """Without DATABASE_REPLICA_URL the middleware switches itself off."""
    post = make_post()
    response = Client().post(reverse("comments:create", args=[post.pk]), comment_form_data(post))
    assert response.status_code == 302
    assert PIN_COOKIE not in response.cookies


@pytest.mark.django_db(databases=[])
def test_database_replica_url_adds_a_mirrored_replica_and_the_router():
    """DATABASE_REPLICA_URL adds the "replica" database (a test mirror of default) and
    the router; without it there is one database and no router."""
    code = (
        "r = settings.DATABASES.get('replica'); "
        "print(r and (r['HOST'], r['NAME'], r['TEST']['MIRROR']), settings.DATABASE_ROUTERS)"
    )
    with_replica = run(
        code,
        DATABASE_URL="postgres://app@primary.internal:5432/msblog",
        DATABASE_REPLICA_URL="postgres://app@replica.internal:5432/msblog",
    )
    assert with_replica.stdout.strip() == (
        "('replica.internal', 'msblog', 'default') ['msblog.routers.PrimaryReplicaRouter']"
    )
    without = run(code)
    assert without.stdout.strip() == "None []"
