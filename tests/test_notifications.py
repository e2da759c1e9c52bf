"""Emails: moderators hear of held comments, commenters of approved replies."""

import logging
from urllib.parse import urlparse

import pytest
from django.contrib.auth.models import Group
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.test import Client
from django.urls import reverse

from comments import services
from comments.models import Comment
from comments.roles import MODERATORS_GROUP
from tests.factories import comment_form_data, make_comment, make_post, make_staff

pytestmark = pytest.mark.django_db


class BrokenMailServer(BaseEmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server is down")


@pytest.fixture
def moderators():
    make_staff("boss", superuser=True, email="boss@example.org")
    mod = make_staff("mod", email="mod@example.org")
    mod.groups.add(Group.objects.get(name=MODERATORS_GROUP))
    make_staff("nobody", email="nobody@example.org")  # staff, but not a moderator


def submit(post, **fields):
    return Client().post(
        reverse("comments:create", args=[post.pk]), comment_form_data(post, **fields)
    )


def path_of(url):
    return urlparse(url).path


def test_moderators_are_told_of_a_held_comment(
    moderators, mailoutbox, django_capture_on_commit_callbacks
):
    """A held comment emails moderators and superusers, with a link to it in the admin."""
    post = make_post(title="On trials")
    with django_capture_on_commit_callbacks(execute=True):
        submit(post, body="Please look at this.", author_email="sam@example.org")
    comment = Comment.objects.get()
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert sorted(mail.to) == ["boss@example.org", "mod@example.org"]
    assert mail.subject.endswith("Please moderate a comment on “On trials”")
    admin_link = f"http://127.0.0.1:8000/admin/comments/comment/{comment.pk}/change/"
    assert admin_link in mail.body
    assert "Please look at this." in mail.body
    assert "Held because: every new comment is held for moderation" in mail.body


def test_moderator_address_setting_overrides_the_group(
    moderators, mailoutbox, settings, django_capture_on_commit_callbacks
):
    """COMMENTS_MODERATOR_EMAILS sends the notices to a fixed list instead."""
    settings.COMMENTS_MODERATOR_EMAILS = ["desk@example.org"]
    with django_capture_on_commit_callbacks(execute=True):
        submit(make_post())
    assert mailoutbox[0].to == ["desk@example.org"]


def test_no_mail_until_the_transaction_commits(moderators, mailoutbox):
    """Mail waits for the commit: a rolled-back comment mails nobody."""
    post = make_post()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.comment_create(post=post, body="Never committed.")
        raise RuntimeError("roll back")
    assert mailoutbox == []
    assert not Comment.objects.exists()


def test_a_broken_mail_server_never_loses_a_comment(
    moderators, settings, caplog, django_capture_on_commit_callbacks
):
    """With the mail server down the comment is saved, the reader redirected, the error logged."""
    settings.EMAIL_BACKEND = "tests.test_notifications.BrokenMailServer"
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        response = submit(make_post(), body="Saved anyway.")
    assert response.status_code == 302
    assert Comment.objects.get().body == "Saved anyway."
    assert "could not send" in caplog.text and "SMTP server is down" in caplog.text


def reply_approved(post, parent, mod, captured, **fields):
    with captured(execute=True):
        submit(post, parent=str(parent.pk), **fields)
    reply = Comment.objects.get(body=fields["body"])
    with captured(execute=True):
        services.comment_set_status(comment=reply, status="approved", actor=mod)
    return reply


def test_reply_notification_with_working_unsubscribe(
    mailoutbox, django_capture_on_commit_callbacks, page_soup
):
    """A commenter who asked is emailed when a reply is approved; the link's page has a
    button that unsubscribes."""
    post = make_post(title="On trials")
    parent = make_comment(
        post, author_name="Heather", author_email="heather@example.org", notify_replies=True
    )
    mod = make_staff("mod")
    reply = reply_approved(
        post, parent, mod, django_capture_on_commit_callbacks, body="I agree with Heather."
    )
    mails = [m for m in mailoutbox if m.to == ["heather@example.org"]]
    assert len(mails) == 1
    mail = mails[0]
    assert "Hello Heather," in mail.body and "I agree with Heather." in mail.body
    assert f"http://127.0.0.1:8000/comments/{reply.pk}/" in mail.body  # its permalink
    unsubscribe = next(
        line.split(": ", 1)[1] for line in mail.body.splitlines() if line.startswith("Stop")
    )
    assert mail.extra_headers["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert mail.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    reader = Client(enforce_csrf_checks=True)
    page = reader.get(path_of(unsubscribe))
    assert page.status_code == 200 and "Stop emails about replies?" in page.content.decode()
    assert Comment.objects.get(pk=parent.pk).notify_replies  # a GET only asks
    form = page_soup(page).select_one("form.unsubscribe")
    assert form["method"] == "post" and form["action"] == path_of(unsubscribe)
    done = reader.post(form["action"])  # the signed link is the credential (RFC 8058)
    assert done.status_code == 200 and "You are unsubscribed" in done.content.decode()
    assert not Comment.objects.get(pk=parent.pk).notify_replies
    mailoutbox.clear()
    reply_approved(post, parent, mod, django_capture_on_commit_callbacks, body="Another reply.")
    assert [m for m in mailoutbox if m.to == ["heather@example.org"]] == []


def test_one_click_unsubscribe_by_post_needs_no_csrf_token(
    mailoutbox, django_capture_on_commit_callbacks
):
    """Mail clients' one-click POST (RFC 8058) works without a session or CSRF token."""
    parent = make_comment(make_post(), author_email="h@example.org", notify_replies=True)
    from comments.notifications import unsubscribe_token

    url = reverse("comments:unsubscribe", args=[unsubscribe_token(parent)])
    response = Client(enforce_csrf_checks=True).post(url)
    assert response.status_code == 200
    assert not Comment.objects.get(pk=parent.pk).notify_replies


def test_following_the_unsubscribe_link_changes_nothing():
    """Mail scanners follow links (GET, HEAD): that never unsubscribes anyone."""
    parent = make_comment(make_post(), author_email="h@example.org", notify_replies=True)
    from comments.notifications import unsubscribe_token

    url = reverse("comments:unsubscribe", args=[unsubscribe_token(parent)])
    for _ in range(2):
        assert Client().get(url).status_code == 200
        assert Client().head(url).status_code == 200
    assert Comment.objects.get(pk=parent.pk).notify_replies


def test_forged_unsubscribe_link_is_refused():
    """A tampered token changes nothing and says the link is not valid."""
    parent = make_comment(make_post(), author_email="h@example.org", notify_replies=True)
    url = reverse("comments:unsubscribe", args=[f"{parent.pk}:forged"])
    response = Client().get(url)
    assert response.status_code == 400 and "not valid" in response.content.decode()
    assert Comment.objects.get(pk=parent.pk).notify_replies


def test_resubscribe_after_unsubscribing():
    """The unsubscribed page offers to subscribe again."""
    parent = make_comment(make_post(), author_email="h@example.org", notify_replies=True)
    from comments.notifications import unsubscribe_token

    token = unsubscribe_token(parent)
    client = Client()
    client.post(reverse("comments:unsubscribe", args=[token]))
    assert not Comment.objects.get(pk=parent.pk).notify_replies
    client.post(reverse("comments:resubscribe", args=[token]))
    assert Comment.objects.get(pk=parent.pk).notify_replies


def test_no_notification_without_consent_or_to_oneself(
    mailoutbox, django_capture_on_commit_callbacks
):
    """Nobody is mailed who did not ask, nor about their own reply."""
    post = make_post()
    quiet = make_comment(post, author_email="quiet@example.org", notify_replies=False)
    keen = make_comment(post, author_email="keen@example.org", notify_replies=True)
    mod = make_staff("mod")
    reply_approved(post, quiet, mod, django_capture_on_commit_callbacks, body="To the quiet one.")
    reply_approved(
        post,
        keen,
        mod,
        django_capture_on_commit_callbacks,
        body="Talking to myself.",
        author_email="keen@example.org",
    )
    recipients = {address for mail in mailoutbox for address in mail.to}
    assert "quiet@example.org" not in recipients and "keen@example.org" not in recipients


def test_notification_is_sent_once_even_if_approved_again(
    mailoutbox, django_capture_on_commit_callbacks
):
    """Unapproving and re-approving a reply does not mail its parent's author twice."""
    post = make_post()
    parent = make_comment(post, author_email="h@example.org", notify_replies=True)
    mod = make_staff("mod")
    reply = reply_approved(post, parent, mod, django_capture_on_commit_callbacks, body="Hi.")
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_set_status(comment=reply, status="removed", actor=mod)
        services.comment_restore(comment=reply, actor=mod)
    assert len([m for m in mailoutbox if m.to == ["h@example.org"]]) == 1
