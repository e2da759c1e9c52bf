"""Following a discussion: every new approved comment on a post by email, one at a time
or in a daily digest, confirmed by email first (double opt-in), stopped in one click."""

import datetime
import re
from urllib.parse import urlparse

import pytest
import time_machine
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from comments import services
from comments.models import Comment, Subscription
from tests.factories import comment_form_data, make_comment, make_post

pytestmark = pytest.mark.django_db

FOLLOWER = "follower@example.org"


class BrokenMailServer(BaseEmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server is down")


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run the emails a block queues once it commits, as a worker would."""

    def captured():
        return django_capture_on_commit_callbacks(execute=True)

    return captured


def link_in(mail, path_start: str) -> str:
    """The path of the first link in ``mail`` that starts with ``path_start``."""
    for url in re.findall(r"https?://\S+", mail.body):
        path = urlparse(url).path
        if path.startswith(path_start):
            return path
    raise AssertionError(f"no {path_start} link in {mail.body!r}")


def ask_to_follow(post, email=FOLLOWER, mode="each", client=None):
    client = client or Client()
    return client.post(reverse("comments:follow", args=[post.pk]), {"email": email, "mode": mode})


def follow_confirmed(post, mailoutbox, run_on_commit, mode="each", email=FOLLOWER):
    with run_on_commit():
        ask_to_follow(post, email=email, mode=mode)
    confirm = link_in(mailoutbox[-1], "/comments/follow/confirm/")
    Client().post(confirm)
    mailoutbox.clear()
    return Subscription.objects.get(email=email, post=post)


def approve(comment, run_on_commit):
    with run_on_commit():
        services.comment_set_status(comment=comment, status="approved")


def test_the_post_page_links_the_follow_form(client, page_soup):
    """Under the comment form: "Follow this discussion by email", to a form for it."""
    post = make_post(title="On trials")
    soup = page_soup(client.get(post.get_absolute_url()))
    link = soup.select_one("#respond .follow-discussion a")
    assert link["href"] == reverse("comments:follow", args=[post.pk])
    form = page_soup(client.get(link["href"]))
    assert form.select_one("input[name=email]")["type"] == "email"
    modes = [i["value"] for i in form.select("input[name=mode]")]
    assert modes == ["each", "daily"]
    assert "On trials" in form.select_one("h1").get_text()


def test_asking_sends_a_confirmation_and_nothing_else(mailoutbox, run_on_commit, page_soup):
    """A request is only a request: one email asking to confirm, no comment emails yet."""
    post = make_post(title="On trials")
    client = Client()
    with run_on_commit():
        response = ask_to_follow(post, client=client)
    assert response.status_code == 303
    page = client.get(response["Location"])
    assert f"we have sent a link to {FOLLOWER}" in page.content.decode()
    [mail] = mailoutbox
    assert mail.to == [FOLLOWER]
    assert "Confirm" in mail.subject and "On trials" in mail.subject
    assert "If you did not ask" in mail.body
    subscription = Subscription.objects.get()
    assert subscription.confirmed_at is None
    mailoutbox.clear()
    approve(make_comment(post, status="pending", body="Not for strangers."), run_on_commit)
    assert mailoutbox == []


def test_the_confirmation_link_asks_before_it_confirms(mailoutbox, run_on_commit, page_soup):
    """The emailed link shows a button (link scanners follow links; they do not press
    buttons); pressing it confirms."""
    post = make_post()
    with run_on_commit():
        ask_to_follow(post)
    confirm = link_in(mailoutbox[0], "/comments/follow/confirm/")
    page = Client().get(confirm)
    assert page.status_code == 200
    assert page_soup(page).select_one(f"form[action='{confirm}'] button")
    assert Subscription.objects.get().confirmed_at is None
    done = Client().post(confirm)
    assert done.status_code == 200 and "You are following" in done.content.decode()
    assert Subscription.objects.get().confirmed_at is not None


def test_each_new_approved_comment_is_emailed_once(mailoutbox, run_on_commit):
    """A confirmed follower gets one email per approved comment, with its text, a link to it
    and a one-click unsubscribe; a comment awaiting moderation sends nothing."""
    post = make_post(title="On trials")
    follow_confirmed(post, mailoutbox, run_on_commit)
    comment = make_comment(post, status="pending", author_name="Ann", body="Fresh words.")
    assert mailoutbox == []
    approve(comment, run_on_commit)
    [mail] = mailoutbox
    assert mail.to == [FOLLOWER]
    assert mail.subject.endswith("New comment on “On trials”")
    assert "Ann" in mail.body and "Fresh words." in mail.body
    assert link_in(mail, "/comments/") == f"/comments/{comment.pk}/"
    unsubscribe = link_in(mail, "/comments/follow/stop/")
    assert mail.extra_headers["List-Unsubscribe"].endswith(f"{unsubscribe}>")
    assert mail.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    mailoutbox.clear()
    with run_on_commit():
        services.comment_set_status(comment=comment, status="removed")
        services.comment_restore(comment=comment)
    assert mailoutbox == []  # approved again: not new


def test_a_comment_published_at_once_is_emailed_too(mailoutbox, run_on_commit, settings):
    """With COMMENTS_MODERATION=none, the form's comment goes straight to followers."""
    settings.COMMENTS_MODERATION = "none"
    settings.COMMENTS_MIN_SUBMIT_SECONDS = 0
    post = make_post()
    follow_confirmed(post, mailoutbox, run_on_commit)
    with run_on_commit():
        Client().post(
            reverse("comments:create", args=[post.pk]),
            comment_form_data(post, body="Straight out.", author_email="w@example.org"),
        )
    assert [m.to for m in mailoutbox] == [[FOLLOWER]]


def test_followers_are_not_sent_their_own_comments(mailoutbox, run_on_commit):
    """A follower's own comment is not mailed back to them."""
    post = make_post()
    follow_confirmed(post, mailoutbox, run_on_commit)
    approve(
        make_comment(post, status="pending", author_email="FOLLOWER@example.org"), run_on_commit
    )
    assert mailoutbox == []


def test_unsubscribe_in_one_click(mailoutbox, run_on_commit, page_soup):
    """The link asks first; its POST (also RFC 8058's one-click POST) stops the emails."""
    post = make_post()
    follow_confirmed(post, mailoutbox, run_on_commit)
    approve(make_comment(post, status="pending"), run_on_commit)
    stop = link_in(mailoutbox[0], "/comments/follow/stop/")
    mailoutbox.clear()
    page = Client().get(stop)
    assert page.status_code == 200 and Subscription.objects.exists()
    response = Client(enforce_csrf_checks=True).post(stop, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and "no longer" in response.content.decode()
    assert not Subscription.objects.exists()
    approve(make_comment(post, status="pending"), run_on_commit)
    assert mailoutbox == []


@pytest.mark.parametrize("kind", ["confirm", "stop"])
def test_forged_or_altered_tokens_are_refused(client, kind):
    """A token not signed by the site is a clear 400 and changes nothing."""
    post = make_post()
    Subscription.objects.create(post=post, email=FOLLOWER, mode="each")
    url = reverse(f"comments:follow-{kind}", args=["forged-token"])
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 400 and "not valid" in response.content.decode()
    assert Subscription.objects.get().confirmed_at is None


def test_a_confirmation_link_expires(mailoutbox, run_on_commit):
    """Seven days on, the confirmation link no longer works; asking again does."""
    post = make_post()
    with run_on_commit():
        ask_to_follow(post)
    confirm = link_in(mailoutbox[0], "/comments/follow/confirm/")
    with time_machine.travel(timezone.now() + datetime.timedelta(days=8)):
        assert Client().post(confirm).status_code == 400
    assert Subscription.objects.get().confirmed_at is None


def test_asking_again_does_not_flood_the_inbox(mailoutbox, run_on_commit):
    """Someone typing a stranger's address again and again sends one email an hour."""
    post = make_post()
    with run_on_commit():
        for _ in range(3):
            ask_to_follow(post, email="victim@example.org")
    assert len(mailoutbox) == 1
    with (
        time_machine.travel(timezone.now() + datetime.timedelta(hours=2)),
        run_on_commit(),
    ):
        ask_to_follow(post, email="victim@example.org")
    assert len(mailoutbox) == 2
    assert Subscription.objects.count() == 1


def test_changing_to_a_digest_needs_confirming_too(mailoutbox, run_on_commit):
    """A follower's choice only changes when the address's owner confirms the change."""
    post = make_post()
    subscription = follow_confirmed(post, mailoutbox, run_on_commit, mode="each")
    with (
        time_machine.travel(timezone.now() + datetime.timedelta(hours=2)),
        run_on_commit(),
    ):
        ask_to_follow(post, mode="daily")
    subscription.refresh_from_db()
    assert subscription.mode == "each"
    Client().post(link_in(mailoutbox[-1], "/comments/follow/confirm/"))
    subscription.refresh_from_db()
    assert subscription.mode == "daily"


def test_a_bad_request_is_answered_with_the_form(client, page_soup):
    """No address, or not an address: the form again, with the message; nothing stored."""
    post = make_post()
    for email in ("", "not an address"):
        response = ask_to_follow(post, email=email, client=client)
        assert response.status_code == 400
        assert page_soup(response).select_one("#follow-errors[role=alert]")
    assert not Subscription.objects.exists()
    assert client.get(reverse("comments:follow", args=[999999])).status_code == 404


def test_following_from_the_comment_form(mailoutbox, run_on_commit, settings):
    """The comment form's "Email me new comments on this post" sends the same
    confirmation, for the commenter's address and chosen rhythm."""
    settings.COMMENTS_MIN_SUBMIT_SECONDS = 0
    post = make_post()
    with run_on_commit():
        response = Client().post(
            reverse("comments:create", args=[post.pk]),
            comment_form_data(post, author_email="commenter@example.org", follow="daily"),
        )
    assert response.status_code == 302
    subscription = Subscription.objects.get()
    assert (subscription.email, subscription.mode) == ("commenter@example.org", "daily")
    assert subscription.confirmed_at is None
    assert [m.to for m in mailoutbox if "Confirm" in m.subject] == [["commenter@example.org"]]


def test_following_from_the_comment_form_needs_an_email(client, page_soup):
    """Without an address the form says so, keeps the comment text, and posts nothing."""
    post = make_post()
    response = client.post(
        reverse("comments:create", args=[post.pk]),
        comment_form_data(post, author_email="", follow="each", body="Keep me."),
    )
    page = client.get(response["Location"])
    assert page.status_code == 400
    assert "Give your email address to follow" in page.content.decode()
    assert not Comment.objects.exists() and not Subscription.objects.exists()


def test_daily_digest(mailoutbox, run_on_commit, settings):
    """Digest followers get nothing at once; `send_comment_digests` (run daily) sends one
    email with every comment approved since the last one, and nothing when none was."""
    post = make_post(title="On trials")
    follow_confirmed(post, mailoutbox, run_on_commit, mode="daily")
    first = make_comment(post, status="pending", author_name="Ann", body="Morning words.")
    second = make_comment(post, status="pending", author_name="Bo", body="Evening words.")
    make_comment(post, status="pending", body="Still waiting.")
    approve(first, run_on_commit)
    approve(second, run_on_commit)
    assert mailoutbox == []
    with run_on_commit():
        call_command("send_comment_digests")
    [mail] = mailoutbox
    assert mail.to == [FOLLOWER]
    assert mail.subject.endswith("2 new comments on “On trials”")
    assert mail.body.index("Morning words.") < mail.body.index("Evening words.")
    assert "Still waiting." not in mail.body
    assert "List-Unsubscribe" in mail.extra_headers
    mailoutbox.clear()
    with run_on_commit():
        call_command("send_comment_digests")
    assert mailoutbox == []
    later = make_comment(post, status="pending", body="Next day words.")
    approve(later, run_on_commit)
    with run_on_commit():
        call_command("send_comment_digests")
    [mail] = mailoutbox
    assert "Next day words." in mail.body and "Morning words." not in mail.body
    assert mail.subject.endswith("1 new comment on “On trials”")


def test_a_failed_digest_is_sent_on_the_next_run(mailoutbox, run_on_commit, settings, caplog):
    """With the mail server down the digest is logged as not sent, and the next run sends
    the same comments."""
    post = make_post()
    follow_confirmed(post, mailoutbox, run_on_commit, mode="daily")
    approve(make_comment(post, status="pending", body="Kept for later."), run_on_commit)
    settings.EMAIL_BACKEND = "tests.test_following.BrokenMailServer"
    with run_on_commit():
        call_command("send_comment_digests")
    assert "could not send" in caplog.text
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with run_on_commit():
        call_command("send_comment_digests")
    assert len(mailoutbox) == 1 and "Kept for later." in mailoutbox[0].body


def test_erasing_a_commenter_ends_their_subscriptions(mailoutbox, run_on_commit):
    """Erasure by email (erase_commenter) removes the address from every subscription."""
    post = make_post()
    follow_confirmed(post, mailoutbox, run_on_commit)
    make_comment(post, author_email=FOLLOWER)
    services.commenter_erase(email=FOLLOWER)
    assert not Subscription.objects.exists()
