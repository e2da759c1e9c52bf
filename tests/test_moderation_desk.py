"""The moderation desk in the admin, as a moderator's browser receives it (no JavaScript):
rows, people and branch actions, stand-ins, the change page and its History."""

import pytest
from django.urls import reverse

from comments import services
from comments.models import BlockedSender, Comment, Commenter, CommentEvent
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
    """Seed 003's stand-in is neither counted, listed nor selectable: every other comment
    (all approved) is, and only those."""
    load_seed_site()
    stand_in = Comment.objects.get(placeholder=True)
    comments = Comment.objects.count() - 1
    assert comments == Comment.objects.filter(status="approved").count() - 1
    soup = page_soup(moderator.get(CHANGELIST, {"status__exact": "approved", "all": ""}))
    counts = [li.get_text(" ", strip=True) for li in soup.select(".status-counts li")]
    assert f"Approved ({comments})" in counts
    ids = [int(box["value"]) for box in soup.select("input[name=_selected_action]")]
    assert len(ids) == comments and stand_in.pk not in ids
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


# People and branches (item 5), from a row's buttons without JavaScript


def act(client, comment, action, referer=CHANGELIST):
    return client.post(
        reverse("admin:comments_comment_moderate", args=[comment.pk, action]),
        HTTP_REFERER=f"http://testserver{referer}",
        follow=True,
    )


@pytest.mark.parametrize(
    ("parameter", "value"),
    [("author_email", "SAM@example.org"), ("ip_address", "192.0.2.7"), ("author_name", "sam")],
)
def test_a_rows_author_links_list_all_their_comments(moderator, page_soup, parameter, value):
    """The email, IP and name on a row each open the queue with only that sender's comments."""
    post = make_post()
    theirs = [
        make_comment(
            post, author_name="Sam", author_email="sam@example.org", ip_address="192.0.2.7"
        ),
        make_comment(
            post,
            status="spam",
            author_name="Sam",
            author_email="sam@example.org",
            ip_address="192.0.2.7",
        ),
    ]
    make_comment(post, author_name="Other", author_email="o@example.org", ip_address="192.0.2.8")
    soup = page_soup(moderator.get(CHANGELIST, {parameter: value}))
    listed = {int(box["value"]) for box in soup.select("input[name=_selected_action]")}
    assert listed == {c.pk for c in theirs}
    chip = soup.select_one("#changelist-filter li.selected").get_text(" ", strip=True)
    assert value in chip


def test_block_email_from_a_row_and_undo(moderator, page_soup):
    """ "Block this email" spams the comment, lists the address and offers Undo."""
    comment = make_comment(make_post(), status="pending", author_email="spam@example.org")
    response = act(moderator, comment, "block-email")
    assert "Blocked email address spam@example.org." in response.content.decode()
    assert Comment.objects.get(pk=comment.pk).status == "spam"
    assert BlockedSender.objects.filter(kind="email", value="spam@example.org").exists()
    soup = page_soup(moderator.get(CHANGELIST))
    assert "block-email" not in {b["data-action"] for b in soup.select("[data-action]")}
    undo = soup.select_one(".undo-bar form")["action"]
    moderator.post(undo, HTTP_REFERER=f"http://testserver{CHANGELIST}")
    assert Comment.objects.get(pk=comment.pk).status == "pending"
    assert not BlockedSender.objects.exists()


def test_spam_a_branch_from_a_row(moderator):
    """ "Spam with all replies" marks the comment and every reply under it."""
    post = make_post()
    top = make_comment(post)
    replies = [make_comment(post, parent=top), make_comment(post, parent=top, status="pending")]
    act(moderator, top, "spam-branch")
    assert set(Comment.objects.values_list("status", flat=True)) == {"spam"}
    assert CommentEvent.objects.filter(comment__in=replies, action="spam").count() == 2


def test_approve_and_trust_from_a_row(moderator, mailoutbox, django_capture_on_commit_callbacks):
    """ "Approve & trust author" approves and mails the author their confirmation link."""
    comment = make_comment(make_post(), status="pending", author_email="olive@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        act(moderator, comment, "approve-trust")
    assert Comment.objects.get(pk=comment.pk).status == "approved"
    assert Commenter.objects.get(email="olive@example.org").trusted_by.username == "mod"
    assert [m.to for m in mailoutbox] == [["olive@example.org"]]


def test_a_refused_row_action_is_a_message(moderator):
    """Blocking the email of a comment without one says so and changes nothing."""
    comment = make_comment(make_post(), status="pending", author_email="")
    response = act(moderator, comment, "block-email")
    assert "This comment has no email address to block." in response.content.decode()
    assert Comment.objects.get(pk=comment.pk).status == "pending"


def test_unknown_row_actions_and_get_are_refused(moderator):
    """Only POSTs of known actions change anything."""
    comment = make_comment(make_post(), status="pending")
    url = reverse("admin:comments_comment_moderate", args=[comment.pk, "delete"])
    assert moderator.post(url).status_code == 403
    url = reverse("admin:comments_comment_moderate", args=[comment.pk, "spam-branch"])
    assert moderator.get(url).status_code == 403
    assert Comment.objects.get(pk=comment.pk).status == "pending"


# Quick edit and thread context without JavaScript


def test_quick_edit_page_keeps_the_old_text_and_returns(moderator, page_soup):
    """Quick edit without JavaScript: a small page whose Save goes back to the queue."""
    comment = make_comment(make_post(), status="pending", body="Typo'd text.")
    url = reverse("admin:comments_comment_quick_edit", args=[comment.pk])
    soup = page_soup(moderator.get(url, HTTP_REFERER=f"http://testserver{CHANGELIST}?p=2"))
    assert soup.select_one("textarea[name=body]").get_text().strip() == "Typo'd text."
    assert soup.select_one("input[name=next]")["value"] == f"http://testserver{CHANGELIST}?p=2"
    response = moderator.post(url, {"body": "Fixed text.", "next": f"{CHANGELIST}?p=2"})
    assert response["Location"] == f"{CHANGELIST}?p=2"
    event = CommentEvent.objects.get(comment=comment, action="edited")
    assert (event.body_before, event.body_after) == ("Typo'd text.", "Fixed text.")
    assert event.batch.summary == f"Edited comment #{comment.pk}"
    refused = moderator.post(url, {"body": "Bell\x07"})
    assert refused.status_code == 200 and "control character" in refused.content.decode()


def test_thread_context_page_shows_parents_neighbours_and_stand_ins(moderator, page_soup):
    """The context of a reply names its parent chain in order, its neighbours and replies;
    a stand-in reads "missing from the archived page"."""
    load_seed_site()
    reply = Comment.objects.get(parent__placeholder=True)
    soup = page_soup(moderator.get(reverse("admin:comments_comment_context", args=[reply.pk])))
    nodes = [li.get_text(" ", strip=True) for li in soup.select(".context-chain > li")]
    assert "missing from the archived page" in nodes[-2]
    assert nodes[-1].startswith("This comment")


def test_the_change_page_acts_and_comes_back(moderator):
    """A button on the change page changes the comment and returns to that page."""
    comment = make_comment(make_post(), status="pending")
    change = reverse("admin:comments_comment_change", args=[comment.pk])
    response = act(moderator, comment, "spam", referer=change)
    assert response.redirect_chain[-1][0] == f"http://testserver{change}"
    assert Comment.objects.get(pk=comment.pk).status == "spam"


def test_comment_text_is_escaped_in_the_queue(moderator):
    """A commenter's markup is shown as text in every column."""
    make_comment(
        make_post(),
        status="pending",
        author_name="<b>Sam</b>",
        author_email="x@example.org",
        body="<script>alert(1)</script>",
    )
    page = moderator.get(CHANGELIST).content.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert "<b>Sam</b>" not in page
