"""The author's edit window (like Isso and Remark42): edit or delete one's own comment
from the same browser for COMMENTS_EDIT_MINUTES after posting, until someone replies."""

import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from comments.models import Comment, CommentEvent
from tests.factories import comment_form_data, follow_refusal, make_comment, make_post

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _quick_forms(settings):
    settings.COMMENTS_MIN_SUBMIT_SECONDS = 0


def send(client, post, **fields):
    response = client.post(
        reverse("comments:create", args=[post.pk]), comment_form_data(post, **fields)
    )
    assert response.status_code == 302, response.status_code
    return Comment.objects.latest("pk")


def edit_url(comment):
    return reverse("comments:edit", args=[comment.pk])


def delete_url(comment):
    return reverse("comments:delete", args=[comment.pk])


def own_links(page_soup, response, comment):
    return [a["href"] for a in page_soup(response).select(f"#comment-{comment.pk} .own-actions a")]


def test_the_author_edits_a_held_comment_which_stays_held(client, page_soup):
    """Within the window the author's page links Edit and Delete; an edit keeps the
    comment held, and the audit trail keeps the original text."""
    post = make_post()
    comment = send(client, post, body="Orignal txet.")
    page = client.get(post.get_absolute_url())
    assert own_links(page_soup, page, comment) == [edit_url(comment), delete_url(comment)]
    form = page_soup(client.get(edit_url(comment)))
    assert form.select_one("textarea[name=body]").get_text().strip() == "Orignal txet."
    response = client.post(edit_url(comment), {"body": "Original text."})
    assert response.status_code == 302
    assert response["Location"].endswith(f"#comment-{comment.pk}")
    comment.refresh_from_db()
    assert (comment.body, comment.status, comment.edited_at) == ("Original text.", "pending", None)
    event = comment.events.get(action="edited")
    assert (event.body_before, event.body_after, event.actor) == (
        "Orignal txet.",
        "Original text.",
        None,
    )
    assert "edited by its author" in event.reason
    assert "Original text." in client.get(response["Location"], follow=True).content.decode()


def test_an_edit_of_a_published_comment_obeys_the_rules_of_a_new_one(client, settings):
    """Published at once (COMMENTS_MODERATION=none), an edit that adds two links is held,
    as a new comment with two links would be; its author still sees it, others do not."""
    settings.COMMENTS_MODERATION = "none"
    post = make_post()
    comment = send(client, post, body="Plain words.")
    assert comment.status == "approved"
    client.post(edit_url(comment), {"body": "See https://a.example and https://b.example"})
    comment.refresh_from_db()
    assert comment.status == "pending"
    assert "contains 2 links" in comment.moderation_reason
    assert comment.events.filter(action="edited", status_after="pending").exists()
    assert "https://a.example" in client.get(post.get_absolute_url()).content.decode()
    assert "Plain words." not in Client().get(post.get_absolute_url()).content.decode()
    assert "https://a.example" not in Client().get(post.get_absolute_url()).content.decode()


def test_a_clean_edit_of_a_published_comment_stays_published(client, settings):
    """An edit that breaks no rule is published at once, like a new comment would be."""
    settings.COMMENTS_MODERATION = "none"
    post = make_post()
    comment = send(client, post, body="Typo hree.")
    client.post(edit_url(comment), {"body": "Typo here."})
    comment.refresh_from_db()
    assert (comment.status, comment.body) == ("approved", "Typo here.")
    assert "Typo here." in Client().get(post.get_absolute_url()).content.decode()


def test_under_hold_everything_an_edited_comment_is_held_again(client, settings):
    """With every new comment held, so is every edit of a published one."""
    post = make_post()
    comment = send(client, post, body="First words.")
    Comment.objects.filter(pk=comment.pk).update(status="approved")
    client.post(edit_url(comment), {"body": "Second words."})
    comment.refresh_from_db()
    assert comment.status == "pending"


def test_delete_is_a_removal(client, page_soup):
    """Delete asks first, then removes the comment through the status services."""
    post = make_post()
    comment = send(client, post, body="Regrettable words.")
    confirm = client.get(delete_url(comment))
    assert confirm.status_code == 200
    assert "Regrettable words." in confirm.content.decode()
    assert Comment.objects.get(pk=comment.pk).status == "pending"
    response = client.post(delete_url(comment))
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.status == "removed"
    event = comment.events.get(action="removed")
    assert event.reason == "deleted by its author" and event.actor is None
    page = client.get(post.get_absolute_url(), follow=True).content.decode()
    assert "Regrettable words." not in page and "Your comment was deleted." in page


def test_another_browser_can_neither_see_the_links_nor_edit(client, page_soup):
    """The links are only in the author's own (private) page; anyone else is refused."""
    post = make_post()
    comment = send(client, post, body="Mine alone.")
    Comment.objects.filter(pk=comment.pk).update(status="approved")
    stranger = Client()
    page = stranger.get(post.get_absolute_url())
    assert own_links(page_soup, page, comment) == []
    assert "private" not in page["Cache-Control"] or "own-actions" not in page.content.decode()
    for url in (edit_url(comment), delete_url(comment)):
        assert stranger.get(url).status_code == 403
        assert stranger.post(url, {"body": "Hijacked."}).status_code == 403
    comment.refresh_from_db()
    assert (comment.body, comment.status) == ("Mine alone.", "approved")
    mine = client.get(post.get_absolute_url())
    assert "private" in mine["Cache-Control"] and own_links(page_soup, mine, comment)
    assert own_links(page_soup, Client().get(post.get_absolute_url()), comment) == []


def test_a_forged_cookie_grants_nothing(client):
    """Only the signed cookie the site set counts."""
    comment = make_comment(make_post(), status="pending")
    client.cookies["msblog_edit"] = str(comment.pk)
    assert client.get(edit_url(comment)).status_code == 403


def test_the_window_closes_after_the_configured_minutes(client, page_soup, settings):
    """After COMMENTS_EDIT_MINUTES the links go and edits are refused with a reason."""
    settings.COMMENTS_EDIT_MINUTES = 15
    post = make_post()
    comment = send(client, post, body="Quick words.")
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=14)):
        assert own_links(page_soup, client.get(post.get_absolute_url()), comment)
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=16)):
        assert own_links(page_soup, client.get(post.get_absolute_url()), comment) == []
        response = client.post(edit_url(comment), {"body": "Too late."})
        assert response.status_code == 403
        assert "can no longer be changed" in response.content.decode()
        assert "Too late." in response.content.decode()  # the text is not lost
    assert Comment.objects.get(pk=comment.pk).body == "Quick words."


def test_no_edit_once_someone_replied(client, page_soup):
    """A reply, even one awaiting moderation, freezes the comment it answers."""
    post = make_post()
    comment = send(client, post, body="Answered words.")
    Comment.objects.filter(pk=comment.pk).update(status="approved")
    make_comment(post, parent=Comment.objects.get(pk=comment.pk), status="pending")
    assert own_links(page_soup, client.get(post.get_absolute_url()), comment) == []
    assert client.post(edit_url(comment), {"body": "Changed."}).status_code == 403
    assert client.post(delete_url(comment)).status_code == 403
    assert Comment.objects.get(pk=comment.pk).body == "Answered words."


def test_a_bad_edit_is_refused_and_changes_nothing(client, page_soup):
    """An empty or overlong text is answered with the form, the message and the text."""
    post = make_post()
    comment = send(client, post, body="Fine words.")
    for body, message in (("   ", "Please type a comment."), ("x" * 10_001, "10000")):
        response = client.post(edit_url(comment), {"body": body})
        assert response.status_code == 400
        assert message in page_soup(response).select_one("#comment-errors").get_text()
    assert Comment.objects.get(pk=comment.pk).body == "Fine words."
    assert not CommentEvent.objects.filter(action="edited").exists()


def test_the_window_can_be_turned_off(client, page_soup, settings):
    """COMMENTS_EDIT_MINUTES=0: no links, no edits."""
    settings.COMMENTS_EDIT_MINUTES = 0
    post = make_post()
    comment = send(client, post, body="Fixed words.")
    assert own_links(page_soup, client.get(post.get_absolute_url()), comment) == []
    assert client.get(edit_url(comment)).status_code == 403


def test_a_spam_verdict_gives_no_edit_window(client, settings):
    """A comment the block list sent to spam gets no window (no hint for spammers)."""
    settings.COMMENTS_BLOCK_WORDS = ["casino"]
    post = make_post()
    comment = send(client, post, body="Best casino.")
    assert comment.status == "spam"
    assert client.get(edit_url(comment)).status_code == 403


def test_a_refused_comment_form_does_not_disturb_the_window(client):
    """The edit cookie survives an unrelated refused form (sessions and cookies coexist)."""
    post = make_post()
    comment = send(client, post, body="Still mine.")
    refused = follow_refusal(
        client,
        client.post(reverse("comments:create", args=[post.pk]), comment_form_data(post, body="")),
    )
    assert refused.status_code == 400
    assert client.get(edit_url(comment)).status_code == 200


def test_the_authors_page_costs_one_more_query_whatever_the_thread(client, settings):
    """The links cost one query (which of my comments are still editable), not one each."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import make_thread

    settings.COMMENTS_MODERATION = "none"
    settings.COMMENTS_FLOOD_LIMIT = 0
    settings.COMMENTS_PER_PAGE = 0
    counts = []
    for size in (5, 200):
        post = make_post()
        make_thread(post, size)
        for n in range(3):
            send(client, post, body=f"Mine {size} {n}.")
        with CaptureQueriesContext(connection) as queries:
            response = client.get(post.get_absolute_url())
        assert response.content.decode().count('class="own-actions"') == 3
        counts.append(len(queries))
    assert counts[0] == counts[1]
