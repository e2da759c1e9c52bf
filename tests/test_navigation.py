"""Around a post: previous and next posts, related posts, and the sidebar on every page."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from comments.models import Comment
from tests.factories import local_datetime, make_comment, make_post, make_staff

pytestmark = pytest.mark.django_db


def days_ago(n):
    return timezone.now() - datetime.timedelta(days=n)


def post_navigation(page_soup, response):
    nav = page_soup(response).select_one("nav.post-navigation")
    if nav is None:
        return None, None
    previous, following = nav.select_one("a[rel=prev]"), nav.select_one("a[rel=next]")
    return (
        previous and previous["href"],
        following and following["href"],
    )


def test_post_links_the_older_and_newer_published_posts(client, page_soup):
    """Previous is the next older published post, next the next newer; drafts are skipped."""
    oldest = make_post(published_at=days_ago(30))
    make_post(status="draft", published_at=days_ago(20))
    middle = make_post(published_at=days_ago(10))
    make_post(published_at=timezone.now() + datetime.timedelta(days=2))
    newest = make_post(published_at=days_ago(1))
    response = client.get(middle.get_absolute_url())
    assert post_navigation(page_soup, response) == (
        oldest.get_absolute_url(),
        newest.get_absolute_url(),
    )
    assert post_navigation(page_soup, client.get(oldest.get_absolute_url())) == (
        None,
        middle.get_absolute_url(),
    )
    assert post_navigation(page_soup, client.get(newest.get_absolute_url())) == (
        middle.get_absolute_url(),
        None,
    )


def test_posts_published_at_the_same_moment_are_still_ordered(client, page_soup):
    """Two posts with one timestamp follow each other in the home page's order."""
    moment = local_datetime(2014, 2, 8)
    first = make_post(published_at=moment)
    second = make_post(published_at=moment)
    assert post_navigation(page_soup, client.get(first.get_absolute_url())) == (
        None,
        second.get_absolute_url(),
    )
    assert post_navigation(page_soup, client.get(second.get_absolute_url())) == (
        first.get_absolute_url(),
        None,
    )


def test_a_single_post_has_no_post_navigation(client, page_soup):
    """With no other published post there is nothing to navigate to."""
    post = make_post()
    assert page_soup(client.get(post.get_absolute_url())).select_one(".post-navigation") is None


def related_titles(page_soup, response):
    return [a.get_text() for a in page_soup(response).select(".related-posts li a")]


def test_related_posts_share_tags_most_shared_first(client, page_soup):
    """Related posts are published posts sharing tags, those sharing more first."""
    post = make_post(title="Subject", tags=["MSBlog", "ClinicSpeak", "Alemtuzumab"])
    make_post(title="Shares one", tags=["MSBlog"], published_at=days_ago(2))
    make_post(title="Shares two", tags=["MSBlog", "ClinicSpeak"], published_at=days_ago(5))
    make_post(title="Shares none", tags=["Other"])
    make_post(title="Draft sharing all", tags=["MSBlog", "ClinicSpeak"], status="draft")
    response = client.get(post.get_absolute_url())
    assert related_titles(page_soup, response) == ["Shares two", "Shares one"]


def test_related_posts_are_distinct_from_the_imported_block(client, page_soup):
    """The hand-written "Other relevant posts of interest" stays, under its own heading."""
    post = make_post(tags=["MSBlog"])
    post.related_entries.create(position=1, text="An older post", url="https://example.org/x")
    make_post(title="Tagged alike", tags=["MSBlog"])
    soup = page_soup(client.get(post.get_absolute_url()))
    assert soup.select_one("#related-title").get_text() == "Other relevant posts of interest"
    assert soup.select_one("#related-posts-title").get_text() == "Related posts"
    assert [a.get_text() for a in soup.select(".related-entries a")] == ["An older post"]
    assert [a.get_text() for a in soup.select(".related-posts a")] == ["Tagged alike"]


def test_untagged_post_has_no_related_posts(client, page_soup):
    """Without tags there is no related-posts section."""
    post = make_post()
    make_post(tags=["MSBlog"])
    assert page_soup(client.get(post.get_absolute_url())).select_one(".related-posts") is None


def sidebar(page_soup, response):
    return page_soup(response).select_one("aside.site-sidebar")


def test_sidebar_lists_recent_published_posts(client, page_soup):
    """The sidebar shows the five latest published posts, newest first."""
    for n in range(7):
        make_post(title=f"Post {n}", published_at=days_ago(10 - n))
    make_post(title="Draft", status="draft")
    aside = sidebar(page_soup, client.get(reverse("posts:index")))
    assert [a.get_text() for a in aside.select("#recent-posts-title + ul a")] == [
        "Post 6",
        "Post 5",
        "Post 4",
        "Post 3",
        "Post 2",
    ]


def test_sidebar_lists_recent_approved_comments(client, page_soup):
    """Recent comments name the author, quote an escaped excerpt and link to the comment."""
    post = make_post(title="Discussed")
    comment = make_comment(post, author_name="Ann <i>", body="I <u>agree</u> " + "x" * 100)
    make_comment(post, body="Pending words.", status="pending")
    make_comment(make_post(status="draft"), body="Words on a draft.")
    spam = make_comment(post, body="Spam words.")
    make_comment(post, parent=spam, body="Reply under spam.")
    Comment.objects.filter(pk=spam.pk).update(status="spam")
    response = client.get(reverse("posts:index"))
    items = sidebar(page_soup, response).select(".recent-comments li")
    assert len(items) == 1
    item = items[0]
    assert item.select_one(".comment-author").get_text() == "Ann <i>"
    assert item.select_one("a")["href"] == f"/comments/{comment.pk}/"
    assert item.select_one("a").get_text() == "Discussed"
    assert item.select_one("q").get_text().startswith("I <u>agree</u> xxx")
    assert item.select_one("q").get_text().endswith("…")
    assert item.find("b") is None and item.find("i") is None


@pytest.mark.parametrize(
    "url",
    [
        lambda post: reverse("posts:index"),
        lambda post: reverse("posts:tag", args=["msblog"]),
        lambda post: reverse("posts:archive-year", args=[post.published_at.year]),
        lambda post: post.author.get_absolute_url(),
        lambda post: post.get_absolute_url(),
        lambda post: reverse("posts:search") + "?q=anything",
    ],
    ids=["home", "tag", "archive", "author", "post", "search"],
)
def test_sidebar_and_search_box_are_on_public_pages(client, page_soup, url):
    """Every public page has the sidebar and a labelled search box in its header."""
    post = make_post(title="Sidebar post", tags=["MSBlog"])
    make_comment(post)
    response = client.get(url(post))
    assert response.status_code == 200
    soup = page_soup(response)
    assert "Sidebar post" in sidebar(page_soup, response).get_text()
    box = soup.select_one("header form[role=search]")
    assert box["action"] == reverse("posts:search")
    field = box.select_one("input[name=q]")
    assert soup.select_one(f"label[for={field['id']}]").get_text() == "Search this blog"


def test_staff_preview_of_a_draft_keeps_the_sidebar_public(client, page_soup):
    """Previewing a draft shows it, but the sidebar still lists published posts only."""
    make_post(title="Published one")
    draft = make_post(title="Draft preview", status="draft")
    client.force_login(make_staff(superuser=True))
    response = client.get(draft.get_absolute_url())
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    recent = [
        a.get_text() for a in sidebar(page_soup, response).select("#recent-posts-title + ul a")
    ]
    assert recent == ["Published one"]
