"""Two readers with comments awaiting moderation at the same time: each sees their own,
never the other's, on every path to a thread and before or after the page is cached."""

import pytest
from django.test import Client
from django.urls import reverse

from comments.models import Comment
from tests.factories import comment_form_data, make_comment, make_post

pytestmark = pytest.mark.django_db

WORDS = {
    "alpha": ("Alpha holds this thought.", "Alpha holds this reply."),
    "bravo": ("Bravo holds this thought.",),
}


@pytest.fixture
def two_pending_readers(settings):
    """Three approved threads, two a page; reader Alpha holds a new thread and a reply on
    the first, reader Bravo a new thread; a stranger has both pages cached."""
    settings.COMMENTS_PER_PAGE = 2
    post = make_post(title="Busy thread")
    roots = [make_comment(post, body=f"Approved thread {n}.") for n in range(3)]
    stranger = Client()
    for number in (1, 2):
        assert stranger.get(post.get_comments_page_url(number)).status_code == 200
    readers = {"alpha": Client(), "bravo": Client()}
    create = reverse("comments:create", args=[post.pk])
    posts = [
        ("alpha", WORDS["alpha"][0], ""),
        ("bravo", WORDS["bravo"][0], ""),
        ("alpha", WORDS["alpha"][1], str(roots[0].pk)),
    ]
    for name, body, parent in posts:
        form = comment_form_data(post, author_name=name, body=body, parent=parent)
        assert readers[name].post(create, form).status_code == 302
    assert set(Comment.objects.values_list("status", flat=True)) == {"approved", "pending"}
    return post, readers, stranger


def thread_pages(client, post) -> str:
    """Every page of the thread this client can open, as one text."""
    pages = []
    for number in range(1, 5):
        response = client.get(post.get_comments_page_url(number))
        if response.status_code == 404:
            break
        pages.append(response.content.decode())
    return "\n".join(pages)


def ids(name) -> list[int]:
    return [Comment.objects.get(body=body).pk for body in WORDS[name]]


OTHER = {"alpha": "bravo", "bravo": "alpha"}


def test_each_reader_sees_only_their_own_pending_comments(two_pending_readers):
    """Alpha and Bravo each see their own held comments on every page of the thread and
    never the other's; the stranger, served from the cache, sees neither."""
    post, readers, stranger = two_pending_readers
    for _ in range(2):  # and again, once every page has been served
        for name, client in readers.items():
            html = thread_pages(client, post)
            assert all(words in html for words in WORDS[name]), name
            assert not any(words in html for words in WORDS[OTHER[name]]), name
        html = thread_pages(stranger, post)
        assert not any(words in html for words in WORDS["alpha"] + WORDS["bravo"])


def test_a_permalink_to_another_readers_pending_comment_is_not_found(two_pending_readers):
    """/comments/ID/ leads each reader to their own held comments, and is a 404 for the
    other reader's and for the stranger."""
    _, readers, stranger = two_pending_readers
    for name, client in readers.items():
        for pk in ids(name):
            assert client.get(reverse("comments:permalink", args=[pk])).status_code == 302
        for pk in ids(OTHER[name]):
            assert client.get(reverse("comments:permalink", args=[pk])).status_code == 404
            assert stranger.get(reverse("comments:permalink", args=[pk])).status_code == 404


def test_replying_to_another_readers_pending_comment_shows_nothing_of_it(
    two_pending_readers, page_soup
):
    """?replytocom= naming the other reader's held comment opens a plain form: no parent,
    no name, none of its words."""
    post, readers, _ = two_pending_readers
    for name, client in readers.items():
        for pk in ids(OTHER[name]):
            response = client.get(post.get_absolute_url(), {"replytocom": pk})
            soup = page_soup(response)
            assert soup.select_one("#commentform input[name=parent]").get("value") in (None, "")
            assert soup.select_one(".reply-to").get_text() == ""
            assert not any(words in response.content.decode() for words in WORDS[OTHER[name]])
