"""The moderation desk in Chromium: the queue fits at 1280, 1024 and 375 px, thread context
opens in place, one key per decision, and the desk's pages pass axe and the Nu checker.

Screenshots go to test-output/screenshots/ (queue, thread context, change page, in-place
moderation) and the queue's measurements to test-output/moderation-desk.json.
"""

import json
import shutil

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from comments import services
from comments.models import Comment, CommentEvent
from comments.roles import MODERATORS_GROUP
from tests.conftest import TEST_OUTPUT, vnu_errors
from tests.factories import make_comment, make_moderation_queue, make_post, make_staff
from tests.test_accessibility import serious_violations

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = TEST_OUTPUT / "screenshots"
QUEUE = reverse("admin:comments_comment_changelist")
PENDING = f"{QUEUE}?status__exact=pending"


def sign_in(new_page, live_server, *, width=1280, height=900, javascript=True, bypass_csp=False):
    """A browser page signed in as a member of Moderators."""
    moderator = make_staff("molly", first_name="Molly", last_name="Moderator")
    moderator.groups.add(Group.objects.get(name=MODERATORS_GROUP))
    client = Client()
    client.force_login(moderator)
    page = new_page(width=width, height=height, javascript=javascript, bypass_csp=bypass_csp)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.moderator = moderator
    return page


def overflow(page) -> dict:
    return page.evaluate(
        """() => ({
            page: document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth,
            list: (() => { const r = document.querySelector('#changelist-form .results');
                           return r ? r.scrollWidth - r.clientWidth : 0; })(),
        })"""
    )


def test_queue_fits_at_each_width(new_page, live_server):
    """No sideways scroll and the first row's buttons in view at 1280, 1024 and 375 px;
    screenshots of each, and the page height of 50 rows at 1280 px."""
    make_moderation_queue(50)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = sign_in(new_page, live_server)
    measured = {}
    for width in (1280, 1024, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}{PENDING}")
        assert page.locator("#result_list tr.queue-row").count() == 50
        assert overflow(page) == {"page": 0, "list": 0}, width
        first = page.locator("#result_list tr.queue-row").first
        for button in first.locator(".row-actions > .button").all():
            box = button.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, (width, box)
            assert box["y"] >= 0 and box["y"] + box["height"] <= 900, (width, box)
        page.screenshot(path=str(SHOTS / f"moderation-queue-{width}.png"), full_page=True)
        page.screenshot(path=str(SHOTS / f"moderation-queue-{width}-first-screen.png"))
        measured[width] = page.evaluate("document.scrollingElement.scrollHeight")
    (TEST_OUTPUT / "moderation-desk.json").write_text(
        json.dumps({"queue_height_px_50_rows": measured}, indent=2)
    )


def test_thread_context_opens_in_place_and_change_page(new_page, live_server):
    """ "Thread" shows the parent chain and neighbours under the row, without leaving the
    queue; the change page and its History are shot at 1280 and 375 px."""
    post = make_post(title="On trials")
    top = make_comment(post, author_name="Heather", body="The question at the top.")
    middle = make_comment(post, parent=top, author_name="Gavin", body="An answer in between.")
    make_comment(post, parent=top, author_name="Ann", body="An earlier sibling.")
    reply = make_comment(post, parent=middle, status="pending", body="The reply to moderate.")
    make_comment(post, parent=middle, status="spam", body="A spam neighbour.")
    page = sign_in(new_page, live_server)
    page.goto(f"{live_server.url}{QUEUE}")
    row = page.locator(f"#row-{reply.pk}")
    row.locator("[data-key=c]").click()
    panel = row.locator(".context-panel")
    panel.locator(".context-self").wait_for()
    assert page.url.endswith(QUEUE)
    text = panel.inner_text()
    assert text.index("The question at the top.") < text.index("An answer in between.")
    assert "A spam neighbour." in text and "SPAM" in text.upper()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "moderation-thread-context-1280.png"), full_page=True)
    services.comments_moderate(comments=[reply], action="approve", actor=page.moderator)
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}{reverse('admin:comments_comment_change', args=[reply.pk])}")
        assert overflow(page)["page"] <= 0
        page.screenshot(path=str(SHOTS / f"moderation-change-page-{width}.png"), full_page=True)
    page.locator("a.historylink").click()
    assert "Approved by Molly Moderator" in page.locator(".audit-trail").inner_text()


def test_moderating_in_place_on_the_post_page(new_page, live_server):
    """A moderator reading a post sees held comments marked, and approves one in place;
    screenshots at 1280 and 375 px."""
    post = make_post(title="On trials")
    top = make_comment(post, author_name="Heather", body="An approved question.")
    held = make_comment(post, parent=top, status="pending", body="A held reply, in place.")
    page = sign_in(new_page, live_server)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}{post.get_absolute_url()}")
        assert overflow(page)["page"] <= 0
        page.locator(f"#comment-{held.pk}").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"moderation-in-place-{width}.png"), full_page=True)
    with page.expect_navigation():
        page.locator(f"#comment-{held.pk} button", has_text="Approve").click()
    assert page.url.endswith(f"{post.get_absolute_url()}#comment-{held.pk}")
    assert Comment.objects.get(pk=held.pk).status == "approved"
    assert page.locator(f"#comment-{held.pk} .comment-moderation.is-pending").count() == 0


def press(page, key):
    """One key that submits a form: wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press(key)


def current_id(page) -> int:
    return int(page.locator("tr.queue-row.is-current").get_attribute("data-comment-id"))


def test_keyboard_only_triage_of_twenty_comments(new_page, live_server):
    """Twenty pending comments decided with one key each (a, s, d), some undone with z
    and decided again, checking the database and the audit trail after every key."""
    pending = make_moderation_queue(20)
    page = sign_in(new_page, live_server)
    page.goto(f"{live_server.url}{PENDING}")
    page.keyboard.press("?")  # the help overlay lists the keys, Escape closes it
    assert page.locator("#keyboard-help dl").is_visible()
    assert "undo the last action" in page.locator("#keyboard-help dl").inner_text()
    page.keyboard.press("Escape")
    assert not page.locator("#keyboard-help dl").is_visible()
    page.keyboard.press("j")
    page.keyboard.press("k")  # back to the first comment, focused and outlined
    focused = page.evaluate(
        "() => [document.activeElement.id, getComputedStyle(document.activeElement).outlineStyle]"
    )
    assert focused == [f"row-{pending[-1].pk}", "solid"]
    outcome = {"a": "approved", "s": "spam", "d": "removed"}
    decided = 0
    keys = 0
    while decided < 20:
        target = current_id(page)
        assert target == Comment.objects.filter(status="pending").order_by("-created_at")[0].pk
        key = "asd"[decided % 3]
        press(page, key)
        keys += 1
        comment = Comment.objects.get(pk=target)
        assert comment.status == outcome[key]
        event = CommentEvent.objects.filter(comment=comment).latest("pk")
        assert (event.status_after, event.actor, event.batch.actor) == (
            outcome[key],
            page.moderator,
            page.moderator,
        )
        if decided % 6 == 5:  # changed our mind: undo, and the comment is current again
            press(page, "z")
            keys += 1
            assert Comment.objects.get(pk=target).status == "pending"
            undone = CommentEvent.objects.filter(comment=comment).latest("pk")
            assert (undone.action, undone.status_after) == ("undone", "pending")
            assert undone.reason == f"undo of action #{event.batch_id}"
            assert current_id(page) == target
            press(page, "a")
            keys += 1
            assert Comment.objects.get(pk=target).status == "approved"
        decided += 1
    assert not Comment.objects.filter(pk__in=[c.pk for c in pending], status="pending").exists()
    assert page.locator("tr.queue-row").count() == 0
    assert keys == 20 + 2 * 3


def desk_pages(moderator) -> list[tuple[str, str]]:
    """(name, path) of every admin page the desk adds or changes, with data on each."""
    post = make_post(title="On trials")
    top = make_comment(post, author_name="Heather", author_email="h@example.org", body="Top.")
    reply = make_comment(
        post,
        parent=top,
        status="pending",
        author_email="sam@example.org",
        author_url="https://sam.example",
        ip_address="192.0.2.7",
        body="A pending reply with a link https://example.org/x and more words. " * 5,
        moderation_reason="contains 2 links (hold at 2)",
    )
    stand_in = Comment.objects.create(post=post, parent=top, placeholder=True, body="")
    make_comment(post, parent=stand_in, body="A reply to a missing comment.")
    make_comment(
        post, status="spam", body="Spam words.", moderation_reason="matches the block list"
    )
    make_comment(post, status="removed", body="Removed words.")
    services.comment_edit(comment=top, body="Top, edited.", actor=moderator)
    services.sender_block(
        comment=make_comment(post, status="pending", ip_address="192.0.2.99"),
        kind="ip",
        actor=moderator,
    )
    services.comments_moderate(comments=[reply], action="spam", actor=moderator)
    event = CommentEvent.objects.filter(comment=top).latest("pk")
    return [
        ("queue", QUEUE),
        ("queue-pending", PENDING),
        ("queue-by-sender", f"{QUEUE}?author_email=sam%40example.org"),
        ("queue-bad-filter", f"{QUEUE}?ip_address=abc"),
        ("change", reverse("admin:comments_comment_change", args=[reply.pk])),
        ("history", reverse("admin:comments_comment_history", args=[top.pk])),
        ("context", reverse("admin:comments_comment_context", args=[reply.pk])),
        ("quick-edit", reverse("admin:comments_comment_quick_edit", args=[reply.pk])),
        ("reply", reverse("admin:comments_comment_reply", args=[top.pk])),
        ("audit-log", reverse("admin:comments_commentevent_changelist")),
        ("audit-entry", reverse("admin:comments_commentevent_change", args=[event.pk])),
        ("actions", reverse("admin:comments_moderationbatch_changelist")),
        ("block-list", reverse("admin:comments_blockedsender_changelist")),
        ("block-add", reverse("admin:comments_blockedsender_add")),
        ("posts", reverse("admin:posts_post_changelist")),
        ("post-history", reverse("admin:posts_post_history", args=[post.pk])),
        ("post-in-place", post.get_absolute_url()),
    ]


def test_desk_pages_pass_axe_at_1280_and_375(new_page, live_server, node_tools):
    """No serious or critical axe violation on any desk page, at 1280 and 375 px."""
    page = sign_in(new_page, live_server, bypass_csp=True)
    pages = desk_pages(page.moderator)
    axe = node_tools / "axe-core" / "axe.min.js"
    found = {}
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        for name, path in pages:
            page.goto(f"{live_server.url}{path}")
            if problems := serious_violations(page, axe):
                found[f"{name}@{width}"] = problems
    (TEST_OUTPUT / "axe-moderation.json").write_text(json.dumps(found, indent=2))
    assert found == {}


def test_desk_pages_are_valid_html(node_tools):
    """Every desk page (and the public email-confirmation pages) is valid HTML to vnu,
    checked in one run."""
    from comments import trust

    moderator = make_staff("molly", first_name="Molly", last_name="Moderator")
    moderator.groups.add(Group.objects.get(name=MODERATORS_GROUP))
    client = Client()
    client.force_login(moderator)
    token = trust.confirmation_token("sam@example.org")
    confirm = reverse("comments:confirm-email", args=[token])
    folder = TEST_OUTPUT / "html-moderation"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    files = []
    for name, path in desk_pages(moderator):
        response = client.get(path, follow=True)
        assert response.status_code == 200, path
        files.append(folder / f"{name}.html")
        files[-1].write_bytes(response.content)
    public = Client()
    for name, response in (
        ("confirm-email", public.get(confirm)),
        ("email-confirmed", public.post(confirm)),
        ("confirm-invalid", public.get(reverse("comments:confirm-email", args=["forged"]))),
    ):
        files.append(folder / f"{name}.html")
        files[-1].write_bytes(response.content)
    errors = vnu_errors(node_tools, files)
    (TEST_OUTPUT / "vnu-moderation.json").write_text(json.dumps(errors, indent=2))
    assert errors == []
