"""The comment form says what the moderation policy will do with a comment."""

import pytest
from django.test import Client
from django.urls import reverse

from comments.models import Comment
from tests.factories import comment_form_data, make_post, make_staff

pytestmark = pytest.mark.django_db


def notice(page_soup, client, post) -> str:
    soup = page_soup(client.get(post.get_absolute_url()))
    return " ".join(soup.select_one("#commentform .comment-notes").get_text().split())


def policy(settings, moderation, links=2, words=()):
    settings.COMMENTS_MODERATION = moderation
    settings.COMMENTS_HOLD_LINK_COUNT = links
    settings.COMMENTS_MODERATION_WORDS = list(words)


@pytest.mark.parametrize(
    ("moderation", "links", "words", "says"),
    [
        ("all", 2, (), "Comments are held for moderation before they appear."),
        (
            "known",
            2,
            (),
            "Your first comment is held for moderation; once one is approved and you have "
            "confirmed your email address through the link we send you, your later "
            "comments with it appear at once, except those with 2 or "
            "more links, which are held for moderation too.",
        ),
        (
            "known",
            0,
            (),
            "Your first comment is held for moderation; once one is approved and you have "
            "confirmed your email address through the link we send you, your later "
            "comments with it appear at once.",
        ),
        (
            "none",
            3,
            (),
            "Comments appear at once, except those with 3 or more links, which are held "
            "for moderation.",
        ),
        ("none", 0, (), "Comments appear at once."),
        (
            "none",
            0,
            ("casino",),
            "Comments appear at once, except a few that are held for moderation.",
        ),
        (
            "none",
            2,
            ("casino",),
            "Comments appear at once, except those with 2 or more links and a few others, "
            "which are held for moderation.",
        ),
    ],
)
def test_the_notice_follows_the_policy(settings, page_soup, moderation, links, words, says):
    """Each moderation policy, with and without the link rule, gets its own sentence."""
    policy(settings, moderation, links, words)
    text = notice(page_soup, Client(), make_post())
    assert text == f"Your email address will not be published. {says}"


def test_staff_are_told_their_comments_publish_at_once(settings, page_soup, client):
    """Signed-in staff read that their comment is published at once; a reader of the
    cached page before and after them still reads the policy."""
    policy(settings, "all")
    post = make_post()
    held = "Comments are held for moderation before they appear."
    assert held in notice(page_soup, Client(), post)  # now in the cache
    client.force_login(make_staff())
    staff_text = notice(page_soup, client, post)
    assert "your comments are published at once" in staff_text and held not in staff_text
    assert held in notice(page_soup, Client(), post)


@pytest.mark.parametrize(
    ("moderation", "body", "appears"),
    [
        ("all", "Plain words.", False),
        ("none", "Plain words.", True),
        ("none", "See http://a.example and http://b.example", False),
    ],
)
def test_what_the_notice_promises_is_what_happens(settings, moderation, body, appears):
    """A comment sent under the notice does what it said: shown at once to everyone, or
    not until a moderator approves it."""
    policy(settings, moderation)
    post = make_post()
    Client().post(reverse("comments:create", args=[post.pk]), comment_form_data(post, body=body))
    assert Comment.objects.get().status == ("approved" if appears else "pending")
    assert (body in Client().get(post.get_absolute_url()).content.decode()) == appears
