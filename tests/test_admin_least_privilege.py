"""Least privilege: a member of Moderators sees no account beyond staff names on audit
entries, on every admin page and filter they can reach."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from comments import services
from comments.models import CommentEvent
from comments.roles import MODERATORS_GROUP
from posts.models import Author
from tests.factories import make_comment, make_post, make_staff

pytestmark = pytest.mark.django_db

# Account names that must never reach a moderator's screen.
SECRET_USERNAMES = ("reader-account-7f3", "quiet-admin-9q2", "author-login-5k1")


@pytest.fixture
def site(client):
    User = get_user_model()
    reader = User.objects.create_user("reader-account-7f3", password="x-unused-1")
    make_staff("quiet-admin-9q2", superuser=True)
    writer = make_staff("author-login-5k1", first_name="Gavin", last_name="Giovannoni")
    moderator = make_staff("mod-on-duty", first_name="Molly", last_name="Moderator")
    moderator.groups.add(Group.objects.get(name=MODERATORS_GROUP))
    author = Author.objects.create(name="Prof G", slug="prof-g", user=writer)
    post = make_post(author=author)
    comment = make_comment(post, status="pending", body="A reader's words.")
    services.comments_moderate(comments=[comment], action="approve", actor=moderator)
    services.sender_block(
        comment=make_comment(post, status="pending", author_email="x@example.org"),
        kind="email",
        actor=moderator,
    )
    # A former account acted once (a signed-in non-staff comment records its author).
    CommentEvent.objects.create(comment=comment, actor=reader, action="edited", reason="legacy")
    client.force_login(moderator)
    return {"client": client, "post": post, "comment": comment, "author": author}


def reachable_pages(site) -> list[str]:
    """Every admin page a moderator may open, with each filter choice its lists offer."""
    client = site["client"]
    comment, post, author = site["comment"], site["post"], site["author"]
    event = CommentEvent.objects.filter(comment=comment).first()
    pages = [
        reverse("admin:index"),
        reverse("admin:app_list", args=["comments"]),
        reverse("admin:app_list", args=["posts"]),
        reverse("admin:comments_comment_changelist"),
        reverse("admin:comments_comment_change", args=[comment.pk]),
        reverse("admin:comments_comment_history", args=[comment.pk]),
        reverse("admin:comments_comment_context", args=[comment.pk]),
        reverse("admin:comments_comment_quick_edit", args=[comment.pk]),
        reverse("admin:comments_comment_reply", args=[comment.pk]),
        reverse("admin:comments_commentevent_changelist"),
        reverse("admin:comments_commentevent_change", args=[event.pk]),
        reverse("admin:comments_moderationbatch_changelist"),
        reverse("admin:comments_blockedsender_changelist"),
        reverse("admin:comments_blockedsender_add"),
        reverse("admin:posts_post_changelist"),
        reverse("admin:posts_post_change", args=[post.pk]),
        reverse("admin:posts_post_history", args=[post.pk]),
        reverse("admin:posts_author_changelist"),
        reverse("admin:posts_author_change", args=[author.pk]),
    ]
    lists = [p for p in pages if p.endswith("/") and p.count("/") == 4]
    for listing in lists:
        html = client.get(listing).content.decode()
        for link in re.findall(r'href="(\?[^"]*)"', html):
            pages.append(listing + link.replace("&amp;", "&"))
    return pages


def test_moderators_see_no_account_names(site):
    """No page or filter a moderator can reach names an account other than staff on
    audit entries (the audit log's actor filter used to list every username)."""
    client = site["client"]
    leaks = []
    for page in reachable_pages(site):
        response = client.get(page)
        assert response.status_code == 200, page
        html = response.content.decode()
        leaks += [(page, name) for name in SECRET_USERNAMES if name in html]
    assert leaks == []


def test_audit_entries_name_staff_by_their_name(site):
    """The audit log names the moderator who acted, not their login."""
    client = site["client"]
    html = client.get(reverse("admin:comments_commentevent_changelist")).content.decode()
    assert "Molly Moderator" in html
    assert "mod-on-duty" not in html


def test_actor_filter_lists_only_staff_who_acted(site, page_soup):
    """The audit log's actor filter offers the staff who acted, by name, and nobody else."""
    soup = page_soup(site["client"].get(reverse("admin:comments_commentevent_changelist")))
    options = [a.get_text(strip=True) for a in soup.select("#changelist-filter a")]
    assert "Molly Moderator" in options
    assert not any(name in " ".join(options) for name in SECRET_USERNAMES)
