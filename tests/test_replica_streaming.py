"""A real streaming replica stopping, hanging and lagging, as readers and moderators meet it.

The replica is a second PostgreSQL cluster streaming from the primary the tests run on
(tests/replica/setup.sh; .ci/run creates it). These tests skip on SQLite, and without the
replica unless REQUIRE_REPLICA is set. Each test stops it, hangs it (SIGSTOP) or pauses its
replay, and puts it back afterwards.
"""

import datetime
import logging
import os
import re
import threading
from contextlib import contextmanager

import httpx
import pytest
from django.db import OperationalError, connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from comments import services
from comments.models import Comment
from msblog import replica as replica_health
from msblog.settings import replica_database
from posts.caching import content_changed
from posts.models import ContentVersion
from tests import servers
from tests.factories import comment_form_data, make_comment, make_post, make_staff
from tests.replica.cluster import WAIT_SECONDS, Replica, Unavailable, wait_until

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])

ROUTER = "msblog.routers.PrimaryReplicaRouter"
OLD_PIN_COOKIE = "msblog_primary"  # before position cookies: a 10-second pin


def missing(reason: str):
    """Skip a test that needs the replica, except where CI said one must exist."""
    if os.environ.get("REQUIRE_REPLICA"):
        pytest.fail(f"{reason}, but REQUIRE_REPLICA is set")
    pytest.skip(f"{reason}; create one with tests/replica/setup.sh")


@pytest.fixture
def replica(settings):
    """The real replica in place of the test mirror, with short timeouts, and the router
    on; stopped, hung or paused replicas are put back afterwards."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL) and its streaming replica")
    try:
        cluster = Replica.of(connection.settings_dict)
        cluster.cluster()  # it can be stopped and started from here
    except Unavailable as exc:
        missing(str(exc))
    cluster.start()
    cluster.resume_replay()
    cluster.wait_caught_up()
    settings.DATABASE_ROUTERS = [ROUTER]
    settings.DATABASE_REPLICA_STATEMENT_TIMEOUT = 1
    settings.DATABASE_REPLICA_RETRY_SECONDS = 0.5
    alias = connections["replica"]
    mirror = alias.settings_dict
    configured = connections.settings["replica"]  # what other threads connect with
    saved = dict(configured)
    real = {
        **connections["default"].settings_dict,
        **replica_database(
            cluster.url(connection.settings_dict["NAME"]), connect_timeout=2, statement_timeout=1
        ),
        "TEST": {},
    }
    alias.close()
    alias.settings_dict = real
    configured.clear()
    configured.update(real)
    replica_health.health.reset()
    try:
        yield cluster
    finally:
        cluster.resume()
        cluster.start()
        cluster.resume_replay()
        alias.close()
        alias.settings_dict = mirror
        configured.clear()
        configured.update(saved)
        replica_health.health.reset()


@contextmanager
def replica_reads():
    """The queries for content run on the replica inside the block (not msblog.replica's
    own measurements of it)."""
    reads = []
    with CaptureQueriesContext(connections["replica"]) as captured:
        yield reads
    reads.extend(q for q in captured if "pg_last_wal_replay_lsn" not in q["sql"])


def drop_old_pin(client):
    """What a browser does once the old 10-second pin cookie expires."""
    client.cookies.pop(OLD_PIN_COOKIE, None)


def hang(replica):
    try:
        replica.hang()
    except Unavailable as exc:
        missing(str(exc))


def post_comment(client, post, **fields):
    response = client.post(
        reverse("comments:create", args=[post.pk]), comment_form_data(post, **fields)
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return response


def local_path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


# --- the replica stopped ------------------------------------------------------------


def test_replica_stopped_every_page_is_served_from_the_primary(replica, client, caplog):
    """With the replica down, pages, feeds, search, permalinks and the admin answer as
    usual (from the primary), /healthz says 200 "degraded" naming the replica, the outage
    is logged once, and once the replica is back, readers read from it again."""
    post = make_post(tags=["MSBlog"], title="Alemtuzumab and the replica")
    comment = make_comment(post, body="An approved comment.")
    moderator = Client()
    moderator.force_login(make_staff("mod", superuser=True))
    replica.wait_caught_up()
    replica.stop()
    pages = [
        "/",
        post.get_absolute_url(),
        "/feed/",
        "/comments/feed/",
        "/sitemap.xml",
        "/search/?q=alemtuzumab",
        "/tag/msblog/",
    ]
    with caplog.at_level(logging.INFO, logger="msblog.replica"):
        for path in pages * 2:
            assert client.get(path).status_code == 200, path
        assert client.get(f"/comments/{comment.pk}/").status_code == 302
        queue = moderator.get(reverse("admin:comments_comment_changelist"))
        assert queue.status_code == 200
        assert "An approved comment." in queue.content.decode()
        health = client.get("/healthz")
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "degraded"
    assert body["failed"] == ["database_replica"]
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["database_replica"] == "down"
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert "replica" in warnings[0].getMessage()

    replica.start()

    def reads_the_replica_again() -> bool:
        with replica_reads() as queries:
            assert client.get(post.get_absolute_url()).status_code == 200
        return len(queries) > 0

    wait_until(reads_the_replica_again, what="reading from the restarted replica", interval=0.3)
    assert client.get("/healthz").json()["status"] == "ok"


# --- the replica hung ---------------------------------------------------------------


def test_replica_hung_no_worker_hangs_or_dies(replica, tmp_path):
    """A replica whose processes are stopped (SIGSTOP: connections open, nothing answers)
    costs a request its timeouts, never a worker: gunicorn kills no worker, every page is
    served from the primary, and /healthz answers 200 "degraded"."""
    post = make_post()
    replica.wait_caught_up()
    env = {
        "DATABASE_REPLICA_URL": replica.url(connection.settings_dict["NAME"]),
        "DATABASE_REPLICA_STATEMENT_TIMEOUT": "1",
        "DATABASE_REPLICA_RETRY_SECONDS": "1",
    }
    paths = ["/", post.get_absolute_url(), "/feed/", "/healthz"]
    with servers.gunicorn(tmp_path, workers=2, timeout=20, **env) as (base, process):
        for path in paths * 2:  # both workers hold replica connections
            assert httpx.get(base + path, timeout=60).status_code == 200
        hang(replica)
        try:
            answers = [httpx.get(base + path, timeout=60) for path in paths * 3]
        finally:
            replica.resume()
        log = process.output()
    assert [r.status_code for r in answers] == [200] * len(answers)
    assert "WORKER TIMEOUT" not in log
    health = answers[-1].json()
    assert health["status"] == "degraded"
    assert health["checks"]["database_replica"] == "down"


def test_a_query_on_a_slow_or_hung_replica_fails_at_its_deadline(replica):
    """The replica's server cancels a statement past DATABASE_REPLICA_STATEMENT_TIMEOUT;
    on a hung replica, which cancels nothing, this process's own deadline ends the query
    a second later instead of letting it wait for ever."""
    replica_connection = connections["replica"]
    with replica_connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    with (
        pytest.raises(OperationalError, match="statement timeout"),
        replica_connection.cursor() as cursor,
    ):
        cursor.execute("SELECT pg_sleep(30)")
    hang(replica)
    rescue = threading.Timer(WAIT_SECONDS, replica.resume)  # a hang must not hang the tests
    rescue.start()
    try:
        with pytest.raises(OperationalError), replica_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        rescue.cancel()
        replica.resume()
    replica_connection.close()


# --- the replica lagging --------------------------------------------------------------


def test_own_pending_comment_and_its_permalink_survive_any_lag(replica, client, settings):
    """Replay paused for longer than any timer: the commenter still sees their comment
    awaiting moderation, and its permalink still leads to it."""
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 3600  # the replica stays in use
    post = make_post()
    replica.wait_caught_up()
    replica.pause_replay()
    post_comment(client, post, body="My comment, held for moderation.")
    comment = Comment.objects.get(post=post)
    drop_old_pin(client)
    page = client.get(post.get_absolute_url()).content.decode()
    assert "My comment, held for moderation." in page
    assert "Your comment is awaiting moderation." in page
    permalink = client.get(f"/comments/{comment.pk}/")
    assert permalink.status_code == 302
    assert permalink["Location"].endswith(f"#comment-{comment.pk}")


def test_a_writer_reads_from_the_replica_as_soon_as_it_has_their_write(replica, client):
    """Read-your-writes by position: while the replica has not replayed the comment the
    writer reads from the primary; once it has, at once from the replica."""
    post = make_post()
    replica.wait_caught_up()
    replica.pause_replay()
    post_comment(client, post, body="Written while the replica is paused.")
    with replica_reads() as queries:
        page = client.get(post.get_absolute_url()).content.decode()
    assert "Written while the replica is paused." in page
    assert len(queries) == 0
    replica.resume_replay()
    replica.wait_caught_up()
    with replica_reads() as queries:
        page = client.get(post.get_absolute_url()).content.decode()
    assert "Written while the replica is paused." in page
    assert len(queries) > 0


def test_moderators_and_their_email_links_read_the_primary(replica, settings, mailoutbox):
    """A moderator who signs in during the lag stays signed in when the cache misses
    their session, sees new comments in the queue, opens the link in the notice email, and
    sees their own approvals."""
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 3600
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    staff = make_staff("mod", superuser=True, email="mod@example.org")
    post = make_post()
    replica.wait_caught_up()
    replica.pause_replay()
    moderator = Client()
    moderator.force_login(staff)
    from django.core.cache import cache

    cache.clear()  # Redis lost the session: it is read from the database
    comment = services.comment_create(post=post, body="Held during the lag.", author_name="Ann")
    notice = next(m for m in mailoutbox if "moderate" in m.subject.lower())
    admin_link = re.search(r"Moderate it: (\S+)", notice.body).group(1)
    change = moderator.get(local_path(admin_link))
    assert change.status_code == 200, change.get("Location")
    assert "Held during the lag." in change.content.decode()
    queue = moderator.get(reverse("admin:comments_comment_changelist") + "?status__exact=pending")
    assert "Held during the lag." in queue.content.decode()
    services.comment_set_status(comment=comment, status=Comment.Status.APPROVED, actor=staff)
    drop_old_pin(moderator)
    pending = moderator.get(reverse("admin:comments_comment_changelist") + "?status__exact=pending")
    assert pending.status_code == 200
    assert "Held during the lag." not in pending.content.decode()


def test_reply_email_links_work_for_comments_made_during_the_lag(replica, client, mailoutbox):
    """The reply notification's permalink and unsubscribe link name rows the replica may
    not have yet: they read the primary."""
    post = make_post()
    replica.wait_caught_up()
    replica.pause_replay()
    staff = make_staff("writer")
    parent = services.comment_create(
        post=post,
        body="Tell me about replies.",
        author_name="Reader",
        author_email="reader@example.org",
        notify_replies=True,
        user=None,
    )
    services.comment_set_status(comment=parent, status=Comment.Status.APPROVED, actor=staff)
    reply = services.comment_create(post=post, parent=parent, body="A reply.", user=staff)
    email = next(m for m in mailoutbox if m.to == ["reader@example.org"])
    permalink = re.search(r"join in: (\S+)", email.body).group(1)
    unsubscribe = re.search(r"no account needed\): (\S+)", email.body).group(1)
    response = client.get(local_path(permalink))
    assert response.status_code == 302
    assert response["Location"].endswith(f"#comment-{reply.pk}")
    asked = client.get(local_path(unsubscribe))
    assert asked.status_code == 200
    assert f"#comment-{parent.pk}" in asked.content.decode()  # read from the primary
    response = client.post(local_path(unsubscribe))
    assert response.status_code == 200
    parent.refresh_from_db()
    assert parent.notify_replies is False


def test_a_reader_never_goes_back_in_time(replica, client, settings):
    """After seeing "2 thoughts", a reader revalidating their page never gets the older
    "1 thought" back, however long the replica stays behind."""
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 3600
    settings.COMMENTS_MODERATION = "none"
    settings.COMMENTS_EDIT_MINUTES = 0  # an edit window makes the author's pages private
    post = make_post()
    make_comment(post, body="The first thought.")
    replica.wait_caught_up()
    replica.pause_replay()
    post_comment(client, post, body="The second thought.")
    page = client.get(post.get_absolute_url())
    assert "2 thoughts" in page.content.decode()
    drop_old_pin(client)
    again = client.get(
        post.get_absolute_url(),
        HTTP_IF_NONE_MATCH=page["ETag"],
        HTTP_IF_MODIFIED_SINCE=page["Last-Modified"],
    )
    if again.status_code != 304:
        assert again.status_code == 200
        assert "2 thoughts" in again.content.decode()


def test_a_reader_who_saw_the_primary_is_not_sent_back_by_the_replica(replica, settings):
    """A reader served from the primary while the replica was too far behind keeps what
    they saw when the replica is read again: their validators name a newer version."""
    settings.COMMENTS_MODERATION = "none"
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 1
    post = make_post()
    make_comment(post, body="The first thought.")
    replica.wait_caught_up()
    replica.pause_replay()
    writer = Client()
    post_comment(writer, post, body="The second thought.")
    reader = Client()

    def primary_page():
        page = reader.get(post.get_absolute_url())
        return page if "2 thoughts" in page.content.decode() else None

    page = wait_until(primary_page, what="the lagging replica left for the primary", interval=0.3)
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 3600  # the replica is readable again
    again = reader.get(
        post.get_absolute_url(),
        HTTP_IF_NONE_MATCH=page["ETag"],
        HTTP_IF_MODIFIED_SINCE=page["Last-Modified"],
    )
    assert again.status_code == 304


def test_a_scheduled_post_falling_due_bumps_the_version_once(replica, settings):
    """A scheduled post going public while the replica lags bumps the content version
    once: later readers get the same version (and the cached page), not a bump each."""
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 3600
    make_post(title="Already out")
    due = timezone.now() + datetime.timedelta(seconds=1)
    make_post(title="Scheduled for now", published_at=due)
    content_changed()
    replica.wait_caught_up()
    replica.pause_replay()
    wait_until(lambda: timezone.now() > due, what="the scheduled moment")
    with CaptureQueriesContext(connections["default"]) as primary:
        pages = [Client().get("/") for _ in range(5)]
    assert all("Scheduled for now" in page.content.decode() for page in pages)
    bumps = [q for q in primary if q["sql"].startswith('UPDATE "posts_contentversion"')]
    assert len(bumps) == 1
    assert len({page["ETag"] for page in pages}) == 1
    assert ContentVersion.objects.get().next_change_at is None


def test_a_replica_further_behind_than_the_limit_is_not_read(replica, client, settings):
    """Lag is measured and shown by /healthz; past DATABASE_REPLICA_MAX_LAG_SECONDS every
    reader reads from the primary, and once it has caught up, from the replica again."""
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 1
    post = make_post()
    replica.wait_caught_up()
    replica.pause_replay()
    staff = make_staff("writer")
    services.comment_create(post=post, body="Approved during the lag.", user=staff)

    def lagging():
        body = client.get("/healthz").json()
        return body if body["checks"].get("database_replica") == "lagging" else None

    health = wait_until(lagging, what="the lag passing the limit", interval=0.3)
    assert health["status"] == "degraded"
    assert health["replica"]["lag_seconds"] > 1
    assert health["replica"]["max_lag_seconds"] == 1
    with replica_reads() as queries:
        page = client.get(post.get_absolute_url()).content.decode()
    assert "Approved during the lag." in page
    assert len(queries) == 0

    replica.resume_replay()
    replica.wait_caught_up()
    wait_until(
        lambda: client.get("/healthz").json()["status"] == "ok",
        what="the replica caught up",
        interval=0.3,
    )
    with replica_reads() as queries:
        assert "Approved during the lag." in client.get(post.get_absolute_url()).content.decode()
    assert len(queries) > 0
