"""The moderation desk in the admin, as a moderator's browser receives it (no JavaScript):
rows, people and branch actions, stand-ins, the change page and its History."""

import pytest
from django.urls import reverse

from comments import services
from comments.models import Comment, CommentEvent
from tests.factories import make_comment, make_post, make_staff
from tests.pages import load_seed_site

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:comments_comment_changelist")


@pytest.fixture
def moderator(client):
    client.force_login(make_staff("mod", superuser=True, first_name="Molly"))
    return client


def row(soup, comment):
    return soup.select_one(f"#result_list tr#row-{comment.pk}")


def actions(container) -> list[str]:
    return [b["data-action"] for b in container.select(".row-actions [data-action]")]


# Stand-ins (item 7)


def test_stand_ins_are_not_counted_listed_or_offered_actions(moderator, page_soup):
    """Seed 003's stand-in is neither counted, listed nor selectable; 73 comments remain."""
    load_seed_site()
    stand_in = Comment.objects.get(placeholder=True)
    soup = page_soup(moderator.get(CHANGELIST, {"status__exact": "approved", "all": ""}))
    counts = [li.get_text(" ", strip=True) for li in soup.select(".status-counts li")]
    assert "Approved (73)" in counts
    ids = [int(box["value"]) for box in soup.select("input[name=_selected_action]")]
    assert len(ids) == 73 and stand_in.pk not in ids
    response = moderator.post(
        reverse("admin:comments_comment_moderate", args=[stand_in.pk, "spam"]),
        HTTP_REFERER=f"http://testserver{CHANGELIST}",
    )
    assert response.status_code == 404
    assert Comment.objects.get(pk=stand_in.pk).status == "approved"


def test_a_reply_to_a_stand_in_says_its_parent_is_missing(moderator, page_soup):
    """The reply under the stand-in reads "missing from the archived page", not "#61 :"."""
    load_seed_site()
    reply = Comment.objects.get(parent__placeholder=True)
    soup = page_soup(moderator.get(CHANGELIST, {"all": ""}))
    response_cell = row(soup, reply).select_one(".col-response").get_text(" ", strip=True)
    assert "missing from the archived page" in response_cell
    assert f"#{reply.parent_id} :" not in response_cell


def test_bulk_actions_skip_stand_ins(moderator):
    """A bulk action naming a stand-in's id leaves the stand-in alone."""
    load_seed_site()
    stand_in = Comment.objects.get(placeholder=True)
    moderator.post(CHANGELIST, {"action": "mark_spam", "_selected_action": [stand_in.pk]})
    assert Comment.objects.get(pk=stand_in.pk).status == "approved"
    assert not CommentEvent.objects.filter(comment=stand_in, action="spam").exists()


# The change page (item 6)


def test_history_shows_the_audit_trail(moderator, page_soup):
    """The admin's History button lists every status change and edit, with who did it."""
    comment = make_comment(make_post(), status="pending", body="First words.")
    mod = make_staff("other", first_name="Olive", last_name="Other")
    services.comment_set_status(comment=comment, status="approved", actor=mod)
    services.comment_set_status(comment=comment, status="spam", actor=mod)
    services.comment_restore(comment=comment, actor=mod)
    services.comment_edit(comment=comment, body="Second words.", actor=mod)
    soup = page_soup(moderator.get(reverse("admin:comments_comment_history", args=[comment.pk])))
    text = soup.select_one("#content-main").get_text(" ", strip=True)
    assert "doesn’t have a change history" not in text
    entries = soup.select(".audit-trail li")
    assert len(entries) == 4
    assert "Olive Other" in entries[0].get_text(" ", strip=True)
    assert "First words." in text and "Second words." in text


def test_change_page_has_the_queue_actions(moderator, page_soup):
    """The change page offers the same moderation buttons as the queue's row."""
    comment = make_comment(make_post(), status="pending", author_email="sam@example.org")
    soup = page_soup(moderator.get(reverse("admin:comments_comment_change", args=[comment.pk])))
    on_page = actions(soup.select_one("form.moderation-actions"))
    queue = page_soup(moderator.get(CHANGELIST))
    assert on_page == actions(row(queue, comment))
    assert on_page[:5] == ["approve", "reply", "quick-edit", "spam", "remove"]
    assert {"approve-trust", "block-email"} <= set(on_page)
