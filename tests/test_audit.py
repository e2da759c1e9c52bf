"""The audit trail: every moderation action and edit, with what it was before."""

import pytest
from django.test import Client
from django.urls import reverse

from comments import services
from comments.models import CommentEvent
from tests.factories import make_comment, make_post, make_staff

pytestmark = pytest.mark.django_db


def test_every_action_is_recorded_with_who_when_before_and_after():
    """Approve, spam, restore, remove and edit each leave an event; nothing is overwritten."""
    comment = make_comment(make_post(), status="pending", body="First words.")
    mod = make_staff("mod")
    services.comment_set_status(comment=comment, status="approved", actor=mod)
    services.comment_set_status(comment=comment, status="spam", actor=mod)
    services.comment_restore(comment=comment, actor=mod)
    services.comment_edit(comment=comment, body="Second words.", actor=mod, reason="abusive")
    services.comment_edit(comment=comment, body="Third words.", actor=mod)
    services.comment_set_status(comment=comment, status="removed", actor=mod)
    trail = [
        (e.action, e.status_before, e.status_after, e.body_before, e.body_after)
        for e in CommentEvent.objects.filter(comment=comment).order_by("pk")
    ]
    assert trail == [
        ("approved", "pending", "approved", "", ""),
        ("spam", "approved", "spam", "", ""),
        ("restored", "spam", "approved", "", ""),
        ("edited", "approved", "approved", "First words.", "Second words."),
        ("edited", "approved", "approved", "Second words.", "Third words."),
        ("removed", "approved", "removed", "", ""),
    ]
    assert {e.actor for e in CommentEvent.objects.filter(comment=comment)} == {mod}
    assert all(e.created_at for e in CommentEvent.objects.all())


def test_public_page_says_a_comment_was_edited_by_the_team(page_soup):
    """After a moderator's edit, readers see the new text and a note that it was edited."""
    post = make_post()
    comment = make_comment(post, body="Rude words.")
    services.comment_edit(comment=comment, body="Polite words.", actor=make_staff())
    soup = page_soup(Client().get(post.get_absolute_url()))
    item = soup.select_one(f"#comment-{comment.pk}")
    assert "Polite words." in item.get_text() and "Rude words." not in item.get_text()
    assert item.select_one(".comment-edited").get_text().startswith("Edited by the blog team on")


def test_moderators_see_the_history_on_the_comment_page(client):
    """The comment's admin page lists its history, including the original text."""
    comment = make_comment(make_post(), body="Original text.")
    mod = make_staff("mod", superuser=True)
    services.comment_edit(comment=comment, body="Edited text.", actor=mod)
    client.force_login(mod)
    page = client.get(reverse("admin:comments_comment_change", args=[comment.pk])).content.decode()
    assert "Original text." in page and "Edited text." in page


def test_audit_log_is_read_only_in_the_admin(client):
    """Nobody can change or delete an audit entry, even a superuser."""
    comment = make_comment(make_post())
    event = services.comment_set_status(comment=comment, status="spam") and (
        CommentEvent.objects.get(comment=comment)
    )
    client.force_login(make_staff("boss", superuser=True))
    change = reverse("admin:comments_commentevent_change", args=[event.pk])
    assert 'name="_save"' not in client.get(change).content.decode()
    delete = reverse("admin:comments_commentevent_delete", args=[event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert CommentEvent.objects.filter(pk=event.pk).exists()


def test_an_edit_obeys_the_rules_of_a_new_comment(client):
    """A moderator's edit with a NUL byte or nothing at all is refused and changes nothing."""
    comment = make_comment(make_post(), body="Original text.")
    mod = make_staff("mod", superuser=True)
    client.force_login(mod)
    url = reverse("admin:comments_comment_change", args=[comment.pk])
    for body, message in (("Bad\x00byte", "Null characters"), ("Bell\x07", "control character")):
        data = {"body": body, "events-TOTAL_FORMS": 0, "events-INITIAL_FORMS": 0}
        response = client.post(url, data)
        assert response.status_code == 200 and message in response.content.decode()
    comment.refresh_from_db()
    assert comment.body == "Original text." and not comment.events.filter(action="edited")
