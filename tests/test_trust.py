"""Trust that is earned (COMMENTS_MODERATION=known): an author is published without waiting
only after confirming their email through the signed link sent on their first approved
comment, so typing someone else's address publishes nothing."""

import re
from urllib.parse import urlparse

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from comments import services, trust
from comments.models import Comment, Commenter
from tests.factories import comment_form_data, make_comment, make_post, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def known(settings):
    settings.COMMENTS_MODERATION = "known"
    settings.COMMENTS_MIN_SUBMIT_SECONDS = 0


def submit(post, **fields):
    return Client().post(
        reverse("comments:create", args=[post.pk]), comment_form_data(post, **fields)
    )


def confirmation_link(mail) -> str:
    return urlparse(re.search(r"https?://\S+/comments/confirm/\S+/", mail.body)[0]).path


def approve(comment, moderator):
    services.comments_moderate(comments=[comment], action="approve", actor=moderator)


def test_typing_a_known_authors_address_publishes_nothing(known):
    """An approved comment alone does not make its address trusted: an impostor is held."""
    post = make_post()
    make_comment(post, author_email="heather@example.org", status="approved")
    submit(post, author_email="heather@example.org", author_name="Not Heather", body="Buy pills")
    impostor = Comment.objects.get(body="Buy pills")
    assert impostor.status == "pending"
    assert impostor.moderation_reason == "author has not confirmed their email yet"


def test_first_approval_mails_a_link_that_earns_trust(
    known, mailoutbox, django_capture_on_commit_callbacks
):
    """First comment held, approved, link mailed; after confirming, the next is published."""
    post = make_post(title="On trials")
    moderator = make_staff("mod")
    submit(post, author_email="Heather@Example.org", body="First words.")
    first = Comment.objects.get(body="First words.")
    assert first.status == "pending"
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        approve(first, moderator)
    [mail] = mailoutbox
    assert mail.to == ["Heather@Example.org"]
    assert mail.subject.endswith("Please confirm your email address")
    link = confirmation_link(mail)

    reader = Client(enforce_csrf_checks=True)
    page = reader.get(link)
    assert page.status_code == 200 and "heather@example.org" in page.content.decode()
    assert not Commenter.objects.get(email="heather@example.org").confirmed_at  # GET only asks
    token = page.content.decode().split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    done = reader.post(link, {"csrfmiddlewaretoken": token})
    assert done.status_code == 200 and "is confirmed" in done.content.decode()

    submit(post, author_email="heather@example.org", body="Second words.")
    second = Comment.objects.get(body="Second words.")
    assert second.status == "approved"
    assert "confirmed their email" in second.events.get().reason


def test_the_link_is_sent_once(known, mailoutbox, django_capture_on_commit_callbacks):
    """A second approval while the first link is still valid sends no second email."""
    post = make_post()
    moderator = make_staff("mod")
    comments = [
        make_comment(post, status="pending", author_email="sam@example.org") for _ in range(2)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        for comment in comments:
            approve(comment, moderator)
    assert len(mailoutbox) == 1


@pytest.mark.parametrize("token", ["forged", trust.confirmation_token("a@example.org") + "x"])
def test_a_forged_link_confirms_nothing(known, token):
    """A token that is not ours is a 400 page, and no address is confirmed."""
    response = Client().post(reverse("comments:confirm-email", args=[token]))
    assert response.status_code == 400
    assert not Commenter.objects.filter(confirmed_at__isnull=False).exists()


def test_an_expired_link_confirms_nothing(known):
    """After 14 days the link no longer works."""
    token = trust.confirmation_token("late@example.org")
    with time_machine.travel(timezone.now() + trust.CONFIRM_MAX_AGE + timezone.timedelta(hours=1)):
        response = Client().post(reverse("comments:confirm-email", args=[token]))
    assert response.status_code == 400


def test_team_and_unconfirmed_policies_send_no_link(
    settings, mailoutbox, django_capture_on_commit_callbacks
):
    """Under the default policy ("all") a plain approval mails no confirmation link."""
    post = make_post()
    comment = make_comment(post, status="pending", author_email="sam@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        approve(comment, make_staff("mod"))
    assert not [m for m in mailoutbox if "confirm" in m.subject]


def test_approve_and_trust_publishes_a_confirmed_author_even_under_all(
    mailoutbox, django_capture_on_commit_callbacks
):
    """ "Approve & trust" under the default policy: the link is mailed at once, and after it
    is followed the author's comments skip the queue."""
    post = make_post()
    comment = make_comment(post, status="pending", author_email="olive@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_approve_and_trust(comment=comment, actor=make_staff("mod"))
    [mail] = mailoutbox
    submit(post, author_email="olive@example.org", body="Before confirming.")
    assert Comment.objects.get(body="Before confirming.").status == "pending"
    Client().post(confirmation_link(mail))
    submit(post, author_email="olive@example.org", body="After confirming.")
    published = Comment.objects.get(body="After confirming.")
    assert published.status == "approved"
    assert published.moderation_reason == ""
