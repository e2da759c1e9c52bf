"""Sending an email once: at least once, and never twice after a send that completed.

A worker can die at any moment of a send (killed, its database connection cut), and its
task is then run again (comments.worker). Each email has a key ("moderators:ID",
"reply:ID") and a SentMail row:

1. claim: the row is created, naming the task that sends (``sender``); if it exists
   already, the mail was sent (``sent_at``), or another task is sending it, and this
   attempt stops, unless the row names this very task: its earlier run died before
   the send was recorded, so it sends again (at least once rather than never);
2. send, on a connection opened for it;
3. record ``sent_at`` once the server accepted the message and before the connection
   is closed, so a crash after the server's "250 OK" finds the record. Losing the record
   would mean mailing twice, so it is retried on a fresh database connection.

A send that fails (mail server down, refused, timed out) is logged, its claim is given up
and the error raised, so that the worker tries the task again later; the comment it is
about is never affected.
"""

import contextlib
import logging
import time

from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, connection
from django.utils import timezone

from comments.models import SentMail
from msblog.errors import DATABASE_DOWN

logger = logging.getLogger(__name__)

RECORD_DEADLINE_SECONDS = 60  # how long to keep trying to record a completed send


def send_once(key: str, message: EmailMessage, *, sender: str = "") -> bool:
    """Send ``message`` unless mail ``key`` was sent already; True if it was sent now."""
    if not claim(key, sender):
        logger.info("not sending %s again: it was sent or is being sent", key)
        return False
    mail_connection = get_connection()
    try:
        mail_connection.open()
        mail_connection.send_messages([message])
    except Exception:
        logger.exception("could not send %r to %s", message.subject, message.to)
        SentMail.objects.filter(key=key, sent_at=None).delete()  # free for the next try
        with contextlib.suppress(Exception):
            mail_connection.close()
        raise
    record_sent(key)
    try:
        mail_connection.close()
    except Exception:  # the message is delivered and recorded; only the goodbye failed
        logger.warning("mail server did not close cleanly after %s", key, exc_info=True)
    return True


def claim(key: str, sender: str) -> bool:
    try:
        record, created = SentMail.objects.get_or_create(key=key, defaults={"sender": sender})
    except IntegrityError:  # claimed by someone else between our read and our insert
        return False
    if created:
        return True
    return record.sent_at is None and bool(sender) and record.sender == sender


def record_sent(key: str) -> None:
    deadline = time.monotonic() + RECORD_DEADLINE_SECONDS
    while True:
        try:
            SentMail.objects.filter(key=key).update(sent_at=timezone.now())
            return
        except DATABASE_DOWN:
            if connection.in_atomic_block or time.monotonic() > deadline:
                raise
            logger.warning("sent %s but could not record it yet; retrying", key, exc_info=True)
            connection.close()  # the next query opens a new connection
            time.sleep(1)
