"""With a read replica, readers' pages read from it; every write, every POST, moderators,
links naming a row and a browser's reads after writing use the primary.

These run on both databases against Django's test mirror (a second connection to the
test database, which is never behind); tests/test_replica_streaming.py runs the same
rules against a real streaming replica that stops, hangs and lags.
"""

import math
import time
from contextlib import ExitStack, contextmanager
from unittest import mock

import pytest
from django.db import OperationalError, connection, connections, transaction
from django.db.backends.utils import CursorWrapper
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from comments import notifications
from comments.models import Comment
from comments.pending import COOKIE_NAME as PENDING_COOKIE
from msblog import replica as replica_health
from msblog.replica import Sample, lag_seconds, lsn, lsn_text
from msblog.routers import (
    POSITION_COOKIE,
    POSITION_MAX_AGE,
    POSITION_SALT,
    PrimaryReplicaRouter,
    RequestReads,
    current_request,
)
from posts.models import Post
from tests.factories import comment_form_data, make_comment, make_post, make_staff
from tests.test_settings import run

# The replica is Django's test mirror of the test database (tests/conftest.py), a second
# connection that sees only committed rows: hence transactional tests.
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])

ROUTER = "msblog.routers.PrimaryReplicaRouter"
POSITIONS = connection.vendor == "postgresql"  # WAL positions; SQLite only pins


@pytest.fixture
def replica(settings, monkeypatch):
    """The router settings.py installs when DATABASE_REPLICA_URL is set, with the replica
    measured once (up, not behind) and trusted for the test."""
    settings.DATABASE_ROUTERS = [ROUTER]
    monkeypatch.setattr(replica_health, "MEASURE_EVERY", 3600)
    assert replica_health.health.readable()


@contextmanager
def queries_by_alias():
    """The SQL run on each connection inside the block: {"default": [...], "replica": [...]}."""
    with ExitStack() as stack:
        captured = {
            alias: stack.enter_context(CaptureQueriesContext(connections[alias]))
            for alias in ("default", "replica")
        }
        yield captured


def signed_position(value: str) -> str:
    """The cookie's value as the site signs it."""
    response = HttpResponse()
    response.set_signed_cookie(POSITION_COOKIE, value, salt=POSITION_SALT)
    return response.cookies[POSITION_COOKIE].value


def position_in(cookie) -> str:
    request = HttpRequest()
    request.COOKIES[POSITION_COOKIE] = cookie.value
    return request.get_signed_cookie(POSITION_COOKIE, salt=POSITION_SALT)


def sql(captured) -> list[str]:
    return [query["sql"].split()[0].upper() for query in captured]


def reads_from(client, path, **extra) -> str:
    """Which database the GET read from: "replica", "primary" (all on one), or "both"."""
    with queries_by_alias() as queries:
        response = client.get(path, **extra)
    assert response.status_code in (200, 302), (path, response.status_code)
    names = {"default": "primary", "replica": "replica"}
    # What the page read, not msblog.replica's measurements of the replica.
    on = {
        name
        for alias, name in names.items()
        if any("pg_last_wal_replay_lsn" not in query["sql"] for query in queries[alias])
    }
    assert on, f"{path} read nothing"
    return on.pop() if len(on) == 1 else "both"


def test_a_readers_page_reads_from_the_replica_only(replica, client):
    """A GET of a post page runs every query on the replica and none on the primary."""
    post = make_post(tags=["MSBlog"])
    make_comment(post)
    with queries_by_alias() as queries:
        response = client.get(post.get_absolute_url())
    assert response.status_code == 200
    assert len(queries["replica"]) > 5
    assert len(queries["default"]) == 0
    assert POSITION_COOKIE not in response.cookies


def test_posting_a_comment_uses_the_primary_and_records_where_it_wrote(replica, client, settings):
    """The POST reads and writes only the primary. Its response records the write's WAL
    position (PostgreSQL) or, without positions (SQLite), pins the browser to the
    primary for DATABASE_REPLICA_PIN_SECONDS; either way the page it redirects to shows
    the new comment."""
    post = make_post()
    with queries_by_alias() as queries:
        response = client.post(
            reverse("comments:create", args=[post.pk]), comment_form_data(post, body="Mine.")
        )
    assert response.status_code == 302
    assert "INSERT" in sql(queries["default"])
    assert len(queries["replica"]) == 0
    cookie = response.cookies[POSITION_COOKIE]
    assert cookie["httponly"]
    position = position_in(cookie)
    if POSITIONS:
        assert lsn(position) is not None
        assert cookie["max-age"] == POSITION_MAX_AGE
    else:
        assert position == ""
        assert cookie["max-age"] == settings.DATABASE_REPLICA_PIN_SECONDS
    page = client.get(response["Location"])
    assert "Your comment is awaiting moderation." in page.content.decode()
    # The mirror is never behind: with a position the browser is back on it at once.
    assert reads_from(client, response["Location"]) == ("replica" if POSITIONS else "primary")


def test_once_the_pin_expires_the_browser_reads_from_the_replica_again(replica, client):
    """Without the cookie (expired), the same browser is back on the replica."""
    post = make_post()
    response = client.post(reverse("comments:create", args=[post.pk]), comment_form_data(post))
    assert POSITION_COOKIE in response.cookies
    del client.cookies[POSITION_COOKIE]
    del client.cookies[PENDING_COOKIE]
    assert reads_from(client, post.get_absolute_url()) == "replica"


def test_a_position_the_replica_has_not_reached_keeps_the_browser_on_the_primary(replica, client):
    """A browser whose last write lies past what the replica has replayed reads from the
    primary; a forged cookie counts for nothing."""
    post = make_post()
    ahead = Client()
    ahead.cookies[POSITION_COOKIE] = signed_position(lsn_text(2**62))
    if POSITIONS:
        assert reads_from(ahead, post.get_absolute_url()) == "primary"
    forged = Client()
    forged.cookies[POSITION_COOKIE] = lsn_text(2**62)
    assert reads_from(forged, post.get_absolute_url()) == "replica"


def test_a_refused_post_reads_from_the_primary_and_keeps_its_form_there(replica, client):
    """A comment form sent back with errors wrote no comment: it was read from the primary
    (the form is checked against what is really there), and the page showing the refused
    form reads the session that keeps it from the primary too."""
    post = make_post()
    with queries_by_alias() as queries:
        response = client.post(
            reverse("comments:create", args=[post.pk]), comment_form_data(post, body="")
        )
    assert response.status_code == 303
    assert len(queries["replica"]) == 0
    assert "INSERT" in sql(queries["default"])  # the session, not a comment
    assert not Comment.objects.exists()
    assert POSITION_COOKIE in response.cookies
    with queries_by_alias() as queries:
        page = client.get(response["Location"])
    assert page.status_code == 400 and "Please type a comment." in page.content.decode()
    assert len(queries["replica"]) == 0


def test_a_write_outside_the_comment_form_reads_the_primary_and_records_its_write(replica, client):
    """The one-click unsubscribe POST writes; it names a comment the replica may not have
    yet, so it reads from the primary, and records its write for the browser."""
    comment = make_comment(make_post(), author_email="a@example.org", notify_replies=True)
    url = reverse("comments:unsubscribe", args=[notifications.unsubscribe_token(comment)])
    with queries_by_alias() as queries:
        response = client.post(url)
    assert response.status_code == 200
    assert "UPDATE" in sql(queries["default"])
    assert len(queries["replica"]) == 0
    assert POSITION_COOKIE in response.cookies
    comment.refresh_from_db()
    assert comment.notify_replies is False


def test_links_naming_a_row_read_from_the_primary(replica, client):
    """Comment permalinks and ?replytocom= links, as emails and feeds send them, read from
    the primary: the replica may not have the comment yet."""
    post = make_post()
    comment = make_comment(post)
    assert reads_from(client, f"/comments/{comment.pk}/") == "primary"
    assert reads_from(client, f"{post.get_absolute_url()}?replytocom={comment.pk}") == "primary"
    assert reads_from(client, post.get_absolute_url()) == "replica"


def test_staff_the_admin_and_sessions_read_from_the_primary(replica, client):
    """A signed-in moderator reads every page, the admin's and the session row included,
    from the primary."""
    post = make_post()
    client.force_login(make_staff("mod", superuser=True))
    assert reads_from(client, post.get_absolute_url()) == "primary"
    assert reads_from(client, reverse("admin:comments_comment_changelist")) == "primary"


def test_a_reader_with_pending_comments_reads_the_replica_only_when_it_is_current(replica, client):
    """The pending-comment cookie without a known position (an old one) puts the browser
    on the primary; with the position of its write, on the replica once it has it."""
    post = make_post()
    client.post(reverse("comments:create", args=[post.pk]), comment_form_data(post))
    assert PENDING_COOKIE in client.cookies
    expected = "replica" if POSITIONS else "primary"
    assert reads_from(client, post.get_absolute_url()) == expected
    del client.cookies[POSITION_COOKIE]
    assert reads_from(client, post.get_absolute_url()) == "primary"


def test_a_replica_failing_mid_request_serves_it_again_from_the_primary(replica, caplog):
    """A query that fails on the replica (lost connection, timeout) marks it down, once in
    the log, and the reader gets the page from the primary instead of an error; the next
    requests read from the primary until a retry finds the replica well."""
    post = make_post()
    make_comment(post, body="Still here.")
    original = CursorWrapper._execute
    failures = []

    def fail_on_replica_once(self, sql, params, *args):
        if self.db.alias == "replica" and not failures:
            failures.append(sql)
            raise OperationalError("server closed the connection unexpectedly")
        return original(self, sql, params, *args)

    client = Client(raise_request_exception=False)
    with mock.patch.object(CursorWrapper, "_execute", fail_on_replica_once):
        response = client.get(post.get_absolute_url())
    assert response.status_code == 200
    assert "Still here." in response.content.decode()
    assert failures
    assert replica_health.health.status == replica_health.DOWN
    assert reads_from(client, post.get_absolute_url()) == "primary"
    warnings = [r for r in caplog.records if r.name == "msblog.replica"]
    assert [r.levelname for r in warnings] == ["WARNING"]
    assert "server closed the connection" in warnings[0].getMessage()


def test_code_outside_a_request_reads_from_the_primary(replica):
    """Management commands, imports and the shell read from the primary."""
    make_post()
    with queries_by_alias() as queries:
        assert Post.objects.count() == 1
    assert len(queries["default"]) == 1
    assert len(queries["replica"]) == 0


def test_router_rule(replica):
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


def test_a_replica_marked_down_or_lagging_is_not_read(replica, settings):
    """The router asks msblog.replica: down (until a retry) or behind by more than
    DATABASE_REPLICA_MAX_LAG_SECONDS, the request reads from the primary."""
    router = PrimaryReplicaRouter()
    replica_health.health.failed(OperationalError("connection refused"))
    token = current_request.set(RequestReads(primary=False))
    try:
        assert router.db_for_read(Post) == "default"
    finally:
        current_request.reset(token)


def test_lag_is_an_upper_bound_that_an_idle_primary_does_not_inflate():
    """Caught up: 0. Behind: the age of the last replayed transaction, unless an earlier
    measurement of the primary, already replayed, bounds it more tightly (an idle primary
    leaves that age large though the replica is barely behind)."""
    now = time.monotonic()
    primary = Sample(position=1000, at=now)
    assert lag_seconds(primary=primary, replayed=1000, since_replay=900.0, earlier=None) == 0
    assert lag_seconds(primary=primary, replayed=900, since_replay=12.0, earlier=None) == 12.0
    earlier = Sample(position=900, at=now - 1.5)
    bound = lag_seconds(primary=primary, replayed=900, since_replay=3600.0, earlier=earlier)
    assert 1.5 <= bound < 3
    unreplayed = Sample(position=950, at=now - 1.5)
    assert (
        lag_seconds(primary=primary, replayed=900, since_replay=3600.0, earlier=unreplayed)
        == 3600.0
    )
    assert math.isinf(lag_seconds(primary=primary, replayed=900, since_replay=None, earlier=None))


def test_wal_positions_read_and_written():
    """pg_lsn text both ways; anything else is no position."""
    assert lsn("16/B374D848") == (0x16 << 32) + 0xB374D848
    assert lsn_text(lsn("16/B374D848")) == "16/B374D848"
    for bad in ("", "1", "x/y", None, "1/2/3"):
        assert lsn(bad) is None


def test_without_a_replica_no_cookie_is_set():
    """Without DATABASE_REPLICA_URL the middleware switches itself off."""
    post = make_post()
    response = Client().post(reverse("comments:create", args=[post.pk]), comment_form_data(post))
    assert response.status_code == 302
    assert POSITION_COOKIE not in response.cookies


@pytest.mark.django_db(databases=[])
def test_database_replica_url_adds_a_mirrored_replica_with_timeouts_and_the_router():
    """DATABASE_REPLICA_URL adds the "replica" database (a test mirror of default) with
    its connect and statement timeouts, and the router; without it there is one database
    and no router."""
    code = (
        "r = settings.DATABASES.get('replica'); "
        "print(r and (r['HOST'], r['NAME'], r['TEST']['MIRROR'], r['OPTIONS']), "
        "settings.DATABASE_ROUTERS)"
    )
    with_replica = run(
        code,
        DATABASE_URL="postgres://app@primary.internal:5432/msblog",
        DATABASE_REPLICA_URL="postgres://app@replica.internal:5432/msblog",
        DATABASE_REPLICA_STATEMENT_TIMEOUT="2.5",
    )
    assert with_replica.stdout.strip() == (
        "('replica.internal', 'msblog', 'default', "
        "{'options': '-c statement_timeout=2500', 'connect_timeout': 2}) "
        "['msblog.routers.PrimaryReplicaRouter']"
    ), with_replica.stderr
    without = run(code)
    assert without.stdout.strip() == "None []"


@pytest.mark.django_db(databases=[])
@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DATABASE_REPLICA_MAX_LAG_SECONDS": "soon"}, "DATABASE_REPLICA_MAX_LAG_SECONDS must"),
        ({"DATABASE_REPLICA_CONNECT_TIMEOUT": "1"}, "DATABASE_REPLICA_CONNECT_TIMEOUT must"),
        (
            {"DATABASE_URL": "sqlite:///x.sqlite3", "DATABASE_REPLICA_URL": "postgres://r/db"},
            "needs DATABASE_URL on PostgreSQL",
        ),
        (
            {"DATABASE_URL": "postgres://p/db", "DATABASE_REPLICA_URL": "sqlite:///x.sqlite3"},
            "DATABASE_REPLICA_URL must be a postgres:// URL",
        ),
    ],
)
def test_bad_replica_settings_stop_with_a_clear_message(env, message):
    """A timeout that is not a number of seconds, or a replica without PostgreSQL, stops
    the settings from loading with a message naming the variable."""
    result = run("print('loaded')", **env)
    assert "loaded" not in result.stdout
    assert message in result.stderr
