"""Comment emails are tasks: queued after commit, sent by a worker outside the request."""

import email
import email.policy
import logging
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django_tasks.backends.base import BaseTaskBackend
from django_tasks_db.models import DBTaskResult

from comments import services
from comments.models import Comment, SentMail
from tests import servers
from tests.factories import comment_form_data, make_post, make_staff

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


class QueueDown(BaseTaskBackend):
    def enqueue(self, task, args, kwargs):
        raise ConnectionError("task queue unreachable")


@pytest.fixture
def database_queue(settings):
    settings.TASKS = DATABASE_QUEUE


def submit(post, **fields):
    return Client().post(
        reverse("comments:create", args=[post.pk]), comment_form_data(post, **fields)
    )


def console_mails(output: str) -> list[email.message.EmailMessage]:
    """The messages Django's console email backend printed among a process's output."""
    mails = []
    for chunk in output.split("-" * 79):
        if "Content-Type:" in chunk:
            text = chunk[chunk.index("Content-Type:") :]
            mails.append(email.message_from_string(text, policy=email.policy.default))
    return mails


def queued(task_name: str) -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=f"comments.tasks.{task_name}"))


@pytest.mark.django_db
def test_held_comment_queues_the_moderators_mail_instead_of_sending_it(
    database_queue, mailoutbox, django_capture_on_commit_callbacks
):
    """On the database queue the request only stores a task; nothing is sent in it."""
    make_staff("boss", superuser=True, email="boss@example.org")
    post = make_post()
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(post, body="Queue my notice.")
    assert response.status_code == 302
    comment = Comment.objects.get()
    assert mailoutbox == []
    [task] = queued("notify_moderators")
    assert task.status == "READY"
    assert task.args_kwargs == {"args": [comment.pk], "kwargs": {}}


@pytest.mark.django_db(transaction=True)
def test_the_task_commits_and_rolls_back_with_the_comment(database_queue):
    """The notice's task is written in the comment's own transaction: a rolled-back write
    queues nothing, and a committed one has its task already queued."""
    post = make_post()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.comment_create(post=post, body="Rolled back.")
        raise RuntimeError("the write fails after the comment")
    assert not Comment.objects.exists() and not DBTaskResult.objects.exists()
    comment = services.comment_create(post=post, body="Kept.")
    [task] = queued("notify_moderators")
    assert task.args_kwargs == {"args": [comment.pk], "kwargs": {}}


@pytest.mark.django_db(transaction=True)
def test_a_database_failing_on_the_task_saves_neither(database_queue, monkeypatch, page_soup):
    """If the database takes the comment but not its task (it went away in between), the
    comment is not saved either: the reader gets 503 with their text, never a comment
    whose email is lost."""
    from django.db import OperationalError
    from django_tasks_db import DatabaseBackend

    def refused(*args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    make_staff("boss", superuser=True, email="boss@example.org")
    monkeypatch.setattr(DatabaseBackend, "enqueue", refused)
    response = submit(make_post(), body="Queue me with my comment.")
    saved, queued_tasks = Comment.objects.count(), DBTaskResult.objects.count()
    assert (saved, queued_tasks) == (0, 0)
    assert response.status_code == 503
    assert "Queue me with my comment." in page_soup(response).select_one("#id_body").get_text()


@pytest.mark.django_db
def test_a_queue_that_refuses_the_task_never_loses_the_comment(
    settings, caplog, django_capture_on_commit_callbacks
):
    """If the queue cannot take the mail task, the comment is saved and the failure logged."""
    settings.TASKS = {"default": {"BACKEND": "tests.test_mail_queue.QueueDown"}}
    make_staff("boss", superuser=True, email="boss@example.org")
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        response = submit(make_post(), body="Saved without a queue.")
    assert response.status_code == 302
    assert Comment.objects.get().body == "Saved without a queue."
    assert "task queue unreachable" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_sends_the_queued_mail(database_queue):
    """A real `manage.py worker` process picks the task up and sends the email once."""
    make_staff("boss", superuser=True, email="boss@example.org")
    post = make_post(title="On trials")
    response = submit(post, body="Please look at this, worker.")
    assert response.status_code == 302
    [task] = queued("notify_moderators")

    env = servers.app_env(
        TASKS_BACKEND="database", EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend"
    )
    worker = servers.manage("worker", "--batch", "--no-startup-delay", env=env)

    assert worker.returncode == 0, worker.stderr
    [mail] = console_mails(worker.stdout)
    assert mail["Subject"].endswith("Please moderate a comment on “On trials”")
    assert mail["To"] == "boss@example.org"
    assert "Please look at this, worker." in mail.get_content()
    task.refresh_from_db()
    assert task.status == "SUCCESSFUL"
    again = servers.manage("worker", "--batch", "--no-startup-delay", env=env)
    assert console_mails(again.stdout) == []  # sent once, not again by a second run


# The worker (manage.py worker) against faults: every queued email arrives exactly once.

WORKER_WAIT = 180  # seconds; polls end as soon as the condition holds


@pytest.fixture
def sink():
    with servers.smtp_sink() as (port, sink):
        sink.port = port
        yield sink


def queue_notices(count: int) -> list[str]:
    """Hold ``count`` comments, each queuing a moderators' notice; returns their texts."""
    if not get_user_model().objects.filter(username="boss").exists():
        make_staff("boss", superuser=True, email="boss@example.org")
    post = make_post()
    texts = [f"Notice {uuid.uuid4().hex}." for _ in range(count)]
    for text in texts:
        services.comment_create(post=post, body=text)
    return texts


def mail_env(sink, **extra) -> dict:
    return {
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(sink.port),
        "EMAIL_USE_TLS": "0",
        "EMAIL_TIMEOUT": "120",
        "TASKS_RUNNING_TIMEOUT": "3",
        **extra,
    }


def all_sent(sink, texts) -> bool:
    done = not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()
    return done and all(any(text in body for body in sink.bodies()) for text in texts)


def assert_each_sent_once(sink, texts) -> None:
    bodies = sink.bodies()
    assert [sum(text in body for body in bodies) for text in texts] == [1] * len(texts)
    assert len(bodies) == len(texts)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_worker_survives_its_database_connection_killed_mid_send(
    database_queue, sink, tmp_path
):
    """PostgreSQL kills the worker's connection while a mail is half sent: the worker lives
    on, records the send on a new connection, and every email arrives exactly once."""
    texts = queue_notices(3)
    sink.hold("RCPT")
    by_name = "SELECT pid FROM pg_stat_activity WHERE application_name = %s"
    with servers.worker(tmp_path, name="worker-killed-connection", **mail_env(sink)) as worker:
        servers.wait_until(sink.holding.is_set, timeout=WORKER_WAIT, what="a mail under way")
        assert servers.terminate(by_name, ["msblog-worker-killed-connection"]) >= 1
        sink.release()
        servers.wait_until(lambda: all_sent(sink, texts), timeout=WORKER_WAIT, what="mail")
        servers.terminate(by_name, ["msblog-worker-killed-connection"])  # idle, this time
        texts += queue_notices(1)
        servers.wait_until(lambda: all_sent(sink, texts), timeout=WORKER_WAIT, what="mail")
        assert worker.popen.poll() is None, worker.output()
    assert_each_sent_once(sink, texts)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("stage", ["RCPT", "QUIT"])
def test_a_task_left_running_by_a_killed_worker_is_sent_exactly_once(
    database_queue, sink, tmp_path, stage
):
    """The worker is killed mid-send, before the server took the mail (RCPT) or after
    (QUIT): the task it left RUNNING is run again by the next worker after
    TASKS_RUNNING_TIMEOUT, and each email arrives exactly once."""
    texts = queue_notices(2)
    sink.hold(stage)
    with servers.worker(tmp_path, name="worker-first", **mail_env(sink)) as first:
        servers.wait_until(sink.holding.is_set, timeout=WORKER_WAIT, what="a mail under way")
        first.popen.kill()
        first.popen.wait()
    sink.release()
    assert DBTaskResult.objects.filter(status="RUNNING").count() == 1
    with servers.worker(tmp_path, name="worker-restarted", **mail_env(sink)) as second:
        servers.wait_until(lambda: all_sent(sink, texts), timeout=WORKER_WAIT, what="mail")
        assert "its worker is gone" in second.output()
    assert_each_sent_once(sink, texts)
    assert SentMail.objects.filter(sent_at__isnull=False).count() == 2
