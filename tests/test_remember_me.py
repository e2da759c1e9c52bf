"""Remember me: "Save my name, email, and website in this browser for the next time I
comment", as in WordPress, while cached pages stay the same for everyone."""

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from comments import remember
from comments.remember import COOKIE_NAME
from tests.factories import comment_form_data, make_post

pytestmark = pytest.mark.django_db

LABEL = "Save my name, email, and website in this browser for the next time I comment."


@pytest.fixture(autouse=True)
def _published_at_once(settings):
    """Comments published at once: their authors go on reading cached pages."""
    settings.COMMENTS_MODERATION = "none"


def send(client, post, **fields):
    return client.post(
        reverse("comments:create", args=[post.pk]), comment_form_data(post, **fields)
    )


def form_values(page_soup, response) -> dict:
    soup = page_soup(response)
    values = {
        name: soup.select_one(f"#commentform input[name={name}]").get("value", "")
        for name in ("author_name", "author_email", "author_url")
    }
    values["remember"] = soup.select_one("#commentform input[name=remember]").has_attr("checked")
    return values


EMPTY = {"author_name": "", "author_email": "", "author_url": "", "remember": False}


def test_the_form_offers_to_remember(client, page_soup):
    """An unticked checkbox with WordPress's words, which no one has to tick."""
    soup = page_soup(client.get(make_post().get_absolute_url()))
    box = soup.select_one("#commentform input[name=remember]")
    assert box["type"] == "checkbox" and not box.has_attr("checked")
    assert soup.select_one(f"label[for={box['id']}]").get_text() == LABEL


def test_a_remembered_reader_finds_the_form_filled_on_cached_pages(client, page_soup):
    """After ticking the box, every post's form comes filled for that browser only, though
    the page itself is cached for everyone."""
    first, second = make_post(), make_post()
    Client().get(second.get_absolute_url())  # cached for everyone before
    response = send(
        client,
        first,
        author_name="Ann Reader",
        author_email="ann@example.org",
        author_url="https://ann.example.org",
        remember="on",
    )
    assert response.status_code == 302
    cookie = response.cookies[COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) > 300 * 24 * 3600
    mine = client.get(second.get_absolute_url())
    assert "private" in mine["Cache-Control"]
    assert form_values(page_soup, mine) == {
        "author_name": "Ann Reader",
        "author_email": "ann@example.org",
        "author_url": "https://ann.example.org",
        "remember": True,
    }
    stranger = Client().get(second.get_absolute_url())
    assert form_values(page_soup, stranger) == EMPTY
    assert "ann@example.org" not in stranger.content.decode()
    assert "msblog-commenter" not in stranger.content.decode()  # no placeholder left


def test_without_the_box_nothing_is_remembered(client, page_soup):
    """Unticked: no cookie, and the next form is empty."""
    post = make_post()
    response = send(client, post, author_name="Bo")
    assert COOKIE_NAME not in response.cookies
    assert form_values(page_soup, client.get(make_post().get_absolute_url())) == EMPTY


def test_unticking_the_box_forgets(client, page_soup):
    """Posting again without the box ticked deletes what was remembered."""
    post = make_post()
    send(client, post, author_name="Cy", body="One.", remember="on")
    response = send(client, post, author_name="Cy", body="Two.")
    assert response.cookies[COOKIE_NAME].value == ""
    assert form_values(page_soup, client.get(make_post().get_absolute_url())) == EMPTY


def test_remembered_values_are_escaped(client, page_soup):
    """A name with quotes and markup fills the field as text, never as markup."""
    post = make_post()
    name = '"><script>alert(1)</script>'
    send(client, post, author_name=name, remember="on")
    response = client.get(make_post().get_absolute_url())
    assert "<script>alert(1)" not in response.content.decode()
    assert form_values(page_soup, response)["author_name"] == name


def test_a_forged_cookie_fills_nothing(client, page_soup):
    """Only a cookie signed by the site is read."""
    client.cookies[COOKIE_NAME] = '{"name": "Mallory", "email": "m@example.org"}'
    response = client.get(make_post().get_absolute_url())
    assert form_values(page_soup, response) == EMPTY


def test_the_private_page_of_a_pending_author_is_filled_too(client, page_soup, settings):
    """A reader whose comment awaits moderation gets a fresh page, filled the same way."""
    settings.COMMENTS_MODERATION = "all"
    post = make_post()
    send(client, post, author_name="Di", author_email="di@example.org", remember="on")
    response = client.get(post.get_absolute_url())
    assert "awaiting moderation" in response.content.decode()
    values = form_values(page_soup, response)
    assert values["author_name"] == "Di" and values["remember"]


def test_a_browser_that_just_ticked_the_box_does_not_reuse_its_old_copy(client):
    """The page's ETag changes with what the browser remembers, so no stale 304."""
    post = make_post()
    etag = client.get(post.get_absolute_url())["ETag"]
    assert client.get(post.get_absolute_url(), HTTP_IF_NONE_MATCH=etag).status_code == 304
    remembered = HttpResponse()
    remember.remember(remembered, name="Eve", email="", url="")  # as a post that changed nothing
    client.cookies[COOKIE_NAME] = remembered.cookies[COOKIE_NAME].value
    again = client.get(post.get_absolute_url(), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 200 and 'value="Eve"' in again.content.decode()
    assert client.get(post.get_absolute_url(), HTTP_IF_NONE_MATCH=again["ETag"]).status_code == 304
