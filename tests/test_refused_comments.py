"""A refused comment: the reader lands at the form with the errors and their text, the
refusal's status stays visible, and reloading never posts again (Post/Redirect/Get)."""

import datetime

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from comments import views
from comments.forms import CommentForm
from comments.models import Comment
from tests.factories import comment_form_data, make_comment, make_post

pytestmark = pytest.mark.django_db


def send(client, post, **fields):
    return client.post(
        reverse("comments:create", args=[post.pk]), comment_form_data(post, **fields)
    )


def test_bad_input_lands_at_the_form_with_errors_focused(client, page_soup):
    """A bad email: 303 to the error summary at the top of the post's #respond; that page
    (400) shows the errors, announced and focused, each linked to its field, and keeps
    everything the reader typed."""
    post = make_post()
    long_text = "My long and careful thoughts. " * 330  # ~10,000 characters
    response = send(client, post, author_email="not-an-email", body=long_text.strip())
    assert response.status_code == 303
    assert response["Location"] == f"{post.get_absolute_url()}#comment-errors"
    assert response.content == b""
    page = client.get(response["Location"])
    assert page.status_code == 400
    soup = page_soup(page)
    summary = soup.select_one("#respond #comment-errors")
    assert summary["role"] == "alert" and summary["tabindex"] == "-1"
    assert summary.has_attr("autofocus")
    assert "Your comment was not posted." in summary.get_text()
    link = summary.select_one("a")
    assert link["href"] == "#id_author_email" and "Enter a valid email address." in link.text
    assert soup.select_one("#id_author_email")["value"] == "not-an-email"
    assert soup.select_one("#id_author_name")["value"] == "Jane"
    assert soup.select_one("textarea[name=body]").get_text().strip() == long_text.strip()
    assert "private" in page["Cache-Control"]
    assert not Comment.objects.exists()


def test_reloading_the_answer_posts_nothing_and_shows_it_again(client, page_soup):
    """Reloading the refused page is a GET: the same form and errors, and no comment."""
    post = make_post()
    location = send(client, post, body="")["Location"]
    first, second = client.get(location), client.get(location)
    assert first.status_code == second.status_code == 400
    assert "Please type a comment." in second.content.decode()
    assert not Comment.objects.exists()


def test_a_flood_refusal_answers_429(client, settings):
    """Too many attempts: the page showing the kept form answers 429, with the message."""
    settings.COMMENTS_FLOOD_LIMIT = 1
    post = make_post()
    assert send(client, post, body="First.").status_code == 302
    response = send(client, post, body="Second, too soon.")
    assert response.status_code == 303
    page = client.get(response["Location"])
    assert page.status_code == 429
    assert "faster than this blog accepts" in page.content.decode()
    assert "Second, too soon." in page.content.decode()


def test_any_refusal_status_passes_through(client):
    """The status a view refuses with (409 for a duplicate, say) is the page's status."""
    post = make_post()
    client.get(post.get_absolute_url())  # a browser with a CSRF cookie, no session yet
    request = RequestFactory().post("/", comment_form_data(post, body="Twice."))
    request.user = type("Anonymous", (), {"is_authenticated": False})()
    request.session = client.session
    form = CommentForm(request.POST, post=post)
    form.is_valid()
    form.add_error(None, "You’ve already said that!")
    views.refuse(request, post, form, status=409)
    request.session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = request.session.session_key
    page = client.get(post.get_absolute_url())
    assert page.status_code == 409
    assert "You’ve already said that!" in page.content.decode()


def test_a_refused_reply_comes_back_as_a_reply(client, page_soup, settings):
    """A refused reply lands on the page of its parent, still a reply to that comment."""
    settings.COMMENTS_PER_PAGE = 1
    post = make_post()
    make_comment(post, body="First thread.")
    parent = make_comment(post, author_name="Heather", body="The parent, on page two.")
    response = send(client, post, parent=str(parent.pk), author_email="bad")
    assert response["Location"] == f"{post.get_comments_page_url(2)}#comment-errors"
    soup = page_soup(client.get(response["Location"]))
    assert soup.select_one("#reply-title").get_text().startswith("Leave a Reply to Heather")
    assert soup.select_one("input[name=parent]")["value"] == str(parent.pk)
    assert "The parent, on page two." in soup.select_one("#reply-context").get_text()


def test_the_refused_form_is_private_to_its_reader(client, page_soup):
    """Others see the plain form, from the cache or not; the refused page is never cached."""
    post = make_post()
    Client().get(post.get_absolute_url())  # the page is cached for everyone
    client.get(send(client, post, body="Secret draft words", author_email="x")["Location"])
    for reader in (Client(), Client()):
        page = reader.get(post.get_absolute_url()).content.decode()
        assert "Secret draft words" not in page and "comment-errors" not in page
    again = client.get(post.get_absolute_url())
    assert again.status_code == 400 and "Secret draft words" in again.content.decode()


def test_the_kept_form_outlives_the_cache(client):
    """The form lives in the database (the session), so an emptied cache loses nothing."""
    post = make_post()
    location = send(client, post, body="Kept words", author_email="x")["Location"]
    cache.clear()
    assert Session.objects.count() == 1
    assert "Kept words" in client.get(location).content.decode()


def test_posting_successfully_forgets_the_form_and_its_session(client, page_soup, settings):
    """Once the corrected comment is posted, the kept form and the session are gone."""
    settings.COMMENTS_MIN_SUBMIT_SECONDS = 0
    post = make_post()
    location = send(client, post, body="Draft", author_email="x")["Location"]
    fresh_ts = page_soup(client.get(location)).select_one("input[name=ts]")["value"]
    response = send(client, post, body="Draft, corrected", ts=fresh_ts)
    assert response.status_code == 302
    assert response.cookies[settings.SESSION_COOKIE_NAME].value == ""  # deleted
    assert Session.objects.count() == 0
    page = client.get(post.get_absolute_url())
    assert page.status_code == 200 and "comment-errors" not in page.content.decode()


def test_a_kept_form_expires(client, settings):
    """After COMMENTS_FORM_MAX_AGE the kept form is no longer shown."""
    import time_machine

    post = make_post()
    location = send(client, post, body="Old draft", author_email="x")["Location"]
    later = timezone.now() + datetime.timedelta(seconds=settings.COMMENTS_FORM_MAX_AGE + 120)
    with time_machine.travel(later, tick=False):
        page = client.get(location)
    assert page.status_code == 200 and "Old draft" not in page.content.decode()


def test_cancel_reply_keeps_the_text_and_drops_the_reply(client, page_soup):
    """Without JavaScript, "Cancel reply" on a refused reply shows the kept text as a new
    top-level comment; another comment's Reply link takes the text there."""
    post = make_post()
    parent = make_comment(post, author_name="Heather")
    other = make_comment(post, author_name="Gavin")
    location = send(client, post, parent=str(parent.pk), body="Kept words", author_email="x")[
        "Location"
    ]
    cancel = page_soup(client.get(location)).select_one("#cancel-comment-reply-link")["href"]
    soup = page_soup(client.get(cancel))
    assert soup.select_one("input[name=parent]").get("value", "") == ""
    assert soup.select_one("#reply-context") is None
    assert "Kept words" in soup.select_one("textarea[name=body]").get_text()
    soup = page_soup(client.get(f"{post.get_absolute_url()}?replytocom={other.pk}"))
    assert soup.select_one("#reply-title").get_text().startswith("Leave a Reply to Gavin")
    assert "Kept words" in soup.select_one("textarea[name=body]").get_text()
