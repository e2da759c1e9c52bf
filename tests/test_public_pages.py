"""Home, tag and post pages: what readers see, and what they never see."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from comments.models import Comment
from tests.factories import make_comment, make_post, make_staff

pytestmark = pytest.mark.django_db


def days_ago(n):
    return timezone.now() - datetime.timedelta(days=n)


def titles(page_soup, response):
    return [a.get_text() for a in page_soup(response).select(".post-summary .entry-title a")]


def test_home_lists_published_posts_newest_first(client, page_soup):
    """Home shows published posts newest first with date, author, lede, tags and count."""
    old = make_post(title="Old news", published_at=days_ago(10), tags=["MSBlog"])
    new = make_post(
        title="Fresh news", published_at=days_ago(1), lede="A lede #MSBlog", tags=["MSBlog"]
    )
    make_comment(new)
    make_comment(new, status="pending")
    response = client.get(reverse("posts:index"))
    assert titles(page_soup, response) == ["Fresh news", "Old news"]
    soup = page_soup(response)
    first = soup.select(".post-summary")[0]
    assert "1 comment" in first.get_text()
    assert new.author.name in first.get_text()
    assert first.select_one(".entry-lede a")["href"] == reverse("posts:tag", args=["msblog"])
    assert old.get_absolute_url() in response.content.decode()


def test_home_is_paginated(client, page_soup, settings):
    """Eleven posts make two pages of ten, with older-posts navigation."""
    for n in range(11):
        make_post(title=f"Post {n:02d}", published_at=days_ago(n + 1))
    first = client.get(reverse("posts:index"))
    assert len(titles(page_soup, first)) == 10
    assert page_soup(first).select_one("a[rel=next]")["href"] == "?page=2"
    second = client.get(reverse("posts:index"), {"page": 2})
    assert titles(page_soup, second) == ["Post 10"]


def test_drafts_and_future_posts_are_hidden(client):
    """Drafts and scheduled posts are on no public page, and their permalinks 404."""
    draft = make_post(title="Secret draft", status="draft", tags=["Hidden"])
    future = make_post(
        title="Tomorrow's post", published_at=timezone.now() + datetime.timedelta(days=1)
    )
    home = client.get(reverse("posts:index")).content.decode()
    assert "Secret draft" not in home and "Tomorrow" not in home
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(future.get_absolute_url()).status_code == 404
    assert client.get(reverse("posts:tag", args=["hidden"])).status_code == 404


def test_staff_can_preview_a_draft_uncached(client):
    """An editor sees a draft at its permalink, with no-cache headers."""
    draft = make_post(title="Secret draft", status="draft")
    client.force_login(make_staff(superuser=True))
    response = client.get(draft.get_absolute_url())
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]


def test_tag_page_lists_only_that_tags_posts(client, page_soup):
    """A tag page lists the published posts carrying the tag."""
    make_post(title="Tagged", tags=["ClinicSpeak"])
    make_post(title="Untagged")
    make_post(title="Tagged draft", tags=["ClinicSpeak"], status="draft")
    response = client.get(reverse("posts:tag", args=["clinicspeak"]))
    assert titles(page_soup, response) == ["Tagged"]
    assert "#ClinicSpeak" in page_soup(response).select_one("h1").get_text()
    assert client.get(reverse("posts:tag", args=["no-such-tag"])).status_code == 404


def test_post_page_shows_the_whole_post(client, page_soup):
    """Title, author, date, lede, body, CoI, tags and thought count are all on the page."""
    post = make_post(
        title="ClinicSpeak: when to say no",
        lede="Tipping the scales #ClinicSpeak",
        body="<p>First paragraph.</p><p>Second <em>paragraph</em>.</p>",
        coi="multiple",
        tags=["ClinicSpeak"],
    )
    make_comment(post)
    make_comment(post)
    soup = page_soup(client.get(post.get_absolute_url()))
    assert soup.select_one("h1.entry-title").get_text() == post.title
    assert soup.select_one(".entry-content em").get_text() == "paragraph"
    assert soup.select_one(".entry-coi").get_text() == "CoI: multiple"
    assert soup.select_one(".tag-list a")["href"] == "/tag/clinicspeak/"
    assert (
        soup.select_one("#comments-title").get_text()
        == "2 thoughts on “ClinicSpeak: when to say no”"
    )


def test_post_body_html_is_sanitised(client, page_soup):
    """Script and event handlers in a post body never reach the page."""
    post = make_post(body='<p onclick="x()">Hi<script>alert(1)</script></p><img src=x onerror=y()>')
    soup = page_soup(client.get(post.get_absolute_url()))
    body = soup.select_one(".entry-content")
    assert body.find("script") is None
    assert not any(attr.startswith("on") for tag in body.find_all(True) for attr in tag.attrs)


def test_wrong_date_in_permalink_is_404(client):
    """The permalink's date must match the post's."""
    post = make_post(published_at=timezone.make_aware(datetime.datetime(2014, 2, 8, 12)))
    assert client.get(post.get_absolute_url()).status_code == 200
    assert client.get(f"/2014/02/09/{post.slug}/").status_code == 404


@pytest.mark.parametrize("status", ["pending", "spam", "removed"])
def test_hidden_comments_never_appear(client, status):
    """Pending, spam and removed comments are on no page and in no count."""
    post = make_post(title="Visible post")
    make_comment(post, body=f"The {status} words.", status=status)
    for url in (post.get_absolute_url(), reverse("posts:index")):
        page = Client().get(url).content.decode()
        assert f"The {status} words." not in page
    assert "No comments yet" in Client().get(post.get_absolute_url()).content.decode()


def test_removed_comment_with_replies_leaves_a_placeholder(client, page_soup):
    """Removing a comment that has approved replies keeps the thread's shape."""
    post = make_post()
    parent = make_comment(post, body="Rude words.")
    reply = make_comment(post, parent=parent, body="A calm reply.")
    lonely = make_comment(post, body="Removed alone.")
    Comment.objects.filter(pk__in=[parent.pk, lonely.pk]).update(status="removed")
    response = client.get(post.get_absolute_url())
    page = response.content.decode()
    assert "Rude words." not in page and "Removed alone." not in page
    soup = page_soup(response)
    placeholder = soup.select_one(f"#comment-{parent.pk}")
    assert placeholder.select_one(".comment-placeholder").get_text() == "This comment was removed."
    assert placeholder.select_one(f"ol.children > #comment-{reply.pk}") is not None
    assert soup.select_one(f"#comment-{lonely.pk}") is None


def test_spam_parent_hides_its_whole_branch(client):
    """Replies under a spam comment are not shown either."""
    post = make_post()
    spam = make_comment(post, body="Buy pills.")
    make_comment(post, parent=spam, body="Reply to spam.")
    Comment.objects.filter(pk=spam.pk).update(status="spam")
    page = client.get(post.get_absolute_url()).content.decode()
    assert "Buy pills." not in page and "Reply to spam." not in page
    assert "This comment was removed." not in page


def test_deep_threads_are_capped_visually(client, page_soup, settings):
    """Beyond the visual cap the markup still nests, flagged so CSS stops indenting."""
    settings.COMMENTS_MAX_VISUAL_DEPTH = 3
    post = make_post()
    parent = None
    for _ in range(6):
        parent = make_comment(post, parent=parent)
    soup = page_soup(client.get(post.get_absolute_url()))
    deepest = soup.select_one(f"#comment-{parent.pk}")
    assert len(deepest.find_parents("ol", class_="children")) == 5
    assert "depth-capped" in deepest["class"]


def test_non_ascii_tag_has_a_working_page(client, page_soup):
    """A tag typed with accents ("Névrologie") gets a page that its links reach."""
    post = make_post(title="En français", tags=["Névrologie"])
    soup = page_soup(client.get(post.get_absolute_url()))
    link = soup.select_one(".tag-list a")["href"]
    assert link == "/tag/n%C3%A9vrologie/"
    page = client.get(link)
    assert page.status_code == 200 and "En français" in page.content.decode()


@pytest.mark.parametrize("status", ["pending", "spam"])
def test_replies_under_a_hidden_comment_are_neither_shown_nor_counted(client, status):
    """An approved reply below a pending or spam comment is hidden and uncounted everywhere."""
    post = make_post(title="Counted post")
    parent = make_comment(post, body="Parent words.")
    make_comment(post, parent=parent, body="Hidden reply.")
    Comment.objects.filter(pk=parent.pk).update(status=status)
    page = client.get(post.get_absolute_url()).content.decode()
    assert "Hidden reply." not in page and "No comments yet on" in page
    home = client.get(reverse("posts:index")).content.decode()
    assert "No comments yet" in home
    assert Comment.objects.public().count() == 0
