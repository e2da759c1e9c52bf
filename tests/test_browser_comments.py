"""In Chromium: reply to a comment, and quote one, with JavaScript on and off, then a
moderator approves."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from comments.markup import quote_markup
from comments.models import Comment
from comments.roles import MODERATORS_GROUP
from posts.models import Post
from tests.conftest import TEST_OUTPUT
from tests.factories import make_comment, make_post
from tests.pages import load_seed_site

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "browser-Test-passphrase-7"
SHOTS = TEST_OUTPUT / "screenshots"


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


def viewport_top(page, selector):
    """Where an element's top is, relative to the visible part of the page (0 = top)."""
    return page.evaluate(f"document.querySelector({selector!r}).getBoundingClientRect().top")


def navigation_status(page):
    return page.evaluate("performance.getEntriesByType('navigation')[0].responseStatus")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_refused_comment_lands_at_the_form_and_reload_posts_nothing(
    new_page, live_server, settings, javascript
):
    """On a phone, under a long thread: a bad email brings the reader back to the form
    (#respond), its errors on screen, focused and announced, the text kept; reloading posts
    nothing."""
    settings.COMMENTS_MIN_SUBMIT_SECONDS = 0
    load_seed_site()
    post = Post.objects.get(slug="clinicspeak-when-to-say-no-to-alemtuzumab-treatment")
    before = Comment.objects.count()
    page = new_page(javascript=javascript, width=375, height=800)
    page.goto(f"{live_server.url}{post.get_absolute_url()}")
    page.fill("#id_author_name", "Phone Reader")
    page.fill("#id_author_email", "reader@example")  # the browser lets it through
    page.fill("#id_body", "Words I do not want to type twice.")
    page.click("#submit")
    page.wait_for_load_state()
    assert page.url.endswith(f"{post.get_absolute_url()}#comment-errors")
    assert page.locator("#respond #comment-errors").count() == 1
    assert navigation_status(page) == 400
    assert 0 < viewport_top(page, "#comment-errors") < 400  # with the heading above it
    assert viewport_top(page, "#reply-title") >= 0
    assert page.evaluate("document.activeElement.id") == "comment-errors"
    assert page.get_attribute("#comment-errors", "role") == "alert"
    assert "Enter a valid email address." in page.inner_text("#comment-errors")
    assert page.input_value("#id_body") == "Words I do not want to type twice."
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"refused-comment-375-{'js' if javascript else 'no-js'}.png"))

    page.reload()
    page.wait_for_load_state()
    assert navigation_status(page) == 400
    assert page.input_value("#id_body") == "Words I do not want to type twice."
    assert Comment.objects.count() == before

    page.click("#comment-errors a")  # the error's link leads to its field
    page.fill("#id_author_email", "reader@example.org")
    page.click("#submit")
    page.wait_for_load_state()
    assert Comment.objects.count() == before + 1
    assert "awaiting moderation" in page.content()
    assert page.locator("#comment-errors").count() == 0


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_reply_form_says_which_comment_it_answers(new_page, live_server, thread, javascript):
    """?replytocom= shows the replied-to comment's author and excerpt above the form; with
    JavaScript, the form moves under the comment instead and the excerpt goes away."""
    post, first, second = thread
    page = new_page(javascript=javascript)
    page.goto(f"{live_server.url}{post.get_absolute_url()}?replytocom={second.pk}#respond")
    context = page.locator("#reply-context")
    assert context.is_visible()
    assert "The second comment." in context.inner_text()
    assert "Gavin" in context.inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"replytocom-{'js' if javascript else 'no-js'}.png"))
    if javascript:
        page.click(f"#comment-{first.pk} .comment-reply-link")
        assert page.locator(f"#comment-{first.pk} #respond").count() == 1
        assert context.is_hidden()
        assert page.input_value("input[name=parent]") == str(first.pk)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_remember_me_fills_the_form_for_this_browser_only(
    new_page, live_server, thread, settings, javascript
):
    """Ticking "Save my name, email, and website…" fills the next form in this browser,
    on pages cached for everyone; another browser's form stays empty."""
    settings.COMMENTS_MODERATION = "none"  # published at once: no private pages after
    post, _first, _second = thread
    other = make_post(title="Another post")
    page = new_page(javascript=javascript)
    page.goto(f"{live_server.url}{other.get_absolute_url()}")  # cached for everyone
    page.goto(f"{live_server.url}{post.get_absolute_url()}")
    page.fill("#id_author_name", "Remembered Reader")
    page.fill("#id_author_email", "remembered@example.org")
    page.fill("#id_author_url", "https://remembered.example.org/")
    page.check("#id_remember")
    page.fill("#id_body", "Please remember me.")
    page.click("#submit")
    page.wait_for_load_state()
    assert Comment.objects.filter(body="Please remember me.").exists()

    page.goto(f"{live_server.url}{other.get_absolute_url()}")
    assert page.input_value("#id_author_name") == "Remembered Reader"
    assert page.input_value("#id_author_email") == "remembered@example.org"
    assert page.input_value("#id_author_url") == "https://remembered.example.org/"
    assert page.is_checked("#id_remember")

    stranger = new_page(javascript=javascript)
    stranger.goto(f"{live_server.url}{other.get_absolute_url()}")
    assert stranger.input_value("#id_author_name") == ""
    assert not stranger.is_checked("#id_remember")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_author_edits_then_deletes_within_the_window(new_page, live_server, thread, javascript):
    """The browser that posted a comment gets Edit and Delete links on it: the edit keeps
    it held with the new text, the deletion removes it; another browser sees no links."""
    post, _first, _second = thread
    page = new_page(javascript=javascript)
    page.goto(f"{live_server.url}{post.get_absolute_url()}")
    page.fill("#id_author_name", "Hasty Reader")
    page.fill("#id_body", "Frist thougts.")
    page.click("#submit")
    page.wait_for_load_state()
    comment = Comment.objects.get(body="Frist thougts.")
    mine = page.locator(f"#comment-{comment.pk}")
    assert mine.locator(".own-actions").is_visible()

    stranger = new_page(javascript=javascript)
    stranger.goto(f"{live_server.url}{post.get_absolute_url()}")
    assert stranger.locator(".own-actions").count() == 0

    mine.get_by_role("link", name="Edit").click()
    page.wait_for_load_state()
    assert page.input_value("#id_body") == "Frist thougts."
    page.fill("#id_body", "First thoughts.")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_load_state()
    assert "First thoughts." in page.locator(f"#comment-{comment.pk}").inner_text()
    comment.refresh_from_db()
    assert (comment.body, comment.status) == ("First thoughts.", "pending")
    assert comment.events.filter(action="edited", body_before="Frist thougts.").exists()

    page.locator(f"#comment-{comment.pk}").get_by_role("link", name="Delete").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Delete it").click()
    page.wait_for_load_state()
    assert "Your comment was deleted." in page.content()
    assert page.locator(f"#comment-{comment.pk}").count() == 0
    comment.refresh_from_db()
    assert comment.status == "removed"


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
