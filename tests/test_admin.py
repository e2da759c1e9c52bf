"""The admin: posts and comment moderation as a staff member sees them."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from comments.models import Comment, CommentEvent
from posts.models import Post
from tests.factories import make_author, make_comment, make_post, make_staff

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:comments_comment_changelist")


@pytest.fixture
def admin_client(client):
    client.force_login(make_staff("editor", superuser=True))
    return client


def texts(soup) -> list[str]:
    return [div.get_text(strip=True) for div in soup.select("#result_list .comment-text")]


def test_comment_list_shows_moderation_columns(admin_client, page_soup):
    """The queue shows each comment's author, text and what it responds to, pending first."""
    post = make_post(title="A post about trials")
    parent = make_comment(post, body="Top level words.")
    make_comment(post, parent=parent, body="Reply words.", status="pending")
    soup = page_soup(admin_client.get(CHANGELIST))
    headers = [th.get_text(strip=True) for th in soup.select("#result_list thead th")]
    assert headers[1:] == ["Author", "Comment", "In response to"]
    assert texts(soup) == ["Reply words.", "Top level words."]
    titles = [p.get_text(" ", strip=True) for p in soup.select("#result_list .post-title")]
    assert all(title.startswith("A post about trials") for title in titles)
    badges = [b.get_text(" ", strip=True) for b in soup.select("#result_list .comment-meta a")]
    assert [badge.split()[0] for badge in badges] == ["Pending", "Approved"]


def test_comment_list_filters_and_search(admin_client, page_soup):
    """Moderators filter by status and post, and search text, names and emails."""
    first, second = make_post(), make_post()
    make_comment(first, body="Alpha text", status="pending")
    make_comment(first, body="Beta text", author_email="beta@example.org")
    make_comment(second, body="Gamma text", status="pending")

    def excerpts(**params):
        return sorted(texts(page_soup(admin_client.get(CHANGELIST, params))))

    assert excerpts(status__exact="pending") == ["Alpha text", "Gamma text"]
    assert excerpts(post__id__exact=second.pk) == ["Gamma text"]
    assert excerpts(q="beta@example.org") == ["Beta text"]
    assert excerpts(author_email="BETA@example.org") == ["Beta text"]
    assert excerpts(parent__isempty="1") == ["Alpha text", "Beta text", "Gamma text"]


@pytest.mark.parametrize(
    ("action", "status", "event"),
    [
        ("approve", "approved", "approved"),
        ("mark_spam", "spam", "spam"),
        ("remove", "removed", "removed"),
    ],
)
def test_bulk_actions_change_status_and_record_who(admin_client, action, status, event):
    """A bulk action moves every selected comment and records the moderator."""
    post = make_post()
    chosen = [make_comment(post, status="pending") for _ in range(3)]
    untouched = make_comment(post, status="pending")
    response = admin_client.post(
        CHANGELIST,
        {"action": action, ACTION_CHECKBOX_NAME: [c.pk for c in chosen]},
        follow=True,
    )
    assert "3 comments." in response.content.decode()
    assert set(
        Comment.objects.filter(pk__in=[c.pk for c in chosen]).values_list("status", flat=True)
    ) == {status}
    assert Comment.objects.get(pk=untouched.pk).status == "pending"
    events = CommentEvent.objects.filter(action=event)
    assert events.count() == 3
    assert {e.actor.username for e in events} == {"editor"}
    assert {e.status_before for e in events} == {"pending"}


def test_editing_a_comment_keeps_the_original_text(admin_client):
    """A moderator's edit changes the body and keeps what it was in the audit trail."""
    comment = make_comment(make_post(), body="Original rude text.")
    url = reverse("admin:comments_comment_change", args=[comment.pk])
    response = admin_client.post(
        url, {"body": "Edited text.", "events-TOTAL_FORMS": 0, "events-INITIAL_FORMS": 0}
    )
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.body == "Edited text."
    event = CommentEvent.objects.get(action="edited")
    assert (event.body_before, event.body_after, event.actor.username) == (
        "Original rude text.",
        "Edited text.",
        "editor",
    )
    page = admin_client.get(url).content.decode()
    assert "Original rude text." in page


def test_comments_cannot_be_deleted(admin_client):
    """No delete button or action: removal is a status, so nothing is lost."""
    comment = make_comment(make_post())
    page = admin_client.get(
        reverse("admin:comments_comment_change", args=[comment.pk])
    ).content.decode()
    assert "deletelink" not in page
    response = admin_client.post(
        reverse("admin:comments_comment_delete", args=[comment.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert Comment.objects.filter(pk=comment.pk).exists()


def test_post_admin_creates_a_tagged_post(admin_client):
    """An editor creates a post with tags from the admin form."""
    author = make_author("Prof G")
    response = admin_client.post(
        reverse("admin:posts_post_add"),
        {
            "title": "New research",
            "slug": "new-research",
            "author": author.pk,
            "lede": "A lede",
            "body": "<p>Body</p>",
            "coi": "multiple",
            "postscript": "",
            "tags": "MSBlog, ClinicSpeak",
            "status": "published",
            "published_at_0": "2024-01-02",
            "published_at_1": "10:00:00",
            "comments_open": "on",
            "related_entries-TOTAL_FORMS": 0,
            "related_entries-INITIAL_FORMS": 0,
            "original_urls-TOTAL_FORMS": 0,
            "original_urls-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    post = Post.objects.get(slug="new-research")
    assert sorted(post.tags.names()) == ["ClinicSpeak", "MSBlog"]


def test_post_admin_search_and_filters(admin_client, page_soup):
    """Posts can be searched and filtered by status."""
    make_post(title="Alemtuzumab news")
    make_post(title="Draft about cladribine", status="draft")
    soup = page_soup(admin_client.get(reverse("admin:posts_post_changelist"), {"q": "cladribine"}))
    assert [a.get_text() for a in soup.select("#result_list tbody th a")] == [
        "Draft about cladribine"
    ]
    soup = page_soup(
        admin_client.get(reverse("admin:posts_post_changelist"), {"status__exact": "published"})
    )
    assert [a.get_text() for a in soup.select("#result_list tbody th a")] == ["Alemtuzumab news"]


def test_anonymous_users_are_sent_to_login(client):
    """The admin refuses anonymous visitors."""
    response = client.get(CHANGELIST)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
