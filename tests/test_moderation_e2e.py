"""End to end: public form -> held -> approved by a Moderator in the admin -> visible ->
reply approved -> notification email -> one-click unsubscribe."""

from urllib.parse import urlparse

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from comments.models import Comment
from comments.roles import MODERATORS_GROUP
from tests.factories import make_post

pytestmark = pytest.mark.django_db


def form_fields(form) -> dict:
    fields = {
        i["name"]: i.get("value", "")
        for i in form.select("input[name]")
        if i.get("type") != "checkbox"
    }
    fields.update({t["name"]: t.get_text() for t in form.select("textarea[name]")})
    return fields


def fill_comment_form(client, page_soup, url, **values):
    soup = page_soup(client.get(url))
    form = soup.select_one("form#commentform")
    return form["action"], {**form_fields(form), **values}


def approve_in_queue(moderator, page_soup, comment):
    """Click the row's Approve button in the moderation queue, as a browser would."""
    queue = page_soup(moderator.get("/admin/comments/comment/?status__exact=pending"))
    checkbox = queue.select_one(f"input[name=_selected_action][value='{comment.pk}']")
    button = checkbox.find_parent("tr").select_one("button[data-action=approve]")
    form = queue.select_one("form#changelist-form")
    response = moderator.post(button["formaction"], form_fields(form))
    assert response.status_code == 302


def test_comment_to_notification_round_trip(
    page_soup, settings, mailoutbox, django_capture_on_commit_callbacks
):
    """A comment is held, approved by a Moderator, shown, and replies reach its author."""
    settings.COMMENTS_MIN_SUBMIT_SECONDS = 0  # the test client submits instantly
    post = make_post(title="Alemtuzumab gets a license")
    url = post.get_absolute_url()

    User = get_user_model()
    mod = User.objects.create_user(
        "mod", email="mod@example.org", password="a-long-Passphrase-9", is_staff=True
    )
    mod.groups.add(Group.objects.get(name=MODERATORS_GROUP))
    reader = Client(enforce_csrf_checks=True)
    action, data = fill_comment_form(
        reader,
        page_soup,
        url,
        author_name="Heather",
        author_email="heather@example.org",
        body="Will MSers travel south for treatment?",
        notify_replies="on",
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert reader.post(action, data).status_code == 302
    question = Comment.objects.get()
    assert (question.status, question.moderation_reason) == (
        "pending",
        "every new comment is held for moderation",
    )
    assert "Will MSers travel south" not in Client().get(url).content.decode()
    (notice,) = mailoutbox
    assert notice.to == ["mod@example.org"]
    assert f"/admin/comments/comment/{question.pk}/change/" in notice.body

    moderator = Client(enforce_csrf_checks=True)
    login = page_soup(moderator.get("/admin/login/"))
    credentials = {
        **form_fields(login.select_one("form#login-form")),
        "username": "mod",
        "password": "a-long-Passphrase-9",
    }
    assert moderator.post("/admin/login/", credentials).status_code == 302

    with django_capture_on_commit_callbacks(execute=True):
        approve_in_queue(moderator, page_soup, question)
    public = page_soup(Client().get(url))
    assert (
        "Will MSers travel south for treatment?"
        in public.select_one(f"#comment-{question.pk}").get_text()
    )
    assert public.select_one("#comments-title").get_text().startswith("1 thought on")

    replier = Client(enforce_csrf_checks=True)
    action, data = fill_comment_form(
        replier,
        page_soup,
        f"{url}?replytocom={question.pk}",
        author_name="Gavin",
        body="Some will, Heather.",
    )
    with django_capture_on_commit_callbacks(execute=True):
        replier.post(action, data)
    answer = Comment.objects.get(body="Some will, Heather.")
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        approve_in_queue(moderator, page_soup, answer)

    (mail,) = [m for m in mailoutbox if m.to == ["heather@example.org"]]
    assert "Some will, Heather." in mail.body
    assert f"/comments/{answer.pk}/" in mail.body
    link = next(
        line.split(": ", 1)[1] for line in mail.body.splitlines() if line.startswith("Stop")
    )
    confirm = Client().get(urlparse(link).path)
    assert Comment.objects.get(pk=question.pk).notify_replies  # following it only asks
    button = page_soup(confirm).select_one("form.unsubscribe")
    response = Client().post(button["action"])
    assert "You are unsubscribed" in response.content.decode()
    assert not Comment.objects.get(pk=question.pk).notify_replies
    nested = page_soup(Client().get(url)).select_one(
        f"#comment-{question.pk} ol.children #comment-{answer.pk}"
    )
    assert nested is not None
