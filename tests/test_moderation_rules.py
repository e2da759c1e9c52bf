"""Moderation rules, each a setting: what happens to a new comment and why."""

import datetime
import re
import time

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from comments import services
from comments.models import Comment, Commenter
from tests.factories import comment_form_data, follow_refusal, make_comment, make_post

pytestmark = pytest.mark.django_db


def submit(post, client=None, **fields):
    client = client or Client()
    response = client.post(
        reverse("comments:create", args=[post.pk]), comment_form_data(post, **fields)
    )
    return follow_refusal(client, response)


def only_comment():
    return Comment.objects.get()


def test_every_new_comment_is_held_by_default():
    """The default policy holds every comment, with the reason recorded."""
    submit(make_post())
    comment = only_comment()
    assert comment.status == "pending"
    assert comment.moderation_reason == "every new comment is held for moderation"
    assert comment.events.get().reason == "every new comment is held for moderation"


def test_known_authors_are_published_under_the_known_policy(settings):
    """With COMMENTS_MODERATION=known, an author with an approved comment who confirmed
    their email skips the queue (tests/test_trust.py covers how trust is earned)."""
    settings.COMMENTS_MODERATION = "known"
    post = make_post()
    make_comment(post, author_email="Regular@Example.org", status="approved")
    services.email_confirm(email="regular@example.org")
    submit(post, author_email="regular@example.org", body="Known voice.")
    submit(post, author_email="new@example.org", body="New voice.")
    assert Comment.objects.get(body="Known voice.").status == "approved"
    newcomer = Comment.objects.get(body="New voice.")
    assert (newcomer.status, newcomer.moderation_reason) == (
        "pending",
        "first comment from this author",
    )


def test_a_rejected_earlier_comment_does_not_make_an_author_known(settings):
    """Only an approved comment counts: an author with only spam stays held."""
    settings.COMMENTS_MODERATION = "known"
    post = make_post()
    make_comment(post, author_email="spammer@example.org", status="spam")
    submit(post, author_email="spammer@example.org", body="Again.")
    assert Comment.objects.get(body="Again.").status == "pending"


@pytest.mark.parametrize(
    ("body", "status"),
    [("One link http://a.example", "approved"), ("http://a.example and www.b.example", "pending")],
)
def test_comments_with_many_links_are_held(settings, body, status):
    """N or more links (default 2) hold a comment even when others are published."""
    settings.COMMENTS_MODERATION = "none"
    submit(make_post(), body=body)
    comment = only_comment()
    assert comment.status == status
    if status == "pending":
        assert comment.moderation_reason == "contains 2 links (hold at 2)"


def test_moderation_words_hold_a_comment_and_match_whole_words(settings):
    """A listed word holds the comment; the same letters inside another word do not."""
    settings.COMMENTS_MODERATION = "none"
    settings.COMMENTS_MODERATION_WORDS = ["cialis", "miracle cure"]
    post = make_post()
    submit(post, body="My specialist said so.")
    submit(post, body="Try this Miracle Cure now")
    submit(post, author_name="cialis shop", body="Hello.")
    assert Comment.objects.get(body="My specialist said so.").status == "approved"
    cure = Comment.objects.get(body="Try this Miracle Cure now")
    assert (cure.status, cure.moderation_reason) == (
        "pending",
        "matches the moderation list ('Miracle Cure')",
    )
    assert Comment.objects.get(body="Hello.").status == "pending"


def test_block_words_send_a_comment_to_spam_silently(settings):
    """A block-list match is spam: recorded with its reason, shown to nobody, no hint given."""
    settings.COMMENTS_BLOCK_WORDS = ["casino"]
    post = make_post()
    client = Client()
    response = submit(post, client, body="Best casino bonus")
    comment = only_comment()
    assert (comment.status, comment.moderation_reason) == (
        "spam",
        "matches the block list ('casino')",
    )
    page = client.get(response["Location"]).content.decode()
    assert "Best casino bonus" not in page
    assert "Your comment is awaiting moderation." in page


def test_comments_close_after_the_configured_number_of_days(settings):
    """Posts older than COMMENTS_CLOSE_AFTER_DAYS take no comments; newer ones do."""
    settings.COMMENTS_CLOSE_AFTER_DAYS = 14
    old = make_post(published_at=timezone.now() - datetime.timedelta(days=15))
    fresh = make_post(published_at=timezone.now() - datetime.timedelta(days=13))
    response = submit(old)
    assert response.status_code == 400
    assert "Comments close 14 days after a post is published." in response.content.decode()
    page = Client().get(old.get_absolute_url()).content.decode()
    assert 'id="commentform"' not in page and "Comments close 14 days" in page
    assert submit(fresh).status_code == 302
    assert Comment.objects.filter(post=old).count() == 0


def test_exact_duplicate_is_refused():
    """The same words from the same author on the same post: 409, "already said that!"
    (tests/test_duplicates.py has the whole rule)."""
    post = make_post()
    submit(post, body="Same words.")
    response = submit(post, body="Same words.")
    assert response.status_code == 409
    assert "you’ve already said that!" in response.content.decode()
    assert Comment.objects.count() == 1


def test_two_anonymous_readers_may_say_the_same_thing():
    """Without an email, only the same name from the same IP counts as a duplicate."""
    post = make_post()
    first = submit(post, author_email="", author_name="", body="Thank you!")
    second = Client(REMOTE_ADDR="10.0.0.2").post(
        reverse("comments:create", args=[post.pk]),
        comment_form_data(post, author_email="", author_name="", body="Thank you!"),
    )
    assert (first.status_code, second.status_code) == (302, 302)
    assert Comment.objects.count() == 2


def test_flood_control_answers_429_and_saves_nothing(settings):
    """Too many comments too fast from one IP: a clear message, HTTP 429, nothing stored."""
    settings.COMMENTS_FLOOD_LIMIT = 3
    post = make_post()
    client = Client()
    statuses = [submit(post, client, body=f"Comment {n}").status_code for n in range(4)]
    assert statuses == [302, 302, 302, 429]
    response = submit(post, client, body="One more")
    assert response.status_code == 429
    assert "faster than this blog accepts" in response.content.decode()
    assert "One more" in response.content.decode()  # the reader's text is kept in the form
    assert Comment.objects.count() == 3
    other_ip = Client(REMOTE_ADDR="10.9.9.9")
    assert submit(post, other_ip, body="From elsewhere").status_code == 302


def test_flood_limit_holds_across_a_window_boundary(settings):
    """At most COMMENTS_FLOOD_LIMIT comments in any COMMENTS_FLOOD_WINDOW seconds, however
    they straddle the turn of a clock minute; the next is let in once the first is 60 s old."""
    import time_machine

    settings.COMMENTS_FLOOD_LIMIT, settings.COMMENTS_FLOOD_WINDOW = 5, 60
    post, client = make_post(), Client()
    boundary = (int(time.time()) // 60 + 2) * 60  # the turn of a minute, in the future

    def burst(at: float, label: str) -> list[int]:
        with time_machine.travel(at, tick=False):
            return [submit(post, client, body=f"{label} {n}").status_code for n in range(5)]

    assert burst(boundary - 1.5, "Before") == [302] * 5
    assert burst(boundary + 1.5, "After") == [429] * 5  # 10 in 3 s before: all let in
    assert Comment.objects.count() == 5
    assert burst(boundary - 1.5 + 60.1, "Later") == [302] * 5


def test_staff_comments_skip_every_rule(settings):
    """A blog-team comment is published even when it would otherwise be held."""
    settings.COMMENTS_MODERATION_WORDS = ["alemtuzumab"]
    from tests.factories import make_staff

    comment = services.comment_create(
        post=make_post(), body="alemtuzumab http://a.example www.b.example", user=make_staff()
    )
    assert comment.status == "approved"
    assert comment.events.get().reason == "written by the blog team"


def test_the_link_rule_holds_even_a_known_author(settings):
    """Under the known policy, through the service, at a threshold of 3: a trusted
    author's comment with 3 links is held, with 2 it is published."""
    settings.COMMENTS_MODERATION = "known"
    settings.COMMENTS_HOLD_LINK_COUNT = 3
    post = make_post()
    make_comment(post, author_email="regular@example.org", status="approved")
    Commenter.objects.create(email="regular@example.org", confirmed_at=timezone.now())
    known = {"author_name": "Regular", "author_email": "regular@example.org"}
    two = services.comment_create(post=post, body="http://a.example www.b.example", **known)
    three = services.comment_create(
        post=post, body="http://a.example www.b.example https://c.example", **known
    )
    assert two.status == "approved"
    assert (three.status, three.moderation_reason) == ("pending", "contains 3 links (hold at 3)")


def test_an_author_approved_in_the_admin_is_trusted_next_time(
    settings, client, mailoutbox, django_capture_on_commit_callbacks
):
    """A first comment approved by a moderator with the bulk action, its email then
    confirmed through the mailed link, makes the author known: their next comment (email in
    another case) shows at once on the cached page."""
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

    from tests.factories import make_staff

    settings.COMMENTS_MODERATION = "known"
    post = make_post()
    submit(post, author_email="newcomer@example.org", body="My first words.")
    first = only_comment()
    assert first.status == "pending"
    assert "My first words." not in Client().get(post.get_absolute_url()).content.decode()
    client.force_login(make_staff("mod", superuser=True))
    changelist = reverse("admin:comments_comment_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(changelist, {"action": "approve", ACTION_CHECKBOX_NAME: [first.pk]})
    link = re.search(r"https?://\S+(/comments/confirm/\S+/)", mailoutbox[-1].body)[1]
    assert Client().post(link).status_code == 200
    submit(post, author_email="NewComer@Example.org", body="My second words.")
    assert Comment.objects.get(body="My second words.").status == "approved"
    page = Client().get(post.get_absolute_url()).content.decode()
    assert "My first words." in page and "My second words." in page
