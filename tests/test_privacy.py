"""Commenters' personal data: never public, exportable and erasable on request."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from comments import notifications, services
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


def test_export_gives_the_discussions_followed_and_the_email_confirmation():
    """The export names the posts the address follows (confirmed or not) and when the
    address was confirmed and trusted; other addresses' records stay out."""
    from django.utils import timezone

    from comments.models import Commenter, Subscription

    post = make_post(title="On relapses")
    Subscription.objects.create(post=post, email="Sam@Example.org", mode="daily")
    Subscription.objects.create(post=post, email="other@example.org")
    confirmed = timezone.now()
    Commenter.objects.create(email="sam@example.org", confirmed_at=confirmed)
    data = export("sam@example.org")
    [followed] = data["following"]
    assert followed["post"] == {"title": "On relapses", "url": post.get_absolute_url()}
    assert (followed["mode"], followed["confirmed_at"]) == ("daily", None)
    assert data["email_confirmation"]["confirmed_at"] is not None
    assert "other@example.org" not in json.dumps(data)
    Commenter.objects.create(email="follows@example.org")
    assert export("follows@example.org")["email_confirmation"]["confirmed_at"] is None


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
    """Both commands say so when nothing is stored about that email, and change nothing."""
    with pytest.raises(CommandError, match="Nothing is stored about"):
        call_command("export_commenter", "nobody@example.org", stdout=io.StringIO())
    with pytest.raises(CommandError, match="Nothing is stored about"):
        call_command("erase_commenter", "nobody@example.org", "--noinput")


def test_an_address_that_only_follows_is_erased_too():
    """Someone who follows a discussion without ever commenting can be erased: their
    subscriptions go and the command says what it did."""
    from comments.models import Subscription

    Subscription.objects.create(post=make_post(), email="Quiet@Example.org")
    call_command("erase_commenter", "quiet@example.org", "--noinput", stdout=io.StringIO())
    assert not Subscription.objects.exists()


# Erasure reaches every copy, not just the comment's own columns.

PERSON = {
    "author_name": "Zebulon Quux",
    "author_email": "Zeb.Quux@Example.net",
    "author_url": "https://quux-family.example/zeb",
}
PERSON_IP = "198.51.100.77"
# What must be gone after erasure, wherever it was copied (compared ignoring case).
TRACES = ("Zebulon Quux", "zeb.quux@example.net", "quux-family.example", PERSON_IP)


def every_stored_text() -> str:
    """Every row of every table in the database (search index, admin log and task queue
    included), as one lower-cased text."""
    from django.db import connection

    texts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            texts.extend(str(row) for row in cursor.fetchall())
    return "\n".join(texts).lower()


def traces_in(text: str) -> list[str]:
    return [trace for trace in TRACES if trace.lower() in text.lower()]


@pytest.fixture
def moderated_commenter(settings, client, django_capture_on_commit_callbacks):
    """A reader's comment, held because the moderation list names their IP address (its
    moderator notice queued in the database), then edited and approved by a moderator in
    the admin, beside an admin log entry written before log entries left names out; its
    page read and cached."""
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.contenttypes.models import ContentType

    from tests.factories import comment_form_data

    settings.COMMENTS_MODERATION_WORDS = [PERSON_IP]
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    post = make_post(title="On trials")
    reader = Client(REMOTE_ADDR=PERSON_IP)
    with django_capture_on_commit_callbacks(execute=True):
        reader.post(
            reverse("comments:create", args=[post.pk]),
            comment_form_data(post, **PERSON, body="My first comment, in my own words."),
        )
    comment = Comment.objects.get()
    assert PERSON_IP in comment.moderation_reason
    moderator = make_staff("mod", superuser=True)
    LogEntry.objects.create(
        user=moderator,
        content_type=ContentType.objects.get_for_model(Comment),
        object_id=str(comment.pk),
        object_repr="Zebulon Quux: My first comment, in my own words.",
        action_flag=CHANGE,
        change_message=json.dumps([{"changed": {"fields": ["Body"]}}, "For Zebulon Quux"]),
    )
    client.force_login(moderator)
    change = reverse("admin:comments_comment_change", args=[comment.pk])
    edited = {"body": "My first comment, tidied.", "events-TOTAL_FORMS": 0}
    assert client.post(change, {**edited, "events-INITIAL_FORMS": 0}).status_code == 302
    approve = reverse("admin:comments_comment_moderate", args=[comment.pk, "approve"])
    assert client.post(approve).status_code == 302
    make_comment(post, parent=comment, author_name="Other", body="A reply to Zeb.")
    for url in (post.get_absolute_url(), reverse("posts:comments-feed"), "/"):
        assert "Zebulon Quux" in Client().get(url).content.decode()
    assert traces_in(every_stored_text()) == list(TRACES)  # the test sees them first
    return post, comment


def test_erasure_leaves_no_copy_anywhere_in_the_database(moderated_commenter):
    """After erase_commenter, no table holds the name, email, website or IP: not the
    comment, its history, the admin log, the search index nor the task queue."""
    _, comment = moderated_commenter
    call_command("erase_commenter", "zeb.quux@example.net", "--noinput", stdout=io.StringIO())
    assert traces_in(every_stored_text()) == []
    comment.refresh_from_db()
    assert comment.body == "My first comment, tidied."  # their words stay
    assert comment.events.filter(body_before="My first comment, in my own words.").exists()


def test_admin_log_never_holds_a_commenters_name(moderated_commenter):
    """An admin edit logs the comment by number and excerpt, never by its author, so the
    log ("Recent actions") keeps no copy of a name even before any erasure."""
    _, comment = moderated_commenter
    from django.contrib.admin.models import LogEntry

    entry = LogEntry.objects.filter(object_id=str(comment.pk)).latest("pk")
    assert entry.object_repr == f"#{comment.pk}: My first comment, tidied."
    assert "Zebulon" not in entry.change_message


def test_erased_pages_are_not_served_from_the_cache(moderated_commenter):
    """After erasure no reader gets the old page: not from the cache, nor a 304 that
    lets a browser keep its old copy."""
    post, _ = moderated_commenter
    reader = Client()
    before = reader.get(post.get_absolute_url())
    call_command("erase_commenter", "zeb.quux@example.net", "--noinput", stdout=io.StringIO())
    for url in (post.get_absolute_url(), reverse("posts:comments-feed"), "/"):
        assert traces_in(Client().get(url).content.decode()) == []
    again = reader.get(post.get_absolute_url(), HTTP_IF_NONE_MATCH=before["ETag"])
    assert again.status_code == 200 and "Zebulon" not in again.content.decode()


def test_recent_actions_show_no_name_after_erasure(moderated_commenter, client):
    """The admin index's "Recent actions" no longer show the erased name, even from a log
    entry written when entries still named the author."""
    _, comment = moderated_commenter
    assert "Zebulon Quux" in client.get(reverse("admin:index")).content.decode()
    call_command("erase_commenter", "zeb.quux@example.net", "--noinput", stdout=io.StringIO())
    index = client.get(reverse("admin:index")).content.decode()
    assert f"#{comment.pk}: My first" in index and "Zebulon" not in index


@pytest.fixture
def redis_cache(settings, tmp_path):
    """The cache in a private redis-server of this test's own (tests.servers)."""
    from tests import servers

    original = settings.CACHES
    with servers.redis_server(tmp_path) as (url, _):
        settings.CACHES = {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": url,
                "KEY_PREFIX": "test-erasure",
            }
        }
        from django.core.cache import cache

        yield cache
        # Back to local memory before the server goes: later teardowns clear the cache.
        settings.CACHES = original


def cached_values(cache) -> list[bytes]:
    """Every value stored under this test's prefix, as Redis holds it."""
    redis = cache.client.get_client()
    prefix = cache.key_prefix
    return [redis.get(key) or b"" for key in redis.scan_iter(match=f"{prefix}:*")]


def test_erasure_deletes_the_cached_pages_that_held_the_name(
    redis_cache, moderated_commenter, django_capture_on_commit_callbacks
):
    """Pages and threads cached in Redis under the old version, unreachable but still
    stored, are deleted when the erasure commits: no copy of the name stays in Redis."""
    post, _ = moderated_commenter
    Client().get(post.get_absolute_url(), {"replytocom": "1"})  # one more page cached
    assert any(b"Zebulon Quux" in value for value in cached_values(redis_cache))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("erase_commenter", "zeb.quux@example.net", "--noinput", stdout=io.StringIO())
    assert not any(b"Zebulon Quux" in value for value in cached_values(redis_cache))
    assert "Zebulon" not in Client().get(post.get_absolute_url()).content.decode()


def test_reimporting_never_brings_erased_data_back():
    """Comments imported from a WordPress export, then erased: running the same import
    again leaves them erased (a newer export's other changes still apply)."""
    from pathlib import Path

    wxr = Path(__file__).resolve().parent / "data" / "wxr-basic.xml"
    call_command("import_wxr", str(wxr), stdout=io.StringIO())
    zoe = list(Comment.objects.by_author_email("zoe@example.org").order_by("pk"))
    assert zoe and zoe[0].author_name == "Zoë Reader"
    call_command("erase_commenter", "zoe@example.org", "--noinput", stdout=io.StringIO())
    out = io.StringIO()
    call_command("import_wxr", str(wxr), stdout=out)
    for comment in Comment.objects.filter(pk__in=[c.pk for c in zoe]):
        assert (comment.author_name, comment.author_email, comment.author_url) == (
            "Anonymous",
            "",
            "",
        )
    assert "0 updated" in out.getvalue()


def test_comment_import_never_brings_erased_data_back():
    """The import service (import_pages' path) leaves an erased comment's author alone
    when the same source is imported again."""
    post = make_post()
    fields = {
        "author_name": "Zoë Reader",
        "author_email": "zoe@example.org",
        "author_url": "https://zoe.example.org/",
        "body": "Imported words.",
        "status": "approved",
    }
    services.comment_import(post=post, parent=None, import_ref="src#1", **fields)
    services.commenter_erase(email="zoe@example.org")
    comment, outcome = services.comment_import(post=post, parent=None, import_ref="src#1", **fields)
    assert outcome == "unchanged"
    assert (comment.author_name, comment.author_email) == ("Anonymous", "")


def test_a_reply_notice_queued_before_erasure_mails_nobody_after(
    settings, mailoutbox, django_capture_on_commit_callbacks
):
    """Queued email tasks carry only a comment's id and read the comment when they run,
    so a reply notice queued before the erasure sends nothing to the erased address."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    post = make_post()
    zoe = make_comment(post, author_email="zoe@example.org", notify_replies=True)
    reply = make_comment(post, parent=zoe, status="pending", body="A reply for Zoë.")
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_set_status(comment=reply, status="approved")
    [task] = DBTaskResult.objects.filter(task_path="comments.tasks.notify_parent_author")
    assert task.args_kwargs == {"args": [reply.pk], "kwargs": {}}
    services.commenter_erase(email="zoe@example.org")
    notifications.notify_parent_author(*task.args_kwargs["args"])  # what the task will do
    assert mailoutbox == []
