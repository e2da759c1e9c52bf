"""In Chromium: reply to a comment with JavaScript on and off, then a moderator approves."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from comments.models import Comment
from comments.roles import MODERATORS_GROUP
from tests.factories import make_comment, make_post

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "browser-Test-passphrase-7"


@pytest.fixture
def thread(settings):
    settings.COMMENTS_MIN_SUBMIT_SECONDS = 0  # a test types faster than a person
    post = make_post(title="Alemtuzumab gets a license in Mexico", tags=["MSBlog"])
    first = make_comment(post, author_name="Heather", body="The first comment.")
    second = make_comment(post, author_name="Gavin", body="The second comment.")
    moderator = get_user_model().objects.create_user("moderator", password=PASSWORD, is_staff=True)
    moderator.groups.add(Group.objects.get(name=MODERATORS_GROUP))
    return post, first, second


def write_reply(page, text):
    page.fill("#id_author_name", "Browser Reader")
    page.fill("#id_body", text)
    page.click("#submit")
    page.wait_for_load_state()


def approve_as_moderator(new_page, live_server, reply):
    admin = new_page()
    admin.goto(f"{live_server.url}/admin/login/")
    admin.fill("#id_username", "moderator")
    admin.fill("#id_password", PASSWORD)
    admin.click("input[type=submit]")
    admin.goto(f"{live_server.url}/admin/comments/comment/?status__exact=pending")
    row = admin.locator("tr", has=admin.locator(f"input[value='{reply.pk}']"))
    row.get_by_role("button", name="Approve").click()
    admin.wait_for_load_state()
    assert f"Approved comment #{reply.pk}" in admin.content()


def assert_nested_for_everyone(new_page, live_server, post, parent, reply):
    reader = new_page()
    reader.goto(f"{live_server.url}{post.get_absolute_url()}")
    nested = reader.locator(f"#comment-{parent.pk} > ol.children > li#comment-{reply.pk}")
    assert nested.count() == 1
    assert "awaiting moderation" not in nested.inner_text()
    assert reader.locator("#comments-title").inner_text().startswith("3 thoughts on")


def test_reply_in_place_with_javascript(new_page, live_server, thread):
    """With JavaScript, Reply moves the form under the comment; the reply nests there."""
    post, first, second = thread
    page = new_page()
    page.goto(f"{live_server.url}{post.get_absolute_url()}")
    page.click(f"#comment-{second.pk} .comment-reply-link")
    assert page.url.endswith(post.get_absolute_url())  # no navigation: the form moved
    assert page.locator(f"#comment-{second.pk} #respond").count() == 1
    assert page.locator("#reply-title").inner_text().startswith("Leave a Reply to Gavin")
    page.click("#cancel-comment-reply-link")
    assert page.locator(f"#comment-{second.pk} #respond").count() == 0
    assert page.locator("#cancel-comment-reply-link").is_hidden()
    assert page.input_value("input[name=parent]") == ""

    page.click(f"#comment-{first.pk} .comment-reply-link")
    assert page.input_value("input[name=parent]") == str(first.pk)
    write_reply(page, "A reply typed with JavaScript on.")
    reply = Comment.objects.get(body="A reply typed with JavaScript on.")
    assert reply.parent_id == first.pk and reply.status == "pending"
    mine = page.locator(f"#comment-{first.pk} li#comment-{reply.pk}")
    assert "Your comment is awaiting moderation." in mine.inner_text()

    stranger = new_page()
    stranger.goto(f"{live_server.url}{post.get_absolute_url()}")
    assert "A reply typed with JavaScript on." not in stranger.content()

    approve_as_moderator(new_page, live_server, reply)
    assert_nested_for_everyone(new_page, live_server, post, first, reply)


def test_reply_without_javascript(new_page, live_server, thread):
    """Without JavaScript, Reply opens ?replytocom= and the same flow works."""
    post, _first, second = thread
    page = new_page(javascript=False)
    page.goto(f"{live_server.url}{post.get_absolute_url()}")
    page.click(f"#comment-{second.pk} .comment-reply-link")
    assert re.search(rf"\?replytocom={second.pk}#respond$", page.url)
    assert page.locator("#reply-title").inner_text().startswith("Leave a Reply to Gavin")
    assert page.locator("#cancel-comment-reply-link").is_visible()
    write_reply(page, "A reply typed with JavaScript off.")
    reply = Comment.objects.get(body="A reply typed with JavaScript off.")
    assert reply.parent_id == second.pk
    assert (
        "Your comment is awaiting moderation." in page.locator(f"#comment-{reply.pk}").inner_text()
    )

    approve_as_moderator(new_page, live_server, reply)
    assert_nested_for_everyone(new_page, live_server, post, second, reply)
