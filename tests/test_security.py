"""Security headers, CSRF, login throttling and the Content-Security-Policy in a browser."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from comments.notifications import unsubscribe_token
from tests.factories import comment_form_data, make_comment, make_post, make_staff
from tests.pages import load_seed_site, public_pages

pytestmark = pytest.mark.django_db

ADMIN_PASSWORD = "Correct-horse-battery-9"


def test_public_pages_send_security_headers(client):
    """CSP without inline script, nosniff, a referrer policy and frame denial."""
    post = make_post()
    for url in ("/", post.get_absolute_url()):
        response = client.get(url)
        csp = response["Content-Security-Policy"]
        script_src = re.search(r"script-src ([^;]*)", csp)[1]
        assert script_src == "'self'"
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"


def test_pages_carry_no_inline_script_or_handlers(client, page_soup):
    """Every script on the public pages is a file; no element carries an on* handler."""
    load_seed_site()
    for _name, path in public_pages():
        soup = page_soup(client.get(path))
        assert all(script.get("src") for script in soup.find_all("script")), path
        handlers = [
            (tag.name, attr)
            for tag in soup.find_all(True)
            for attr in tag.attrs
            if attr.startswith("on")
        ]
        assert handlers == [], path


@pytest.mark.parametrize("view", ["comment", "resubscribe", "admin-login", "admin-action"])
def test_every_post_needs_a_csrf_token(view):
    """POSTs without a CSRF token are refused (the signed unsubscribe link is the exception)."""
    post = make_post()
    comment = make_comment(post, author_email="a@example.org")
    client = Client(enforce_csrf_checks=True)
    if view == "admin-action":
        client.force_login(make_staff("boss", superuser=True))
    url, data = {
        "comment": (reverse("comments:create", args=[post.pk]), comment_form_data(post)),
        "resubscribe": (reverse("comments:resubscribe", args=[unsubscribe_token(comment)]), {}),
        "admin-login": ("/admin/login/", {"username": "boss", "password": "x"}),
        "admin-action": (
            reverse("admin:comments_comment_moderate", args=[comment.pk, "spam"]),
            {},
        ),
    }[view]
    assert client.post(url, data).status_code == 403
    comment.refresh_from_db()
    assert comment.status == "approved" and post.comments.count() == 1


def make_editor():
    editor = make_staff("editor", superuser=True)
    editor.set_password(ADMIN_PASSWORD)
    editor.save()
    return editor


def test_repeated_failed_logins_are_throttled():
    """The fifth wrong password locks the account for that IP, even for the right one."""
    make_editor()
    client = Client()
    for _ in range(4):
        response = client.post("/admin/login/", {"username": "editor", "password": "wrong"})
        assert response.status_code == 200  # the form again, with its error
    assert (
        client.post("/admin/login/", {"username": "editor", "password": "wrong"}).status_code == 429
    )
    locked = client.post("/admin/login/", {"username": "editor", "password": ADMIN_PASSWORD})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    elsewhere = Client(REMOTE_ADDR="198.51.100.4")
    ok = elsewhere.post("/admin/login/", {"username": "editor", "password": ADMIN_PASSWORD})
    assert ok.status_code == 302


@pytest.mark.django_db(transaction=True)
def test_no_content_security_policy_violation_in_the_browser(new_page, live_server):
    """Chromium reports no CSP violation on the public pages or the moderation screens."""
    load_seed_site()
    make_editor()
    page = new_page()
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append((page.url, message.text))
            if "Content Security Policy" in message.text
            else None
        ),
    )
    paths = [path for _name, path in public_pages()]
    for path in paths:
        page.goto(f"{live_server.url}{path}")
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", ADMIN_PASSWORD)
    page.click("input[type=submit]")
    for path in (
        "/admin/",
        "/admin/comments/comment/",
        "/admin/comments/comment/1/change/",
        "/admin/comments/comment/1/reply/",
        "/admin/posts/post/1/change/",
        "/admin/comments/commentevent/",
    ):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
    assert violations == []
