"""Duplicate comments, judged as WordPress judges them (wp_allow_comment): the same text
on the same post under the same parent from the same author, trashed comments ignored."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse

from comments import services
from comments.models import Comment
from tests.factories import (
    comment_form_data,
    follow_refusal,
    make_comment,
    make_post,
    make_staff,
)

pytestmark = pytest.mark.django_db

DUPLICATE = "Duplicate comment detected; it looks as though you’ve already said that!"


def submit(post, client=None, **fields):
    """Send the form as a browser does, following a refusal to the page showing it."""
    client = client or Client()
    response = client.post(
        reverse("comments:create", args=[post.pk]), comment_form_data(post, **fields)
    )
    return follow_refusal(client, response)


def test_a_duplicate_answers_409_and_keeps_the_text(page_soup):
    """The same words again from the same name and email (in any case) under the same
    parent: HTTP 409, WordPress's message, the text still in the form, nothing stored."""
    post = make_post()
    assert submit(post, body="Same words.").status_code == 302
    response = submit(post, author_name="JANE", author_email="Jane@Example.org", body="Same words.")
    assert response.status_code == 409
    soup = page_soup(response)
    assert DUPLICATE in soup.select_one(".form-errors").get_text()
    assert soup.select_one("textarea[name=body]").get_text() == "\nSame words."
    assert [e.code for e in response.context["comment_form"].non_field_errors().as_data()] == [
        "duplicate"
    ]
    assert Comment.objects.count() == 1


def test_the_same_words_under_another_parent_are_welcome():
    """The words "+1 agreed" to two different comments, and once to the post itself, are three
    comments, not a duplicate."""
    post = make_post()
    first, second = make_comment(post), make_comment(post)
    for parent in (first, second, None):
        parent_id = str(parent.pk) if parent else ""
        assert submit(post, parent=parent_id, body="+1 agreed").status_code == 302
    assert Comment.objects.filter(body="+1 agreed").count() == 3


def test_the_same_reply_twice_to_one_parent_is_a_duplicate():
    """Under one parent the second identical reply is refused."""
    post = make_post()
    parent = make_comment(post)
    assert submit(post, parent=str(parent.pk), body="+1 agreed").status_code == 302
    assert submit(post, parent=str(parent.pk), body="+1 agreed").status_code == 409


def test_reposting_the_text_of_a_removed_comment_is_allowed():
    """A comment a moderator removed (WordPress's trash) does not count: its author may
    post the same words again."""
    post = make_post()
    submit(post, body="Second try.")
    services.comment_set_status(comment=Comment.objects.get(), status="removed")
    assert submit(post, body="Second try.").status_code == 302
    assert Comment.objects.filter(body="Second try.", status="pending").count() == 1


@pytest.mark.parametrize("status", ["pending", "approved", "spam"])
def test_comments_in_every_other_status_count(status):
    """Held, published and spam comments all count, as in WordPress."""
    post = make_post()
    make_comment(
        post, status=status, author_name="Jane", author_email="jane@example.org", body="Hi."
    )
    assert submit(post, body="Hi.").status_code == 409


@pytest.mark.parametrize(
    ("name", "email"),
    [("Jane", "other@example.org"), ("Someone Else", "jane@example.org")],
)
def test_another_name_or_another_email_is_another_author(name, email):
    """WordPress's author is the name and, when given, the email: the same email under
    another name, or the same name with another email, is not a duplicate."""
    post = make_post()
    submit(post, body="Same words.")
    assert submit(post, author_name=name, author_email=email, body="Same words.").status_code == 302
    assert Comment.objects.count() == 2


def test_without_an_email_the_name_is_the_author():
    """A named comment without an email is judged by the name alone, whatever the IP."""
    post = make_post()
    submit(post, author_email="", body="Named words.")
    elsewhere = Client(REMOTE_ADDR="10.0.0.2")
    assert submit(post, elsewhere, author_email="", body="Named words.").status_code == 409


def test_an_anonymous_comment_is_a_duplicate_only_from_the_same_address():
    """Without a name or an email the author is "Anonymous", which names nobody: only the
    same IP address sending the same words again is a duplicate."""
    post = make_post()
    anonymous = {"author_name": "", "author_email": "", "body": "Thank you!"}
    assert submit(post, **anonymous).status_code == 302
    assert submit(post, Client(REMOTE_ADDR="10.0.0.2"), **anonymous).status_code == 302
    assert submit(post, **anonymous).status_code == 409
    assert Comment.objects.count() == 2


def test_staff_replies_follow_the_same_rule():
    """The service refuses a staff member's identical reply under the same parent."""
    post = make_post()
    parent = make_comment(post)
    staff = make_staff()
    services.comment_create(post=post, parent=parent, body="Thanks, noted.", user=staff)
    with pytest.raises(ValidationError) as refused:
        services.comment_create(post=post, parent=parent, body="Thanks, noted.", user=staff)
    assert refused.value.code == "duplicate"


@pytest.mark.postgres  # SQLite takes its write lock before the check anyway
@pytest.mark.django_db(transaction=True)
def test_a_form_sent_twice_at_once_is_stored_once():
    """A double click sends the same comment twice at the same moment: one is stored, the
    other is refused as a duplicate (checked while holding the thread's lock)."""
    post = make_post()
    parent = make_comment(post)
    rounds = 5
    outcomes: list[str] = []

    def send(barrier, body, parent):
        try:
            barrier.wait()
            services.comment_create(
                post=post, parent=parent, body=body, author_name="Jane", ip_address="10.0.0.9"
            )
            outcomes.append("stored")
        except ValidationError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    for number in range(rounds):
        for target in (None, parent):
            barrier = threading.Barrier(2)
            threads = [
                threading.Thread(target=send, args=(barrier, f"Twice {number}.", target))
                for _ in range(2)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    assert sorted(outcomes) == ["duplicate"] * 2 * rounds + ["stored"] * 2 * rounds
    assert Comment.objects.filter(body__startswith="Twice").count() == 2 * rounds
