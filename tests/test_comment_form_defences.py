"""Bad input to the comment form gets a clear message and writes nothing."""

import pytest
from django.urls import reverse

from comments.models import Comment, CommentEvent
from tests.factories import (
    comment_form_data,
    follow_refusal,
    make_comment,
    make_post,
    signed_form_timestamp,
)

pytestmark = pytest.mark.django_db


def submit(client, post, **fields):
    response = client.post(
        reverse("comments:create", args=[post.pk]), comment_form_data(post, **fields)
    )
    return follow_refusal(client, response)


def refused(response, page_soup, message):
    assert response.status_code == 400
    errors = " ".join(e.get_text() for e in page_soup(response).select(".error, .form-errors"))
    assert message in errors, errors
    assert not Comment.objects.filter(body__startswith="Hello").exists()
    assert not CommentEvent.objects.filter(action="created").exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"body": ""}, "Please type a comment."),
        ({"body": "x" * 10_001}, "at most 10000 characters"),
        ({"body": "Hello\x1b[31m red"}, "control character (U+001B)"),
        ({"body": "Hello\x00"}, "Null characters are not allowed."),
        ({"author_name": "Eve\u202eevil"}, "Names cannot contain control characters (U+202E)"),
        ({"author_name": "Tab\tname"}, "Names cannot contain control characters (U+0009)"),
        ({"parent": "999999"}, "The comment you are replying to is not available"),
        ({"parent": "not-a-number"}, "Enter a whole number."),
        ({"phone": "+44 20 7946 0000"}, "a field that people cannot see was filled in"),
        ({"ts": ""}, "This form could not be verified."),
        ({"ts": "forged:value"}, "This form could not be verified."),
        ({"notify_replies": "on", "author_email": ""}, "Give your email address"),
        # Only invisible characters: zero-width space, joiners, word joiner, BOM, soft
        # hyphen, a Hangul filler, a blank Braille pattern, with spaces and newlines.
        ({"body": "\u200b\u200c\u200d"}, "Please type a comment."),
        ({"body": " \u2060\ufeff\n\u00ad \u200b "}, "Please type a comment."),
        ({"body": "\u3164\u2800\u180e"}, "Please type a comment."),
        ({"author_name": "\u200b\u200d"}, "A name needs at least one visible character"),
        ({"author_name": "\u3164 \u2800"}, "A name needs at least one visible character"),
    ],
)
def test_bad_input_is_refused_with_a_message(client, page_soup, fields, message):
    """Each kind of bad input is answered with the form, a clear message, and no write."""
    response = submit(client, make_post(), **fields)
    refused(response, page_soup, message)


def test_required_name_and_email_when_configured(client, page_soup, settings):
    """COMMENTS_REQUIRE_NAME_EMAIL makes name and email required fields."""
    settings.COMMENTS_REQUIRE_NAME_EMAIL = True
    response = submit(client, make_post(), author_name="", author_email="")
    refused(response, page_soup, "This field is required.")


def test_invisible_name_is_refused_when_a_name_is_required(client, page_soup, settings):
    """With COMMENTS_REQUIRE_NAME_EMAIL, a name of zero-width characters is no name."""
    settings.COMMENTS_REQUIRE_NAME_EMAIL = True
    response = submit(client, make_post(), author_name="\u200b\ufeff")
    refused(response, page_soup, "A name needs at least one visible character")


def test_an_edit_to_invisible_characters_only_is_refused():
    """A moderator's edit obeys the same rule: no comment made only of invisible text."""
    from django.core.exceptions import ValidationError

    from comments import services

    comment = make_comment(make_post(), body="Visible words.")
    with pytest.raises(ValidationError, match="cannot be empty"):
        services.comment_edit(comment=comment, body="\u200b\u2060\n\ufeff")
    comment.refresh_from_db()
    assert comment.body == "Visible words."


def test_parent_on_another_post_is_refused(client, page_soup):
    """A parent id from another post is refused as unavailable."""
    elsewhere = make_comment(make_post())
    response = submit(client, make_post(), parent=str(elsewhere.pk))
    refused(response, page_soup, "The comment you are replying to is not available")


def test_closed_post_is_refused(client, page_soup):
    """A post with comments closed refuses the form with the reason."""
    post = make_post(comments_open=False)
    response = submit(client, post)
    assert response.status_code == 400
    assert "Comments are closed on this post." in response.content.decode()
    assert not Comment.objects.exists()


def test_posting_within_a_second_of_loading_is_refused(client, page_soup):
    """A form sent less than COMMENTS_MIN_SUBMIT_SECONDS after loading is a robot's."""
    post = make_post()
    response = submit(client, post, ts=signed_form_timestamp(post, seconds_ago=0.5))
    refused(response, page_soup, "That was very quick.")


def test_stale_form_is_refused_but_keeps_the_text(client, page_soup, settings):
    """An expired form says so, keeps the reader's text, and carries a fresh timestamp."""
    post = make_post()
    old = signed_form_timestamp(post, seconds_ago=settings.COMMENTS_FORM_MAX_AGE + 60)
    response = submit(client, post, ts=old, body="Hello, my long thoughts.")
    refused(response, page_soup, "This form was loaded too long ago.")
    soup = page_soup(response)
    # Django writes a newline after <textarea>, which browsers drop.
    assert soup.select_one("textarea[name=body]").get_text() == "\nHello, my long thoughts."
    fresh = soup.select_one("input[name=ts]")["value"]
    assert fresh != old


def test_timestamp_from_another_post_is_refused(client, page_soup):
    """A valid timestamp signed for a different post counts as forged."""
    other = make_post()
    response = submit(client, make_post(), ts=signed_form_timestamp(other))
    refused(response, page_soup, "This form could not be verified.")


def test_resubmitting_the_refreshed_form_works(client, page_soup, settings):
    """After a refusal, sending the re-displayed form again (later) posts the comment."""
    settings.COMMENTS_MIN_SUBMIT_SECONDS = 0
    post = make_post()
    response = submit(client, post, ts="")
    fresh = page_soup(response).select_one("input[name=ts]")["value"]
    assert submit(client, post, ts=fresh, body="Hello again").status_code == 302
    assert Comment.objects.get().body == "Hello again"


def test_honeypot_is_hidden_from_people(client, page_soup):
    """The honeypot sits in an aria-hidden, off-screen paragraph, out of the tab order."""
    soup = page_soup(client.get(make_post().get_absolute_url()))
    field = soup.select_one("input[name=phone]")
    wrapper = field.find_parent("p")
    assert wrapper["aria-hidden"] == "true" and "comment-form-hp" in wrapper["class"]
    assert field["tabindex"] == "-1"


def test_honeypot_refuses_a_reply_too(client, page_soup):
    """A reply sent from ?replytocom with the honeypot filled is refused like a new
    comment: nothing stored, the form back with its parent and the reader's text."""
    post = make_post()
    parent = make_comment(post, body="The parent.")
    response = submit(
        client, post, parent=str(parent.pk), phone="555-0100", body="Hello, a robot reply."
    )
    refused(response, page_soup, "a field that people cannot see was filled in")
    soup = page_soup(response)
    assert soup.select_one("#commentform input[name=parent]")["value"] == str(parent.pk)
    assert "Hello, a robot reply." in soup.select_one("textarea[name=body]").get_text()
    assert Comment.objects.count() == 1
