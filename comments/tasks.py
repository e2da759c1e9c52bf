"""The comment emails as background tasks (django-tasks).

Mail is sent outside the reader's request: the services queue a task once the comment's
transaction commits, and a worker sends it. Which queue runs the tasks is the TASKS
setting (see settings: "immediate" in development and tests, the database queue read by
``manage.py worker`` in production). The senders in ``notifications`` stay plain
functions, so commands and tests can call them directly.
"""

from django_tasks import task

from comments import following, notifications

# Each task passes its own id as the sender: a task run again after its worker died may
# finish a send it had claimed, and no other may (comments.delivery).


@task(takes_context=True)
def notify_moderators(context, comment_id: int) -> None:
    notifications.notify_moderators(comment_id, sender=str(context.task_result.id))


@task(takes_context=True)
def notify_parent_author(context, reply_id: int) -> None:
    notifications.notify_parent_author(reply_id, sender=str(context.task_result.id))


@task(takes_context=True)
def offer_email_confirmation(context, comment_id: int) -> None:
    notifications.offer_email_confirmation(comment_id, sender=str(context.task_result.id))


@task(takes_context=True)
def notify_followers(context, comment_id: int) -> None:
    following.notify_followers(comment_id, sender=str(context.task_result.id))


@task(takes_context=True)
def send_follow_confirmation(context, subscription_id: int, token: str) -> None:
    following.send_follow_confirmation(subscription_id, token, sender=str(context.task_result.id))


@task(takes_context=True)
def send_digest(context, subscription_id: int, until_iso: str) -> None:
    following.send_digest(subscription_id, until_iso, sender=str(context.task_result.id))
