"""Undo everything: each moderator action, single or bulk, is one recorded batch whose
whole effect Undo reverses, in the audit trail too."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from comments import services
from comments.models import BlockedSender, Comment, Commenter, CommentEvent, ModerationBatch
from tests.factories import comment_form_data, make_comment, make_post, make_staff

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:comments_comment_changelist")


@pytest.fixture
def mod():
    return make_staff("mod", superuser=True, first_name="Molly")


def state(*comments):
    return [
        (c.status, c.moderation_reason, c.body)
        for c in Comment.objects.filter(pk__in=[c.pk for c in comments]).order_by("pk")
    ]


def undo_in_admin(client, batch):
    return client.post(
        reverse("admin:comments_comment_undo", args=[batch.pk]),
        HTTP_REFERER=f"http://testserver{CHANGELIST}",
    )


@pytest.mark.parametrize("action", ["approve", "unapprove", "spam", "remove", "restore"])
def test_undo_puts_every_comment_back_after_a_bulk_action(mod, action):
    """A bulk action on a mix of statuses, undone, leaves statuses and reasons as before."""
    post = make_post()
    comments = [
        make_comment(post, status="pending", moderation_reason="contains 2 links (hold at 2)"),
        make_comment(post, status="approved"),
        make_comment(post, status="pending", moderation_reason="every new comment is held"),
    ]
    services.comment_set_status(comment=comments[2], status="spam", actor=mod, reason="spammy")
    before = state(*comments)
    batch = services.comments_moderate(comments=comments, action=action, actor=mod)
    assert batch is not None and state(*comments) != before
    undo = services.batch_undo(batch=batch, actor=mod)
    assert state(*comments) == before
    assert undo.undo_of == batch
    undone = CommentEvent.objects.filter(batch=undo)
    assert undone.count() == CommentEvent.objects.filter(batch=batch).count()
    assert {e.action for e in undone} == {"undone"}
    assert {e.reason for e in undone} == {f"undo of action #{batch.pk}"}


def test_undoing_an_approved_reply_puts_its_parents_back(mod):
    """Approving a reply approves its pending parent and grandparent; undo holds all three
    again, and readers see none of them."""
    post = make_post()
    grandparent = make_comment(post, status="pending", body="Grandparent words.")
    parent = make_comment(post, parent=grandparent, status="pending", body="Parent words.")
    reply = make_comment(post, parent=parent, status="pending", body="Reply words.")
    batch = services.comments_moderate(comments=[reply], action="approve", actor=mod)
    assert state(grandparent, parent, reply) == [
        ("approved", "", c.body) for c in (grandparent, parent, reply)
    ]
    assert batch.events.count() == 3
    services.batch_undo(batch=batch, actor=mod)
    assert {s for s, _, _ in state(grandparent, parent, reply)} == {"pending"}
    page = Client().get(post.get_absolute_url()).content.decode()
    assert "Reply words." not in page and "Grandparent words." not in page


def test_undoing_a_spam_mark_brings_back_the_branch_it_hid(mod):
    """Spam on a comment hides its approved replies from readers; undo shows them again."""
    post = make_post()
    top = make_comment(post, body="Top words.")
    reply = make_comment(post, parent=top, body="Reply under it.")
    batch = services.comments_moderate(comments=[top], action="spam", actor=mod)
    assert "Reply under it." not in Client().get(post.get_absolute_url()).content.decode()
    services.batch_undo(batch=batch, actor=mod)
    page = Client().get(post.get_absolute_url()).content.decode()
    assert "Top words." in page and "Reply under it." in page
    assert Comment.objects.get(pk=reply.pk).status == "approved"


@pytest.mark.parametrize("status", ["spam", "removed"])
def test_branch_action_and_its_undo(mod, status):
    """Spam or remove a whole branch in one action, and undo it whole."""
    post = make_post()
    top = make_comment(post)
    child = make_comment(post, parent=top, status="pending")
    grandchild = make_comment(post, parent=child)
    sibling = make_comment(post)
    before = state(top, child, grandchild, sibling)
    batch = services.comment_branch_set_status(comment=top, status=status, actor=mod)
    assert [s for s, _, _ in state(top, child, grandchild)] == [status] * 3
    assert Comment.objects.get(pk=sibling.pk).status == "approved"
    services.batch_undo(batch=batch, actor=mod)
    assert state(top, child, grandchild, sibling) == before


def test_block_an_email_spams_their_pending_comments_and_their_next_one(mod, settings):
    """Blocking an email adds it to the block list and marks their pending comments as spam;
    their next comment goes to spam; undo lifts the block and restores the comments."""
    settings.COMMENTS_MIN_SUBMIT_SECONDS = 0
    post = make_post()
    mine = [make_comment(post, status="pending", author_email="Spam@Example.org") for _ in range(2)]
    other = make_comment(post, status="pending", author_email="fine@example.org")
    batch = services.sender_block(comment=mine[0], kind="email", actor=mod)
    assert BlockedSender.objects.get().value == "spam@example.org"
    assert [s for s, _, _ in state(*mine)] == ["spam", "spam"]
    assert Comment.objects.get(pk=other.pk).status == "pending"
    Client().post(
        reverse("comments:create", args=[post.pk]),
        comment_form_data(post, author_email="SPAM@example.org", body="Again, pills."),
    )
    again = Comment.objects.get(body="Again, pills.")
    assert again.status == "spam"
    assert again.moderation_reason == "matches the block list (email spam@example.org)"
    services.batch_undo(batch=batch, actor=mod)
    assert not BlockedSender.objects.exists()
    assert [s for s, _, _ in state(*mine)] == ["pending", "pending"]


def test_block_an_ip_address(mod):
    """Blocking an IP address lists it in canonical form and spams that address's queue."""
    post = make_post()
    comment = make_comment(post, status="pending", ip_address="2001:DB8::0:1")
    services.sender_block(comment=comment, kind="ip", actor=mod)
    entry = BlockedSender.objects.get()
    assert (entry.kind, entry.value, entry.created_by) == ("ip", "2001:db8::1", mod)
    assert Comment.objects.get(pk=comment.pk).status == "spam"


def test_undo_of_approve_and_trust_withdraws_the_trust(mod):
    """Undoing "Approve & trust" holds the comment again and forgets the trust."""
    comment = make_comment(make_post(), status="pending", author_email="olive@example.org")
    batch = services.comment_approve_and_trust(comment=comment, actor=mod)
    assert Commenter.objects.get(email="olive@example.org").trusted_by == mod
    services.batch_undo(batch=batch, actor=mod)
    assert Commenter.objects.get(email="olive@example.org").trusted_at is None
    assert Comment.objects.get(pk=comment.pk).status == "pending"


def test_undo_of_an_edit_and_of_a_staff_reply(mod):
    """An edit undone restores the text; a staff reply undone is removed, and the parent it
    approved is held again."""
    post = make_post()
    comment = make_comment(post, status="pending", body="Original text.")
    edit = services.comment_moderator_edit(comment=comment, body="Tidied text.", actor=mod)
    services.batch_undo(batch=edit, actor=mod)
    assert Comment.objects.get(pk=comment.pk).body == "Original text."
    reply = services.comment_reply_as_team(parent=comment, body="Team answer.", user=mod)
    batch = reply.events.get().batch
    services.batch_undo(batch=batch, actor=mod)
    assert Comment.objects.get(pk=reply.pk).status == "removed"
    assert Comment.objects.get(pk=comment.pk).status == "pending"


def test_undo_is_refused_when_a_comment_changed_since(mod):
    """If someone moderated a comment after the action, undo changes nothing and says why."""
    post = make_post()
    first, second = make_comment(post, status="pending"), make_comment(post, status="pending")
    batch = services.comments_moderate(comments=[first, second], action="approve", actor=mod)
    services.comments_moderate(comments=[second], action="remove", actor=mod)
    with pytest.raises(ValidationError, match=f"#{second.pk} changed after action"):
        services.batch_undo(batch=batch, actor=mod)
    assert [s for s, _, _ in state(first, second)] == ["approved", "removed"]


def test_an_action_can_be_undone_once(mod):
    """A second undo of the same action, or an undo of an undo, is refused."""
    comment = make_comment(make_post(), status="pending")
    batch = services.comments_moderate(comments=[comment], action="approve", actor=mod)
    undo = services.batch_undo(batch=batch, actor=mod)
    for target in (batch, undo):
        with pytest.raises(ValidationError):
            services.batch_undo(batch=target, actor=mod)
    assert Comment.objects.get(pk=comment.pk).status == "pending"


def test_an_action_that_changed_nothing_offers_no_undo(mod):
    """Approving an approved comment records no batch."""
    comment = make_comment(make_post())
    assert services.comments_moderate(comments=[comment], action="approve", actor=mod) is None
    assert not ModerationBatch.objects.exists()


def test_admin_bulk_action_then_undo_button(client, mod, page_soup):
    """In the admin: a bulk spam, then the Undo button the queue offers, both in the trail."""
    client.force_login(mod)
    post = make_post()
    chosen = [make_comment(post, status="pending") for _ in range(3)]
    client.post(CHANGELIST, {"action": "mark_spam", ACTION_CHECKBOX_NAME: [c.pk for c in chosen]})
    assert {s for s, _, _ in state(*chosen)} == {"spam"}
    soup = page_soup(client.get(CHANGELIST))
    bar = soup.select_one(".undo-bar")
    assert "Marked as spam 3 comments" in bar.get_text(" ", strip=True)
    batch = ModerationBatch.objects.get()
    assert bar.select_one("form")["action"] == reverse(
        "admin:comments_comment_undo", args=[batch.pk]
    )
    response = undo_in_admin(client, batch)
    assert response.status_code == 302
    assert {s for s, _, _ in state(*chosen)} == {"pending"}
    soup = page_soup(client.get(CHANGELIST))
    assert soup.select_one(".undo-bar") is None


def test_admin_undo_refusal_is_a_message(client, mod):
    """A refused undo in the admin is an error message, not an error page."""
    client.force_login(mod)
    comment = make_comment(make_post(), status="pending")
    batch = services.comments_moderate(comments=[comment], action="approve", actor=mod)
    services.comments_moderate(comments=[comment], action="remove", actor=mod)
    response = client.post(
        reverse("admin:comments_comment_undo", args=[batch.pk]),
        HTTP_REFERER=f"http://testserver{CHANGELIST}",
        follow=True,
    )
    assert "Nothing was undone" in response.content.decode()
    assert Comment.objects.get(pk=comment.pk).status == "removed"
