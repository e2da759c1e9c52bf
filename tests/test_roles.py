"""The Moderators group: what its members can and cannot do in the admin."""

import io

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from comments.models import Comment
from comments.roles import MODERATORS_GROUP
from posts.models import Post
from tests.factories import make_comment, make_post, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator(client):
    user = make_staff("moderator")
    user.groups.add(Group.objects.get(name=MODERATORS_GROUP))
    client.force_login(user)
    return client


def test_group_is_created_with_exactly_the_moderator_permissions():
    """Migrations leave a Moderators group that can see posts, moderate comments and keep
    the block list."""
    group = Group.objects.get(name=MODERATORS_GROUP)
    granted = sorted(f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all())
    assert granted == [
        "comments.add_blockedsender",
        "comments.change_blockedsender",
        "comments.change_comment",
        "comments.delete_blockedsender",
        "comments.view_blockedsender",
        "comments.view_comment",
        "comments.view_commentevent",
        "comments.view_moderationbatch",
        "posts.view_author",
        "posts.view_post",
    ]


def test_setup_roles_repairs_a_tampered_group():
    """The setup_roles command restores the group's permissions."""
    group = Group.objects.get(name=MODERATORS_GROUP)
    group.permissions.clear()
    call_command("setup_roles", stdout=io.StringIO())
    assert group.permissions.count() == 10


def test_moderator_moderates_and_edits_comments(moderator):
    """A moderator approves in bulk and edits a comment's text."""
    post = make_post()
    pending = [make_comment(post, status="pending") for _ in range(2)]
    changelist = reverse("admin:comments_comment_changelist")
    assert moderator.get(changelist).status_code == 200
    moderator.post(changelist, {"action": "approve", ACTION_CHECKBOX_NAME: [c.pk for c in pending]})
    assert set(Comment.objects.values_list("status", flat=True)) == {"approved"}
    change = reverse("admin:comments_comment_change", args=[pending[0].pk])
    response = moderator.post(
        change, {"body": "Tidied text.", "events-TOTAL_FORMS": 0, "events-INITIAL_FORMS": 0}
    )
    assert response.status_code == 302
    assert Comment.objects.get(pk=pending[0].pk).body == "Tidied text."


def test_moderator_sees_posts_but_cannot_edit_them(moderator):
    """Posts are view-only: the change page has no save button and a POST is refused."""
    post = make_post(title="Original title")
    change = reverse("admin:posts_post_change", args=[post.pk])
    page = moderator.get(change)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    response = moderator.post(change, {"title": "Hijacked", "slug": post.slug})
    assert response.status_code == 403
    assert Post.objects.get(pk=post.pk).title == "Original title"
    assert moderator.get(reverse("admin:posts_post_add")).status_code == 403


@pytest.mark.parametrize(
    "url",
    [
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_user_add"),
        reverse("admin:auth_group_changelist"),
        reverse("admin:taggit_tag_changelist"),
    ],
)
def test_moderator_cannot_reach_users_groups_or_settings(moderator, url):
    """Users, groups and tags are out of a moderator's reach."""
    assert moderator.get(url).status_code == 403


def test_moderator_cannot_promote_themselves(moderator):
    """A moderator cannot open their own user record to add permissions."""
    from django.contrib.auth import get_user_model

    me = get_user_model().objects.get(username="moderator")
    response = moderator.get(reverse("admin:auth_user_change", args=[me.pk]))
    assert response.status_code == 403


def test_moderator_cannot_delete_comments(moderator):
    """Not even a moderator can delete a comment: removal is a status."""
    comment = make_comment(make_post())
    response = moderator.post(
        reverse("admin:comments_comment_delete", args=[comment.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert Comment.objects.filter(pk=comment.pk).exists()


def test_staff_without_the_group_cannot_moderate(client):
    """Being staff is not enough: without the group the queue is forbidden."""
    client.force_login(make_staff("newcomer"))
    assert client.get(reverse("admin:comments_comment_changelist")).status_code == 403
