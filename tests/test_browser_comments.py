"""In Chromium: reply to a comment, and quote one, with JavaScript on and off, then a
moderator approves."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from comments.markup import quote_markup
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
    assert "is now approved" in admin.content()


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


@pytest.fixture
def formatted(settings):
    """A formatted comment by Ruth on a post, and the moderator that approves replies."""
    settings.COMMENTS_MIN_SUBMIT_SECONDS = 0
    post = make_post(title="Formatting and quoting")
    ruth = make_comment(
        post,
        author_name="Ruth",
        body=(
            "Read the <strong>EMA</strong> report, <em>pages 3-5</em>.\n\n"
            "<blockquote>An earlier quote that a new quote leaves out.</blockquote>\n"
            'It is at <a href="https://www.ema.europa.eu/en" title="EMA">the EMA site</a> '
            "and https://example.org/r.pdf; search for <code>alemtuzumab</code>."
        ),
    )
    moderator = get_user_model().objects.create_user("moderator", password=PASSWORD, is_staff=True)
    moderator.groups.add(Group.objects.get(name=MODERATORS_GROUP))
    return post, ruth


def quote_and_post(page, ruth, text):
    """What the textarea holds after Quote, then the posted comment (JavaScript or not)."""
    quoted = page.input_value("#id_body")
    page.fill("#id_author_name", "Quoting Reader")
    page.fill("#id_body", quoted + text)
    page.click("#submit")
    page.wait_for_load_state()
    return quoted, Comment.objects.get(author_name="Quoting Reader")


def check_quote_shown(page, reply, ruth):
    shown = page.locator(f"#comment-{ruth.pk} li#comment-{reply.pk} .comment-content")
    assert shown.locator("blockquote strong").inner_text() == "EMA"
    hrefs = [a.get_attribute("href") for a in shown.locator("blockquote a").all()]
    assert hrefs == ["https://www.ema.europa.eu/en", "https://example.org/r.pdf"]
    assert "An earlier quote" not in shown.inner_text()
    assert shown.locator("> p b").inner_text() == "mine"


def test_quote_with_javascript(new_page, live_server, formatted):
    """With JavaScript, Quote moves the form under the comment and puts its own words in
    the form as markup, exactly as the server does without JavaScript; posted, the reply
    shows the quote formatted."""
    post, ruth = formatted
    page = new_page()
    page.goto(f"{live_server.url}{post.get_absolute_url()}")
    page.fill("#id_body", "Typed before quoting.")
    page.click(f"#comment-{ruth.pk} .comment-quote-link")
    assert page.url.endswith(post.get_absolute_url())  # no navigation
    assert page.locator(f"#comment-{ruth.pk} #respond").count() == 1
    assert page.locator("#reply-title").inner_text().startswith("Leave a Reply to Ruth")
    assert page.input_value("#id_body") == "Typed before quoting.\n\n" + quote_markup(
        ruth.body_html
    )
    assert page.evaluate("document.activeElement.id") == "id_body"
    page.fill("#id_body", "")
    page.click(f"#comment-{ruth.pk} .comment-quote-link")
    quoted, reply = quote_and_post(page, ruth, "Thanks, <b>mine</b>.")
    assert quoted == quote_markup(ruth.body_html)
    assert reply.parent_id == ruth.pk
    check_quote_shown(page, reply, ruth)


def test_quote_without_javascript(new_page, live_server, formatted):
    """Without JavaScript, Quote opens ?replytocom=ID&quote=1 with the same words in the
    form; the reply posts and shows the quote formatted."""
    post, ruth = formatted
    page = new_page(javascript=False)
    page.goto(f"{live_server.url}{post.get_absolute_url()}")
    page.click(f"#comment-{ruth.pk} .comment-quote-link")
    assert re.search(rf"\?replytocom={ruth.pk}&quote=1#respond$", page.url)
    assert page.locator("#reply-title").inner_text().startswith("Leave a Reply to Ruth")
    quoted, reply = quote_and_post(page, ruth, "Thanks, <b>mine</b>.")
    assert quoted == quote_markup(ruth.body_html)
    assert reply.parent_id == ruth.pk
    check_quote_shown(page, reply, ruth)
