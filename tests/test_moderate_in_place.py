"""Moderating in place: a signed-in moderator sees a post's pending comments in its
thread, marked, with Approve / Spam / Remove; that page is theirs alone, never cached."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from comments.models import Comment, CommentEvent
from comments.roles import MODERATORS_GROUP
from tests.factories import make_comment, make_post, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator():
    user = make_staff("molly", first_name="Molly")
    user.groups.add(Group.objects.get(name=MODERATORS_GROUP))
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def thread():
    post = make_post()
    top = make_comment(post, body="An approved question.")
    held = make_comment(
        post,
        parent=top,
        status="pending",
        body="A held reply.",
        moderation_reason="contains 2 links (hold at 2)",
    )
    loose = make_comment(post, status="pending", body="A held top-level comment.")
    return post, top, held, loose


def test_a_moderator_sees_pending_comments_marked_with_buttons(moderator, thread, page_soup):
    """Both held comments show in place, marked "Pending" with why, and three buttons."""
    post, top, held, loose = thread
    soup = page_soup(moderator.get(post.get_absolute_url()))
    for comment in (held, loose):
        item = soup.select_one(f"#comment-{comment.pk}")
        assert comment.body in item.get_text()
        form = item.select_one("form.comment-moderation.is-pending")
        assert [b.contents[0] for b in form.select("button")] == ["Approve", "Spam", "Remove"]
        assert form.select_one("input[name=csrfmiddlewaretoken]")["value"]
    status = soup.select_one(f"#comment-{held.pk} .moderation-status").get_text(" ", strip=True)
    assert status == "Pending · held: contains 2 links (hold at 2)"
    assert "awaiting moderation" not in soup.select_one(f"#comment-{held.pk}").get_text()
    buttons = soup.select(f"#comment-{top.pk} > article > form button")
    assert [b.contents[0] for b in buttons] == ["Spam", "Remove"]
    assert "2 comments on this post are waiting" in soup.select_one(".moderation-summary").text


def test_readers_never_see_them_before_or_after_a_moderator(moderator, thread):
    """The cached page readers get holds no pending comment, whoever visited first."""
    post, _, held, loose = thread
    reader = Client()
    first = reader.get(post.get_absolute_url()).content.decode()
    moderator.get(post.get_absolute_url())
    after = reader.get(post.get_absolute_url()).content.decode()
    for page in (first, after):
        assert held.body not in page and loose.body not in page
        assert (
            "comment-moderation" not in page
            and "csrfmiddlewaretoken" not in page.split('id="respond"')[0]
        )


def test_the_moderators_page_is_never_stored(moderator, thread):
    """The moderator's page is marked private and no-store, and is not the cached one."""
    post, _, held, _ = thread
    Client().get(post.get_absolute_url())  # a reader fills the cache
    response = moderator.get(post.get_absolute_url())
    cache_control = response["Cache-Control"]
    assert "private" in cache_control and "no-store" in cache_control
    assert held.body in response.content.decode()


def test_approve_in_place_comes_back_to_the_comment(moderator, thread, page_soup):
    """Approve posts to the queue's action (CSRF checked), is recorded, and returns to
    the comment on the post page, where readers now see it."""
    post, _, held, _ = thread
    soup = page_soup(moderator.get(post.get_absolute_url()))
    form = soup.select_one(f"#comment-{held.pk} form.comment-moderation")
    approve = form.select_one("button")
    response = moderator.post(
        approve["formaction"],
        {
            "csrfmiddlewaretoken": form.select_one("input[name=csrfmiddlewaretoken]")["value"],
            approve["name"]: approve["value"],
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"{post.get_absolute_url()}#comment-{held.pk}"
    assert Comment.objects.get(pk=held.pk).status == "approved"
    event = CommentEvent.objects.get(comment=held)
    assert (event.actor, event.batch.actor) == (moderator.user, moderator.user)
    assert held.body in Client().get(post.get_absolute_url()).content.decode()


def test_a_forged_post_without_the_token_changes_nothing(moderator, thread):
    """Without the CSRF token the in-place buttons do nothing."""
    post, _, held, _ = thread
    form_action = f"/admin/comments/comment/{held.pk}/moderate/approve/"
    assert moderator.post(form_action, {"next": post.get_absolute_url()}).status_code == 403
    assert Comment.objects.get(pk=held.pk).status == "pending"


def test_staff_who_cannot_moderate_see_the_readers_thread(thread, page_soup):
    """Staff without the comment permission get no controls and no pending comments."""
    post, _, held, _ = thread
    client = Client()
    client.force_login(make_staff("writer"))
    soup = page_soup(client.get(post.get_absolute_url()))
    assert soup.select("form.comment-moderation") == []
    assert held.body not in soup.get_text()


def test_the_moderators_page_runs_a_fixed_number_of_queries(moderator, thread):
    """The same queries for 2 pending comments as for 30."""
    post, top, _, _ = thread

    def queries():
        with CaptureQueriesContext(connection) as captured:
            moderator.get(post.get_absolute_url())
        return len(captured)

    few = queries()
    for index in range(28):
        make_comment(post, parent=top if index % 2 else None, status="pending")
    assert queries() == few
