"""Commenters' personal data: never public, exportable and erasable on request."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from comments import services
from comments.models import Comment
from tests.factories import make_comment, make_post, make_staff

pytestmark = pytest.mark.django_db


def test_email_and_ip_never_appear_on_public_pages():
    """Neither the post page nor the home page shows a commenter's email or IP."""
    post = make_post(tags=["MSBlog"])
    make_comment(post, author_email="secret@example.org", ip_address="203.0.113.9")
    for url in (post.get_absolute_url(), reverse("posts:index"), "/tag/msblog/"):
        page = Client().get(url).content.decode()
        assert "secret@example.org" not in page and "203.0.113.9" not in page


def export(email) -> dict:
    out = io.StringIO()
    call_command("export_commenter", email, stdout=out)
    return json.loads(out.getvalue())


def test_export_gives_everything_stored_about_a_commenter():
    """The export holds each comment, its personal fields and its history, original text too."""
    post = make_post(title="On trials")
    mine = make_comment(
        post,
        author_name="Sam",
        author_email="Sam@Example.org",
        author_url="https://sam.example",
        ip_address="192.0.2.1",
        body="My original words.",
    )
    make_comment(post, author_email="other@example.org", body="Someone else.")
    services.comment_edit(comment=mine, body="Edited words.", actor=make_staff())
    data = export("sam@example.org")
    assert [c["id"] for c in data["comments"]] == [mine.pk]
    record = data["comments"][0]
    assert record["author_email"] == "Sam@Example.org"
    assert record["ip_address"] == "192.0.2.1"
    assert record["post"] == {"title": "On trials", "url": post.get_absolute_url()}
    assert record["history"][0]["text_before"] == "My original words."
    assert "Someone else." not in json.dumps(data)


def test_erase_clears_personal_data_and_keeps_threads():
    """Erasure anonymises the author on every comment; bodies and nesting stay."""
    post = make_post()
    parent = make_comment(
        post,
        author_name="Sam",
        author_email="sam@example.org",
        author_url="https://sam.example",
        ip_address="192.0.2.1",
        notify_replies=True,
        body="Thoughts from Sam.",
    )
    reply = make_comment(post, parent=parent, author_email="other@example.org", body="A reply.")
    out = io.StringIO()
    call_command("erase_commenter", "SAM@example.org", "--noinput", stdout=out)
    assert "Erased personal data on 1 comments." in out.getvalue()
    parent.refresh_from_db()
    assert (
        parent.author_name,
        parent.author_email,
        parent.author_url,
        parent.ip_address,
        parent.notify_replies,
    ) == ("Anonymous", "", "", None, False)
    assert parent.body == "Thoughts from Sam."
    assert Comment.objects.get(pk=reply.pk).parent_id == parent.pk
    assert parent.events.filter(action="erased").exists()
    page = Client().get(post.get_absolute_url()).content.decode()
    assert "Thoughts from Sam." in page and "sam.example" not in page


def test_unknown_email_is_reported():
    """Both commands say so when nobody commented with that email, and change nothing."""
    with pytest.raises(CommandError, match="No comments were written with"):
        call_command("export_commenter", "nobody@example.org", stdout=io.StringIO())
    with pytest.raises(CommandError, match="No comments were written with"):
        call_command("erase_commenter", "nobody@example.org", "--noinput")
