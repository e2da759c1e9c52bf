"""Faults survived with nothing lost: the database, Redis and the mail server failing.

Each fault is real where the machine allows it (a PostgreSQL backend terminated from a
second connection, an SQLite write lock held by another connection, a private
redis-server stopped mid-run, a mail server that accepts and never answers, a closed
port) and simulated only for a database error at an exact point inside the write.
"""

import logging
import socket
import sqlite3
import threading

import httpx
import pytest
import redis
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from comments import services
from comments.models import Comment, CommentEvent, SentMail
from msblog.settings import redis_cache
from tests import servers
from tests.factories import comment_form_data, make_post, make_staff

BODY = "My carefully written reply, which must not be lost."


def submit(client, post, **fields):
    return client.post(
        reverse("comments:create", args=[post.pk]), comment_form_data(post, **fields)
    )


def make_discussion():
    """A post with a small approved thread written through the services (with events)."""
    post = make_post()
    staff = make_staff("writer")
    root = services.comment_create(post=post, body="First.", user=staff)
    reply = services.comment_create(post=post, parent=root, body="A reply.", user=staff)
    services.comment_create(post=post, parent=reply, body="Deeper.", user=staff)
    services.comment_create(post=post, body="Second thread.", user=staff)
    return post, root


def tree_rows():
    return list(
        Comment.objects.order_by("pk").values_list(
            "pk", "parent", "tree_id", "lft", "rght", "level"
        )
    )


def assert_nothing_half_written(rows_before, events_before):
    """The same rows as before, a tree that rebuilding leaves unchanged, no stray events."""
    assert tree_rows() == rows_before
    assert CommentEvent.objects.count() == events_before
    assert not CommentEvent.objects.exclude(comment__in=Comment.objects.all()).exists()
    assert not Comment.objects.exclude(events__action=CommentEvent.Action.CREATED).exists()
    Comment.objects.rebuild()
    assert tree_rows() == rows_before


def assert_try_again_page(response, page_soup):
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    soup = page_soup(response)
    assert "could not be saved just now" in soup.select_one(".form-errors").get_text()
    # A browser drops the newline that opens a textarea; html.parser keeps it.
    assert soup.select_one("#id_body").get_text().removeprefix("\n") == BODY
    assert "Traceback" not in response.content.decode()


# --- the database -------------------------------------------------------------------


@pytest.mark.django_db
def test_database_error_during_the_write_answers_503_and_keeps_the_text(
    monkeypatch, page_soup, caplog
):
    """The database fails after the comment row is written: 503, text kept, nothing saved."""
    post, root = make_discussion()
    rows, events = tree_rows(), CommentEvent.objects.count()

    def failing_record_event(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "record_event", failing_record_event)
    with caplog.at_level(logging.ERROR):
        response = submit(Client(), post, parent=str(root.pk), body=BODY)

    assert_try_again_page(response, page_soup)
    assert page_soup(response).select_one("#comments, .comment-list") is not None
    assert_nothing_half_written(rows, events)
    assert "not saved: the database failed" in caplog.text


@pytest.mark.django_db
def test_database_that_stays_down_still_gives_the_form_back(monkeypatch, page_soup):
    """If even the page cannot be read, a plain page with the form and the text is shown."""
    post, _ = make_discussion()
    rows, events = tree_rows(), CommentEvent.objects.count()

    def down(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(services, "record_event", down)
    monkeypatch.setattr("comments.views.discussion_for", down)
    response = submit(Client(), post, body=BODY)

    assert_try_again_page(response, page_soup)
    assert page_soup(response).select_one("title").get_text().startswith("Please try again")
    assert_nothing_half_written(rows, events)


@pytest.mark.django_db
def test_database_lost_right_after_the_save_still_shows_the_comment(monkeypatch):
    """The comment is committed, then the database goes before its page is worked out:
    the reader is not told "could not be saved" (a resend would be refused as a duplicate)
    but sent to the post at their comment, which their browser remembers as theirs."""
    post, _ = make_discussion()

    def down(*args, **kwargs):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr("comments.views.page_number_of", down)
    client = Client()
    response = submit(client, post, body=BODY)
    comment = Comment.objects.get(body=BODY)
    assert response.status_code == 302
    assert response["Location"] == f"{post.get_absolute_url()}#comment-{comment.pk}"
    monkeypatch.undo()
    assert BODY in client.get(post.get_absolute_url()).content.decode()


@pytest.mark.django_db(transaction=True)
def test_sqlite_write_lock_held_elsewhere_answers_503_then_posting_again_works(page_soup):
    """Another process holds SQLite's write lock past the timeout: 503, then a retry works."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's database lock")
    post, _ = make_discussion()
    rows, events = tree_rows(), CommentEvent.objects.count()
    options = connection.settings_dict["OPTIONS"]
    saved_timeout = options["timeout"]
    blocker = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    try:
        connection.close()
        options["timeout"] = 0.2
        blocker.execute("BEGIN IMMEDIATE")
        response = submit(Client(), post, body=BODY)
        assert_try_again_page(response, page_soup)
        blocker.execute("ROLLBACK")
        assert_nothing_half_written(rows, events)
        assert submit(Client(), post, body=BODY).status_code == 302
    finally:
        blocker.close()
        connection.close()
        options["timeout"] = saved_timeout
    assert Comment.objects.filter(body=BODY).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_connection_killed_during_the_write(monkeypatch, page_soup):
    """PostgreSQL kills the app's connection mid-write: 503, text kept, no half a tree."""
    post, root = make_discussion()
    rows, events = tree_rows(), CommentEvent.objects.count()
    real_record_event = services.record_event
    killed = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        app_pid = cursor.fetchone()[0]

    def kill_app_then_record(*args, **kwargs):
        # By now the reply is inserted and its tree's lft/rght shifted, uncommitted.
        killed.append(
            servers.terminate("SELECT pid FROM pg_stat_activity WHERE pid = %s", [app_pid])
        )
        return real_record_event(*args, **kwargs)

    monkeypatch.setattr(services, "record_event", kill_app_then_record)
    client = Client()
    response = submit(client, post, parent=str(root.pk), body=BODY)

    assert killed == [1]
    assert_try_again_page(response, page_soup)
    monkeypatch.setattr(services, "record_event", real_record_event)
    assert_nothing_half_written(rows, events)
    assert submit(client, post, parent=str(root.pk), body=BODY).status_code == 302


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_next_request_after_a_killed_connection_succeeds(tmp_path):
    """With persistent connections (CONN_MAX_AGE=60) and health checks on, the request after
    PostgreSQL terminated the app's idle connection is served, and so is a comment."""
    post, _ = make_discussion()
    app_name = "msblog-fault-test"
    with (
        servers.gunicorn(
            tmp_path, CONN_MAX_AGE="60", PGAPPNAME=app_name, COMMENTS_MIN_SUBMIT_SECONDS="0"
        ) as (base, app),
        httpx.Client(timeout=30) as http,
    ):
        assert http.get(base + post.get_absolute_url()).status_code == 200
        by_name = "SELECT pid FROM pg_stat_activity WHERE application_name = %s"
        assert servers.terminate(by_name, [app_name]) == 1, "the app kept no connection open"

        page = http.get(base + post.get_absolute_url())
        assert page.status_code == 200, app.output()
        assert "Second thread." in page.text
        posted = servers.post_comment(http, base, post.get_absolute_url(), body=BODY)
        assert posted.status_code == 302, app.output()
    assert Comment.objects.filter(body=BODY).count() == 1


def refused_database_url() -> str:
    """A DATABASE_URL of the tests' engine that refuses every connection."""
    if connection.vendor == "sqlite":
        return "sqlite:////nonexistent-directory/msblog.sqlite3"  # unable to open
    return f"postgres://postgres@127.0.0.1:{servers.free_port()}/msblog"  # nothing listens


@pytest.mark.django_db(transaction=True)
def test_database_refusing_connections_keeps_the_readers_text(tmp_path, page_soup):
    """The database refuses every new connection: a comment sent from a page loaded
    earlier gets 503, Retry-After and the form with the reader's text (even though the
    post itself cannot be looked up); pages and feeds get a friendly 503 page."""
    post, root = make_discussion()
    reader = Client()
    loaded = page_soup(reader.get(post.get_absolute_url()))  # while the database answered
    form = loaded.select_one("#commentform")
    data = {field["name"]: field.get("value", "") for field in form.select("input[type=hidden]")}
    data.update(author_name="Tester", body=BODY, parent=str(root.pk), phone="")
    with (
        servers.gunicorn(
            tmp_path, DATABASE_URL=refused_database_url(), COMMENTS_MIN_SUBMIT_SECONDS="0"
        ) as (base, app),
        httpx.Client(timeout=60, cookies={"csrftoken": reader.cookies["csrftoken"].value}) as http,
    ):
        response = http.post(base + form["action"], data=data)
        assert response.status_code == 503, app.output()
        assert response.headers["Retry-After"] == "30"
        soup = page_soup(response)
        assert "could not be saved just now" in soup.select_one(".form-errors").get_text()
        assert soup.select_one("#id_body").get_text().removeprefix("\n") == BODY
        assert soup.select_one("#id_parent")["value"] == str(root.pk)
        assert soup.select_one("#commentform")["action"] == form["action"]
        for path in (post.get_absolute_url(), "/", "/comments/feed/", "/search/?q=x"):
            page = http.get(base + path)
            assert page.status_code == 503, (path, app.output())
            assert page.headers["Retry-After"] == "30"
            assert "no-store" in page.headers["Cache-Control"]
            assert "Please try again in a minute" in page.text, path
            assert "Server Error" not in page.text and "Traceback" not in page.text
        log = app.output()
    assert "OperationalError" in log  # logged for the operator, never shown
    assert not Comment.objects.filter(body=BODY).exists()


# --- Redis --------------------------------------------------------------------------


@pytest.mark.django_db
def test_redis_at_a_closed_port_pages_and_comments_still_work(settings, caplog):
    """REDIS_URL at a closed port: pages serve, comments post, flood control fails open,
    and both failures are logged."""
    settings.CACHES = {"default": redis_cache(f"redis://127.0.0.1:{servers.free_port()}/0")}
    settings.COMMENTS_FLOOD_LIMIT = 1
    post, _ = make_discussion()
    client = Client()
    with caplog.at_level(logging.WARNING):
        page = client.get(post.get_absolute_url())
        answers = [submit(client, post, body=f"Comment {n} without Redis.") for n in range(3)]

    assert page.status_code == 200 and "Second thread." in page.content.decode()
    assert [r.status_code for r in answers] == [302, 302, 302]  # over the limit, let through
    assert Comment.objects.filter(body__endswith="without Redis.").count() == 3
    assert "Exception ignored" in caplog.text  # django-redis, with the connection error
    assert "Connection refused" in caplog.text or "Error 111" in caplog.text
    assert "flood control is off" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_redis_stopped_mid_run(tmp_path):
    """A private redis-server counts the flood until it stops; after that pages still
    serve, comments still post (flood control open), and the app logs the failure."""
    post, _ = make_discussion()
    path = post.get_absolute_url()
    with (
        servers.redis_server(tmp_path) as (redis_url, redis_process),
        servers.gunicorn(
            tmp_path, REDIS_URL=redis_url, COMMENTS_FLOOD_LIMIT="2", COMMENTS_MIN_SUBMIT_SECONDS="0"
        ) as (base, app),
        httpx.Client(timeout=30) as http,
    ):
        codes = [
            servers.post_comment(http, base, path, body=f"Up {n}.").status_code for n in (1, 2, 3)
        ]
        assert codes == [302, 302, 429], app.output()
        assert redis.Redis.from_url(redis_url).keys("*comments:flood:*"), "Redis was not used"

        redis_process.stop()
        page = httpx.get(base + path, timeout=30)  # a reader (this browser has a refused form)
        assert page.status_code == 200 and "Second thread." in page.text
        after = [
            servers.post_comment(http, base, path, body=f"Down {n}.").status_code for n in (1, 2, 3)
        ]
        assert after == [302, 302, 302], app.output()
        log = app.output()
    assert "Exception ignored" in log and "flood control is off" in log
    assert set(
        Comment.objects.filter(body__regex=r"^(Up|Down) ").values_list("body", flat=True)
    ) == {
        "Up 1.",
        "Up 2.",
        "Down 1.",
        "Down 2.",
        "Down 3.",
    }


# --- the mail server ----------------------------------------------------------------


@pytest.fixture
def hanging_mail_server():
    """A local socket that accepts connections and never says a word."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    held, stop = [], threading.Event()

    def serve():
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], held
    stop.set()
    thread.join()
    for sock in held:
        sock.close()
    listener.close()


def smtp_settings(settings, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 2


@pytest.mark.django_db(transaction=True)
def test_hanging_mail_server_with_the_queue(settings, hanging_mail_server):
    """Production setup: the request returns at once; the worker gives up on the hung
    server after EMAIL_TIMEOUT and logs it; the comment is saved."""
    port, held = hanging_mail_server
    smtp_settings(settings, port)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    make_staff("boss", superuser=True, email="boss@example.org")
    post = make_post()

    response = submit(Client(), post, body=BODY)
    assert response.status_code == 302
    assert held == []  # the request never touched the mail server

    env = servers.app_env(
        TASKS_BACKEND="database",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(port),
        EMAIL_USE_TLS="0",
        EMAIL_TIMEOUT="2",
    )
    worker = servers.manage("worker", "--batch", "--no-startup-delay", env=env, timeout=120)
    assert held, "the worker never reached the mail server"
    logged = worker.stdout + worker.stderr  # logs go to stdout (msblog/logs.py)
    assert "could not send" in logged and "timed out" in logged
    assert Comment.objects.get().body == BODY
    # Not lost: the task waits in the queue to be tried again, and nothing claims the mail.
    task = DBTaskResult.objects.get()
    assert (task.status, task.worker_ids != []) == ("READY", True)
    assert task.run_after > timezone.now() and "will run again in 30 s" in logged
    assert not SentMail.objects.exists()


@pytest.mark.django_db
def test_hanging_mail_server_without_a_worker(
    settings, hanging_mail_server, caplog, django_capture_on_commit_callbacks
):
    """Development setup (mail sent in the request): the mail server never answers, yet
    the request returns (EMAIL_TIMEOUT bounds the wait), with the comment saved."""
    port, held = hanging_mail_server
    smtp_settings(settings, port)
    make_staff("boss", superuser=True, email="boss@example.org")
    post = make_post()
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        response = submit(Client(), post, body=BODY)
    assert response.status_code == 302
    assert held, "the mail server was never contacted"
    assert Comment.objects.get().body == BODY
    assert "could not send" in caplog.text and "timed out" in caplog.text


@pytest.mark.django_db
def test_mail_server_refusing_connections(settings, caplog, django_capture_on_commit_callbacks):
    """Nothing listens on the mail port: the comment is saved and the refusal logged."""
    smtp_settings(settings, servers.free_port())
    make_staff("boss", superuser=True, email="boss@example.org")
    post = make_post()
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        response = submit(Client(), post, body=BODY)
    assert response.status_code == 302
    assert Comment.objects.get().body == BODY
    assert "could not send" in caplog.text and "Connection refused" in caplog.text
