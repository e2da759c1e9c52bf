"""Comment emails are tasks: queued after commit, sent by a worker outside the request."""

import email
import email.policy
import logging

import pytest
from django.test import Client
from django.urls import reverse
from django_tasks.backends.base import BaseTaskBackend
from django_tasks_db.models import DBTaskResult

from comments import services
from comments.models import Comment
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


@pytest.mark.django_db
def test_the_task_is_queued_only_once_the_comment_commits(
    database_queue, django_capture_on_commit_callbacks
):
    """Until the transaction commits there is no task, so a rollback mails nobody."""
    post = make_post()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.comment_create(post=post, body="Wait for the commit.")
        assert not DBTaskResult.objects.exists()
    assert len(callbacks) == 1
    callbacks[0]()
    assert len(queued("notify_moderators")) == 1


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
    """A real `manage.py db_worker` process picks the task up and sends the email once."""
    make_staff("boss", superuser=True, email="boss@example.org")
    post = make_post(title="On trials")
    response = submit(post, body="Please look at this, worker.")
    assert response.status_code == 302
    [task] = queued("notify_moderators")

    env = servers.app_env(
        TASKS_BACKEND="database", EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend"
    )
    worker = servers.manage("db_worker", "--batch", "--no-startup-delay", "--no-reload", env=env)

    assert worker.returncode == 0, worker.stderr
    [mail] = console_mails(worker.stdout)
    assert mail["Subject"].endswith("Please moderate a comment on “On trials”")
    assert mail["To"] == "boss@example.org"
    assert "Please look at this, worker." in mail.get_content()
    task.refresh_from_db()
    assert task.status == "SUCCESSFUL"
    again = servers.manage("db_worker", "--batch", "--no-startup-delay", "--no-reload", env=env)
    assert console_mails(again.stdout) == []  # sent once, not again by a second run
