"""Long threads in pages that keep every reply with its thread; comment permalinks."""

import pytest
from django.test import Client
from django.urls import reverse

from comments.models import Comment
from tests.factories import comment_form_data, make_comment, make_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def long_thread(settings):
    """Five top-level threads of three levels each, two threads a page."""
    settings.COMMENTS_PER_PAGE = 2
    post = make_post(title="Long debate")
    threads = []
    for n in range(5):
        root = make_comment(post, body=f"Thread {n} starts.")
        reply = make_comment(post, parent=root, body=f"Thread {n} reply.")
        deep = make_comment(post, parent=reply, body=f"Thread {n} deep reply.")
        threads.append((root, reply, deep))
    return post, threads


def shown(page_soup, response):
    return [p.get_text() for p in page_soup(response).select(".comment-content p")]


def test_threads_are_split_into_pages_with_their_replies(client, page_soup, long_thread, settings):
    """Each page holds whole threads, oldest first; the last page holds what is left."""
    post, _ = long_thread
    first = client.get(post.get_absolute_url())
    assert shown(page_soup, first) == [
        "Thread 0 starts.",
        "Thread 0 reply.",
        "Thread 0 deep reply.",
        "Thread 1 starts.",
        "Thread 1 reply.",
        "Thread 1 deep reply.",
    ]
    third = client.get(post.get_comments_page_url(3))
    assert shown(page_soup, third) == [
        "Thread 4 starts.",
        "Thread 4 reply.",
        "Thread 4 deep reply.",
    ]
    soup = page_soup(third)
    assert soup.select_one("#comments-title").get_text().startswith("15 thoughts on")
    assert soup.select_one(".comment-pages a[rel=prev]")["href"].endswith(
        "/comment-page-2/#comments"
    )
    canonical = f"{settings.SITE_URL}{post.get_comments_page_url(3)}"
    assert soup.select_one("link[rel=canonical]")["href"] == canonical


def test_page_addresses(client, long_thread):
    """comment-page-1 is the post itself; a page past the end is a 404."""
    post, _ = long_thread
    assert post.get_comments_page_url(2) == f"{post.get_absolute_url()}comment-page-2/"
    one = client.get(f"{post.get_absolute_url()}comment-page-1/")
    assert (one.status_code, one["Location"]) == (301, post.get_absolute_url())
    assert client.get(post.get_comments_page_url(4)).status_code == 404


def test_whole_thread_on_one_page_when_paging_is_off(client, page_soup, long_thread, settings):
    """COMMENTS_PER_PAGE=0 shows every comment on the post page, without page links."""
    settings.COMMENTS_PER_PAGE = 0
    post, _ = long_thread
    response = client.get(post.get_absolute_url())
    assert len(shown(page_soup, response)) == 15
    assert page_soup(response).select_one(".comment-pages") is None


def test_permalink_finds_the_page_and_anchor(client, long_thread):
    """/comments/ID/ redirects to the page that shows the comment, at its anchor."""
    post, threads = long_thread
    deep = threads[3][2]
    response = client.get(reverse("comments:permalink", args=[deep.pk]))
    assert response.status_code == 302
    assert response["Location"] == f"{post.get_comments_page_url(2)}#comment-{deep.pk}"
    assert deep.get_absolute_url() == f"/comments/{deep.pk}/"


def test_permalinks_of_hidden_comments_reveal_nothing(client, long_thread):
    """Pending, spam and removed comments have no permalink for other readers."""
    post, threads = long_thread
    for status in ("pending", "spam", "removed"):
        hidden = make_comment(post, status=status)
        assert client.get(reverse("comments:permalink", args=[hidden.pk])).status_code == 404
    Comment.objects.filter(pk=threads[0][0].pk).update(status="spam")
    under_spam = threads[0][2]
    assert client.get(reverse("comments:permalink", args=[under_spam.pk])).status_code == 404


def test_new_comment_goes_to_the_last_page_for_its_author(page_soup, long_thread):
    """A new top-level comment lands its author on the page that shows it, pending."""
    post, _ = long_thread
    author = Client()
    response = author.post(
        reverse("comments:create", args=[post.pk]), comment_form_data(post, body="Latest word.")
    )
    comment = Comment.objects.get(body="Latest word.")
    assert response["Location"] == f"{post.get_comments_page_url(3)}#comment-{comment.pk}"
    page = author.get(post.get_comments_page_url(3)).content.decode()
    assert "Latest word." in page and "awaiting moderation" in page
    permalink = author.get(reverse("comments:permalink", args=[comment.pk]))
    assert permalink["Location"].endswith(f"#comment-{comment.pk}")
    assert Client().get(reverse("comments:permalink", args=[comment.pk])).status_code == 404


def test_a_sixth_thread_for_its_author_opens_a_new_page(page_soup, long_thread):
    """With every page full, the author's pending thread is on a page only they can see."""
    post, _ = long_thread
    make_comment(post, body="Thread 5 starts.")  # page 3 is now full
    author = Client()
    author.post(reverse("comments:create", args=[post.pk]), comment_form_data(post, body="New."))
    assert "New." in author.get(post.get_comments_page_url(4)).content.decode()
    assert Client().get(post.get_comments_page_url(4)).status_code == 404


def test_reply_links_stay_on_their_page(client, page_soup, long_thread):
    """On page 2, Reply opens the form on page 2 for that comment."""
    post, threads = long_thread
    soup = page_soup(client.get(post.get_comments_page_url(2)))
    link = soup.select_one(f"#comment-{threads[2][1].pk} .comment-reply-link")
    assert link["href"] == f"{post.get_comments_page_url(2)}?replytocom={threads[2][1].pk}#respond"
    form_page = page_soup(client.get(link["href"]))
    assert form_page.select_one("input[name=parent]")["value"] == str(threads[2][1].pk)


def test_feed_and_admin_link_to_the_permalink(client, long_thread, settings):
    """The comment feed and the admin's "view on site" both use /comments/ID/."""
    _post, threads = long_thread
    comment = threads[4][0]
    feed = client.get(reverse("posts:comments-feed")).content.decode()
    assert f"/comments/{comment.pk}/" in feed
    from tests.factories import make_staff

    client.force_login(make_staff("mod", superuser=True))
    change = client.get(
        reverse("admin:comments_comment_change", args=[comment.pk])
    ).content.decode()
    assert f'href="{settings.SITE_URL}/comments/{comment.pk}/" class="viewsitelink"' in change


@pytest.mark.parametrize("per_page", [0, 1, 2])
def test_the_count_is_the_public_comments_of_the_whole_thread(
    client, page_soup, settings, per_page
):
    """The title counts what Comment.objects.public() counts, on every page, whether the
    thread is on one page or several, and for a reader with a comment of their own
    awaiting moderation (counted from the rows the thread read, not by another query)."""
    settings.COMMENTS_PER_PAGE = per_page
    settings.COMMENTS_MIN_SUBMIT_SECONDS = 0
    post = make_post()
    root = make_comment(post)
    make_comment(post, parent=root)
    removed = make_comment(post, status="removed")
    make_comment(post, parent=removed)  # public, under a placeholder
    spam = make_comment(post, status="spam")
    make_comment(post, parent=spam)  # hidden with its branch
    held = make_comment(post, status="pending")
    Comment.objects.create(  # approved under a held comment: hidden too
        post=post, parent=held, body="Under held.", status="approved"
    )
    make_comment(post, body="Last.")
    expected = Comment.objects.public().filter(post=post).count()
    assert expected == 4
    reader = Client()
    data = comment_form_data(post, body="Mine, held.")
    assert reader.post(reverse("comments:create", args=[post.pk]), data).status_code == 302
    for browser in (client, reader):
        url, seen = post.get_absolute_url(), 0
        while url:  # every page, by its "Newer comments" link
            soup = page_soup(browser.get(url))
            title = soup.select_one("#comments-title").get_text()
            assert title.startswith(f"{expected} thoughts on"), (url, title)
            following = soup.select_one(".comment-pages a[rel=next]")
            url, seen = following and following["href"], seen + 1
        assert seen == (1 if not per_page else -(-(3 + (browser is reader)) // per_page))
