"""Screenshots for people to look at, and phone-width layout checks."""

import pytest

from comments.models import Comment
from tests.conftest import TEST_OUTPUT
from tests.factories import make_comment, make_post
from tests.pages import load_seed_site

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = TEST_OUTPUT / "screenshots"


def test_screenshots_of_home_and_post(new_page, live_server):
    """Home and a post page at 1280 and 375 px are written to test-output/screenshots/."""
    load_seed_site()
    SHOTS.mkdir(parents=True, exist_ok=True)
    post = "/2014/08/01/clinicspeak-when-to-say-no-to-alemtuzumab-treatment/"
    for width in (1280, 375):
        page = new_page(width=width)
        for name, path in (("home", "/"), ("post", post)):
            page.goto(f"{live_server.url}{path}")
            target = SHOTS / f"{name}-{width}.png"
            page.screenshot(path=str(target), full_page=True)
            assert target.stat().st_size > 20_000
        assert page.locator(".comment-reply-link").count() == 11  # the post page, last


def test_screenshots_of_the_month_and_tag_lists(new_page, live_server):
    """The lists of months and tags at 1280 and 375 px, without sideways scrolling."""
    load_seed_site()
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 375):
        page = new_page(width=width)
        for name, path in (("month-list", "/archive/"), ("tag-list", "/tags/")):
            page.goto(f"{live_server.url}{path}")
            assert page.locator("main li a").count() >= 4
            overflow = page.evaluate(
                "document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth"
            )
            assert overflow <= 0, (name, width)
            target = SHOTS / f"{name}-{width}.png"
            page.screenshot(path=str(target), full_page=True)
            assert target.stat().st_size > 10_000


def test_deep_thread_stays_readable_on_a_phone(new_page, live_server):
    """At 375 px, a 12-level thread with a long URL neither scrolls sideways nor squeezes."""
    post = make_post()
    parent = None
    for level in range(12):
        body = f"Level {level}." + (" https://example.org/" + "a" * 120 if level == 11 else "")
        parent = make_comment(post, parent=parent, body=body)
    page = new_page(width=375)
    page.goto(f"{live_server.url}{post.get_absolute_url()}")
    overflow = page.evaluate(
        "document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth"
    )
    assert overflow <= 0
    deepest = page.locator(f"#comment-{parent.pk} .comment-content")
    assert deepest.bounding_box()["width"] >= 250


def test_print_layout_keeps_the_post_and_thread(new_page, live_server):
    """Printed, a post keeps its text and comments and drops the form and sidebar."""
    load_seed_site()
    page = new_page()
    page.emulate_media(media="print")
    page.goto(f"{live_server.url}/2014/08/01/clinicspeak-when-to-say-no-to-alemtuzumab-treatment/")
    assert page.locator(".entry-content").is_visible()
    assert page.locator("#comments .comment-list").is_visible()
    assert page.locator("#respond").is_hidden()
    assert page.locator(".site-sidebar").is_hidden()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(SHOTS / "post-print.pdf"))
    assert (SHOTS / "post-print.pdf").stat().st_size > 10_000


def test_screenshots_of_a_formatted_comment_and_a_quote(new_page, live_server):
    """A comment using every allowed piece of markup and a reply quoting it, and the form
    after Quote, at 1280 and 375 px, in test-output/screenshots/."""
    load_seed_site()  # with tests.pages.add_formatted_discussion()'s comments
    ruth = Comment.objects.get(author_name="Ruth")
    sam = Comment.objects.get(author_name="Sam", parent=ruth)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 375):
        page = new_page(width=width)
        page.goto(f"{live_server.url}{ruth.post.get_absolute_url()}#comment-{ruth.pk}")
        thread = page.locator(f"li#comment-{ruth.pk}")
        assert thread.locator(f"li#comment-{sam.pk} blockquote strong").count() == 1
        target = SHOTS / f"formatted-comment-{width}.png"
        thread.screenshot(path=str(target))
        assert target.stat().st_size > 10_000
        page.click(f"#comment-{sam.pk} .comment-quote-link")
        form = SHOTS / f"quote-in-form-{width}.png"
        page.locator(f"li#comment-{sam.pk}").screenshot(path=str(form))
        assert form.stat().st_size > 10_000
