"""The moderation queue in the admin: counts, row buttons, restore, staff replies."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse

from comments import services
from comments.models import Comment, CommentEvent
from tests.factories import make_comment, make_post, make_staff

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:comments_comment_changelist")


@pytest.fixture
def moderator_client(client):
    client.force_login(make_staff("mod", superuser=True))
    return client


def moderate(client, comment, action):
    url = reverse("admin:comments_comment_moderate", args=[comment.pk, action])
    return client.post(url, HTTP_REFERER=f"http://testserver{CHANGELIST}?status__exact=pending")


def row(soup, comment):
    checkbox = soup.select_one(f"input[name=_selected_action][value='{comment.pk}']")
    return checkbox.find_parent("tr")


def actions(soup, comment) -> list[str]:
    """The row's own buttons and links, by action (those under "More" left out)."""
    return [b["data-action"] for b in row(soup, comment).select(".row-actions > [data-action]")][
        :-1
    ]  # the last is "Thread", which shows context and changes nothing


def test_counts_per_status_are_shown(moderator_client, page_soup):
    """The queue shows how many comments are pending, approved, spam and removed."""
    post = make_post()
    for status, n in (("pending", 3), ("approved", 2), ("spam", 1)):
        for _ in range(n):
            make_comment(post, status=status)
    soup = page_soup(moderator_client.get(CHANGELIST))
    counts = [li.get_text(" ", strip=True) for li in soup.select(".status-counts li")]
    assert counts == ["All (6)", "Pending (3)", "Approved (2)", "Spam (1)", "Removed (0)"]
    link = soup.select(".status-counts a")[1]["href"]
    assert link == f"{CHANGELIST}?status__exact=pending"


def test_row_shows_what_a_moderator_needs(moderator_client, page_soup):
    """Each row: parent excerpt, name, email, website, IP, link count and hold reason, and
    the author's counts by status, each linking to the queue filtered to them."""
    post = make_post(title="On trials")
    parent = make_comment(post, author_name="Heather", body="The parent comment text.")
    comment = make_comment(
        post,
        parent=parent,
        status="pending",
        author_name="Sam",
        author_email="sam@example.org",
        author_url="https://sam.example",
        ip_address="192.0.2.7",
        body="See http://a.example and www.b.example",
        moderation_reason="contains 2 links (hold at 2)",
    )
    make_comment(post, status="spam", author_email="SAM@example.org")
    soup = page_soup(moderator_client.get(CHANGELIST))
    cells = {
        name: row(soup, comment).select_one(f".col-{name}").get_text(" ", strip=True)
        for name in ("author", "comment", "response")
    }
    assert "Sam sam@example.org https://sam.example 192.0.2.7" in cells["author"]
    assert "0 approved · 1 pending · 1 spam" in cells["author"]
    assert cells["comment"].startswith("Pending")
    assert "Held: contains 2 links (hold at 2)" in cells["comment"]
    assert "See http://a.example and www.b.example" in cells["comment"]
    assert "On trials" in cells["response"]
    assert "In reply to Heather : The parent comment text." in cells["response"]
    counts = row(soup, comment).select(".author-counts a")
    assert counts[2]["href"] == "?author_email=sam%40example.org&status__exact=spam"
    assert actions(soup, comment) == ["approve", "reply", "quick-edit", "spam", "remove"]


@pytest.mark.parametrize(
    ("start", "action", "end"),
    [
        ("pending", "approve", "approved"),
        ("pending", "spam", "spam"),
        ("approved", "remove", "removed"),
    ],
)
def test_row_buttons_change_one_comment(moderator_client, start, action, end):
    """One click on a row's button changes that comment and returns to the same queue view."""
    post = make_post()
    comment = make_comment(post, status=start)
    other = make_comment(post, status=start)
    response = moderate(moderator_client, comment, action)
    assert response.status_code == 302
    assert response["Location"].endswith("?status__exact=pending")
    assert Comment.objects.get(pk=comment.pk).status == end
    assert Comment.objects.get(pk=other.pk).status == start
    event = CommentEvent.objects.get(comment=comment)
    assert (event.actor.username, event.status_before, event.status_after) == ("mod", start, end)


def test_row_actions_refuse_get(moderator_client):
    """A GET to a row action changes nothing."""
    comment = make_comment(make_post(), status="pending")
    url = reverse("admin:comments_comment_moderate", args=[comment.pk, "approve"])
    assert moderator_client.get(url).status_code == 403
    assert Comment.objects.get(pk=comment.pk).status == "pending"


@pytest.mark.parametrize("previous", ["approved", "pending"])
def test_restore_returns_a_comment_to_its_previous_status(moderator_client, previous):
    """Restoring from the bin or spam gives back the status the comment had before."""
    comment = make_comment(make_post(), status=previous)
    services.comment_set_status(comment=comment, status="removed")
    moderate(moderator_client, comment, "restore")
    assert Comment.objects.get(pk=comment.pk).status == previous
    event = CommentEvent.objects.filter(comment=comment).latest("pk")
    assert (event.action, event.status_after, event.reason) == (
        "restored",
        previous,
        "restored from removed",
    )


def test_bulk_restore(moderator_client):
    """The bulk restore action brings back every selected binned comment."""
    post = make_post()
    binned = [make_comment(post) for _ in range(2)]
    for comment in binned:
        services.comment_set_status(comment=comment, status="spam")
    moderator_client.post(
        CHANGELIST, {"action": "restore", ACTION_CHECKBOX_NAME: [c.pk for c in binned]}
    )
    assert set(Comment.objects.values_list("status", flat=True)) == {"approved"}


def test_approving_a_reply_approves_its_pending_parent(moderator_client, page_soup):
    """A reply approved under a pending parent brings the parent with it, so both show."""
    post = make_post()
    parent = make_comment(post, status="pending", body="Parent words.")
    reply = make_comment(post, parent=parent, status="pending", body="Reply words.")
    moderate(moderator_client, reply, "approve")
    assert Comment.objects.get(pk=parent.pk).status == "approved"
    event = CommentEvent.objects.get(comment=parent, action="approved")
    assert event.reason == f"approved with its reply #{reply.pk}"
    page = Client().get(post.get_absolute_url()).content.decode()
    assert "Parent words." in page and "Reply words." in page


def test_staff_reply_from_the_queue_is_published_and_marked(moderator_client, page_soup):
    """A moderator replies from the queue: published at once, marked as the blog team's."""
    post = make_post()
    parent = make_comment(post, status="pending", body="A question for the team.")
    reply_url = reverse("admin:comments_comment_reply", args=[parent.pk])
    form_page = moderator_client.get(reply_url).content.decode()
    assert "A question for the team." in form_page and "replying approves it" in form_page
    response = moderator_client.post(reply_url, {"body": "Our answer."})
    assert response.status_code == 302
    reply = Comment.objects.get(body="Our answer.")
    assert (reply.status, reply.parent_id, reply.user.username) == ("approved", parent.pk, "mod")
    assert Comment.objects.get(pk=parent.pk).status == "approved"
    soup = page_soup(Client().get(post.get_absolute_url()))
    assert soup.select_one(f"#comment-{reply.pk} .team-badge").get_text() == "Blog team"


def test_empty_staff_reply_is_refused(moderator_client):
    """An empty reply from the queue shows the form again and writes nothing."""
    parent = make_comment(make_post())
    response = moderator_client.post(
        reverse("admin:comments_comment_reply", args=[parent.pk]), {"body": ""}
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert Comment.objects.count() == 1


def test_queue_query_count_does_not_grow_with_comments(moderator_client):
    """The queue page runs the same queries for 5 and 40 comments."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    post = make_post()

    def queries():
        with CaptureQueriesContext(connection) as captured:
            moderator_client.get(CHANGELIST)
        return len(captured)

    parent = make_comment(post)
    for _ in range(5):
        make_comment(post, parent=parent, status="pending")
    few = queries()
    for _ in range(35):
        make_comment(post, parent=parent, status="pending")
    assert queries() == few


def test_bulk_approving_a_reply_approves_its_pending_parents(moderator_client):
    """The bulk "approve" action on a reply alone approves the pending comments above it
    too, each with the reason recorded, and the whole branch shows."""
    post = make_post()
    top = make_comment(post, status="pending", body="Top words.")
    middle = make_comment(post, parent=top, status="pending", body="Middle words.")
    reply = make_comment(post, parent=middle, status="pending", body="Reply words.")
    response = moderator_client.post(
        CHANGELIST, {"action": "approve", ACTION_CHECKBOX_NAME: [reply.pk]}
    )
    assert response.status_code == 302
    statuses = dict(Comment.objects.values_list("pk", "status"))
    assert statuses == {top.pk: "approved", middle.pk: "approved", reply.pk: "approved"}
    reasons = set(
        CommentEvent.objects.filter(comment__in=[top, middle], action="approved").values_list(
            "reason", flat=True
        )
    )
    assert reasons == {f"approved with its reply #{reply.pk}"}
    page = Client().get(post.get_absolute_url()).content.decode()
    assert all(words in page for words in ("Top words.", "Middle words.", "Reply words."))
