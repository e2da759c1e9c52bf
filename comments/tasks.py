"""The comment emails as background tasks (django-tasks).

Mail is sent outside the reader's request: the services queue a task once the comment's
transaction commits, and a worker sends it. Which queue runs the tasks is the TASKS
setting (see settings: "immediate" in development and tests, the database queue read by
``manage.py db_worker`` in production). The senders in ``notifications`` stay plain
functions, so commands and tests can call them directly.
"""

from django_tasks import task

from comments import following, notifications


@task()
def notify_moderators(comment_id: int) -> None:
    notifications.notify_moderators(comment_id)


@task()
def notify_parent_author(reply_id: int) -> None:
    notifications.notify_parent_author(reply_id)


@task()
def notify_followers(comment_id: int) -> None:
    following.notify_followers(comment_id)


@task()
def send_follow_confirmation(subscription_id: int, token: str) -> None:
    following.send_follow_confirmation(subscription_id, token)


@task()
def send_digest(subscription_id: int, until_iso: str) -> None:
    following.send_digest(subscription_id, until_iso)
