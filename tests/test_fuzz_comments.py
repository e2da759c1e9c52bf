"""Hostile input to the comment service and the public form: accepted and shown as text
(or, for the markup commenters may use, as the HTML stored for it), or refused with a
clear message; never a 500, a traceback or a partial write."""

import re

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from hypothesis import event, example, given
from hypothesis import strategies as st

from comments import services
from comments.models import Comment, CommentEvent
from tests.factories import comment_form_data, follow_refusal, make_comment, make_post
from tests.fuzzing import hostile_text, rolled_back

pytestmark = pytest.mark.django_db

MISSING = object()  # a field left out of the request altogether


@pytest.fixture
def post(settings):
    settings.COMMENTS_FLOOD_LIMIT = 0  # every example comes from the same address
    post = make_post()
    post.approved = make_comment(post)
    return post


def counts() -> tuple[int, int]:
    return Comment.objects.count(), CommentEvent.objects.count()


def squash(text: str) -> str:
    return " ".join(text.split())


def shown_text(response, comment_id: int) -> str:
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    content = soup.select_one(f"li#comment-{comment_id} > article .comment-content")
    for line_break in content.find_all("br"):
        line_break.replace_with("\n")
    return content.get_text()


def readable_text(comment) -> str:
    """What a reader should see of a comment: its text exactly, unless it uses the markup
    commenters may type; then the words of the HTML stored for it."""
    if not MARKUP.search(comment.body):
        return comment.body
    soup = BeautifulSoup(comment.body_html, "html.parser")
    for line_break in soup.find_all("br"):
        line_break.replace_with("\n")
    return soup.get_text()


MARKUP = re.compile(r"</?(?:p|a|em|i|strong|b|blockquote|code)\b", re.IGNORECASE)
optional_text = st.one_of(st.just(""), hostile_text)


@given(body=hostile_text, author_name=optional_text)
@example(body="\x00", author_name="")
@example(body="ok", author_name="\u202eEve")
@example(body="x" * 10_000, author_name="é" * 100)
def test_comment_service_with_hostile_text(post, body, author_name):
    """Any text and name: stored exactly with its audit event, or a ValidationError."""
    check_service_call(post, body=body, author_name=author_name)


@given(
    body=hostile_text,
    author_name=optional_text,
    author_email=st.one_of(st.just(""), st.emails(), hostile_text),
    author_url=st.one_of(st.just(""), st.just("https://example.org/a?b=c"), hostile_text),
    ip_address=st.one_of(st.none(), st.ip_addresses().map(str), hostile_text),
)
def test_comment_service_with_every_field_hostile(
    post, body, author_name, author_email, author_url, ip_address
):
    """Hostile email, website and IP too: stored exactly, or a ValidationError."""
    check_service_call(
        post,
        body=body,
        author_name=author_name,
        author_email=author_email,
        author_url=author_url,
        ip_address=ip_address,
    )


def check_service_call(post, *, body, author_name, **fields) -> None:
    """comment_create either stores the text exactly, with its audit event, or raises a
    ValidationError with a message and writes nothing."""
    with rolled_back():
        before = counts()
        try:
            comment = services.comment_create(
                post=post,
                parent=post.approved,
                body=body,
                author_name=author_name,
                **fields,
            )
        except ValidationError as exc:
            event("refused")
            assert exc.messages and all(m.strip() for m in exc.messages)
            assert counts() == before
        else:
            event("accepted")
            assert counts() == (before[0] + 1, before[1] + 1)
            stored = Comment.objects.get(pk=comment.pk)
            assert stored.body == body
            assert stored.author_name == (author_name.strip() or "Anonymous")
            assert stored.events.get().body_after == body
            assert stored.parent_id == post.approved.pk


def form_fields(post):
    """Each field: valid, hostile, missing, or sent several times (duplicate keys)."""
    valid = comment_form_data(post, parent=str(post.approved.pk))

    def field(name, *others):
        return st.one_of(
            st.just(valid.get(name, MISSING)),
            st.just(MISSING),
            hostile_text,
            st.lists(hostile_text, min_size=2, max_size=3),
            *others,
        )

    return st.fixed_dictionaries(
        {
            "body": field("body"),
            "author_name": field("author_name"),
            "author_email": field("author_email", st.emails()),
            "author_url": field("author_url"),
            "parent": field("parent", st.integers().map(str), st.just(str(2**63))),
            "notify_replies": field("notify_replies", st.just("on")),
            "ts": field("ts"),
            "phone": field("phone"),
        }
    )


def check_form_submission(post, sent: dict) -> None:
    client = Client()  # a fresh browser: its cookie names only this example's comment
    with rolled_back():
        before = counts()
        response = client.post(reverse("comments:create", args=[post.pk]), sent)
        event(f"HTTP {response.status_code}")
        assert "Traceback" not in response.content.decode(errors="replace")
        if response.status_code == 302:
            assert counts() == (before[0] + 1, before[1] + 1)
            comment = Comment.objects.latest("pk")
            page = client.get(response["Location"])
            assert page.status_code == 200
            assert squash(shown_text(page, comment.pk)) == squash(readable_text(comment))
            last = sent["body"][-1] if isinstance(sent["body"], list) else sent["body"]
            assert comment.body == last.strip()
        else:
            response = refused_page(client, response)
            assert counts() == before
            soup = BeautifulSoup(response.content.decode(), "html.parser")
            errors = soup.select('#respond [role="alert"]')
            assert errors and all(e.get_text().strip() for e in errors)


@given(data=st.data())
def test_public_form_with_any_field_hostile(post, data):
    """Any combination of hostile, missing or repeated fields gives a 302 to a page that
    shows the text, or a 400 whose form carries an error; never half a write."""
    fields = data.draw(form_fields(post))
    check_form_submission(post, {k: v for k, v in fields.items() if v is not MISSING})


@given(body=hostile_text, author_name=optional_text)
@example(body="<script>alert(1)</script> &amp; <b>bold</b> {{ x }}", author_name="<i>Eve</i>")
@example(body="\u202eevil\u202c \u200bzero\u200d width \U0001f469\u200d\U0001f52c", author_name="")
@example(body="line\r\nbreak\u2028sep\n\nparagraph www.example.org/a?b=<c>", author_name="Jo")
@example(body="a" * 10_001, author_name="")
def test_public_form_with_hostile_text_in_a_valid_submission(post, body, author_name):
    """Hostile comment text and names in an otherwise valid form: what is accepted reads
    back as the same text on the post page."""
    data = comment_form_data(post, body=body, author_name=author_name)
    check_form_submission(post, data)


@given(
    raw=st.one_of(
        st.binary(max_size=400),
        st.lists(
            st.tuples(
                st.sampled_from([b"body", b"author_name", b"parent", b"ts", b"b\xffody"]),
                st.binary(max_size=40),
            ),
            max_size=6,
        ).map(lambda pairs: b"&".join(k + b"=" + v for k, v in pairs)),
    ),
    content_type=st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded; charset=latin-1",
            "application/x-www-form-urlencoded; charset=bogus",
            "multipart/form-data; boundary=xyz",
            "multipart/form-data",
            "application/json",
            "text/plain",
        ]
    ),
)
def test_raw_request_bodies_are_refused_cleanly(post, raw, content_type):
    """Malformed encodings, invalid UTF-8 and broken multipart bodies never cause a 500."""
    with rolled_back():
        before = counts()
        client = Client()
        response = client.generic(
            "POST", reverse("comments:create", args=[post.pk]), raw, content_type=content_type
        )
        event(f"HTTP {response.status_code}")
        if response.status_code == 303:  # a form refused: shown again for this browser
            response = refused_page(client, response)
        assert response.status_code == 400, response.status_code
        assert counts() == before


def refused_page(client, response):
    """The page a refused form leads to: the form again, answered with 400."""
    assert response.status_code == 303, response.status_code
    page = follow_refusal(client, response)
    assert page.status_code == 400, page.status_code
    return page


@given(body=hostile_text)
@example(body="clean\x00")
def test_comment_edit_stores_exactly_or_refuses_cleanly(post, body):
    """An edit with any text either replaces the text, keeping the old one in an event,
    or raises a ValidationError and changes nothing."""
    with rolled_back():
        comment = Comment.objects.get(pk=post.approved.pk)
        before = (comment.body, CommentEvent.objects.count())
        try:
            changed = services.comment_edit(comment=comment, body=body, actor=None)
        except ValidationError as exc:
            event("refused")
            assert exc.messages and all(m.strip() for m in exc.messages)
            stored = Comment.objects.get(pk=comment.pk)
            assert (stored.body, CommentEvent.objects.count()) == before
        else:
            event("accepted")
            assert changed
            assert Comment.objects.get(pk=comment.pk).body == body
            assert CommentEvent.objects.latest("pk").body_before == before[0]


def test_admin_edit_with_a_control_character_is_a_form_error(post, admin_client):
    """The admin refuses an edit the service would refuse, as a form error, not a 500."""
    comment = post.approved
    url = reverse("admin:comments_comment_change", args=[comment.pk])
    response = admin_client.post(url, {"body": "Bell\x07 ringing."})
    assert response.status_code == 200
    assert "control character (U+0007)" in response.content.decode()
    assert Comment.objects.get(pk=comment.pk).body == comment.body
