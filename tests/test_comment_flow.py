"""Posting comments and replies through the public form, through to moderation."""

import pytest
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


def post_comment(client, post, **data):
    response = client.post(
        reverse("comments:create", args=[post.pk]), comment_form_data(post, **data)
    )
    return follow_refusal(client, response)


def comment_ids(page_soup, response):
    return [li["id"] for li in page_soup(response).select("li.comment")]


def title_of(page_soup, response):
    return page_soup(response).select_one("#comments-title").get_text()


def test_submitted_comment_is_held_and_shown_only_to_its_author(client, page_soup):
    """A new comment is pending: its author sees it marked, others see nothing, no count."""
    post = make_post(title="On trials")
    response = post_comment(client, post, body="My first thought.")
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{post.get_absolute_url()}#comment-{comment.pk}"
    assert comment.status == "pending"

    own = client.get(post.get_absolute_url())
    assert "My first thought." in own.content.decode()
    assert "Your comment is awaiting moderation." in own.content.decode()
    assert title_of(page_soup, own) == "No comments yet on “On trials”"

    stranger = Client().get(post.get_absolute_url())
    assert "My first thought." not in stranger.content.decode()
    assert "awaiting moderation" not in stranger.content.decode()
    home = Client().get(reverse("posts:index")).content.decode()
    assert "No comments yet" in home


def test_approved_comment_is_visible_and_counted(client, page_soup):
    """Once a moderator approves it, everyone sees the comment and it is counted."""
    post = make_post(title="On trials")
    post_comment(client, post, body="My first thought.")
    services.comment_set_status(
        comment=Comment.objects.get(), status="approved", actor=make_staff()
    )
    stranger = Client().get(post.get_absolute_url())
    assert "My first thought." in stranger.content.decode()
    assert "awaiting moderation" not in stranger.content.decode()
    assert title_of(page_soup, stranger) == "1 thought on “On trials”"
    assert "1 comment" in Client().get(reverse("posts:index")).content.decode()


def test_reply_via_replytocom_nests_under_its_parent(client, page_soup):
    """?replytocom opens the form as a reply; the reply shows nested under its parent."""
    post = make_post()
    parent = make_comment(post, author_name="Heather", body="The parent.")
    make_comment(post, body="A sibling thread.")
    form_page = client.get(f"{post.get_absolute_url()}?replytocom={parent.pk}")
    soup = page_soup(form_page)
    assert soup.select_one("#reply-title").get_text().startswith("Leave a Reply to Heather")
    assert (
        soup.select_one("#cancel-comment-reply-link")["href"]
        == f"{post.get_absolute_url()}#respond"
    )
    assert soup.select_one("input[name=parent]")["value"] == str(parent.pk)

    post_comment(client, post, body="The reply.", parent=parent.pk)
    reply = Comment.objects.get(body="The reply.")
    services.comment_set_status(comment=reply, status="approved")
    soup = page_soup(Client().get(post.get_absolute_url()))
    nested = soup.select_one(f"#comment-{parent.pk} > ol.children > li")
    assert nested["id"] == f"comment-{reply.pk}"
    assert reply.parent_id == parent.pk and reply.level == 1


def test_reply_links_use_replytocom(client, page_soup):
    """Each approved comment carries a WordPress-style reply link."""
    post = make_post()
    comment = make_comment(post)
    link = page_soup(client.get(post.get_absolute_url())).select_one(".comment-reply-link")
    assert link["href"] == f"{post.get_absolute_url()}?replytocom={comment.pk}#respond"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"body": ""}, "body", "Please type a comment."),
        ({"body": "   \n  "}, "body", "Please type a comment."),
        ({"author_email": "not-an-email"}, "author_email", "Enter a valid email address."),
        ({"author_url": "javascript:alert(1)"}, "author_url", "http:// or https://"),
        ({"body": "x" * 10_001}, "body", "at most 10000 characters"),
        ({"author_name": "n" * 101}, "author_name", "at most 100 characters"),
    ],
)
def test_bad_input_returns_the_form_with_errors_and_saves_nothing(
    client, page_soup, data, field, message
):
    """Invalid input re-renders the post page with the form, its values and the error."""
    post = make_post()
    response = post_comment(client, post, **data)
    assert response.status_code == 400
    soup = page_soup(response)
    error = soup.select_one(f".comment-form-{field} .error")
    assert error is not None and message in error.get_text()
    assert soup.select_one("h1.entry-title").get_text() == post.title
    assert not Comment.objects.exists()
    if field != "author_name":
        assert soup.select_one("input[name=author_name]")["value"] == "Jane"


def test_reply_to_a_pending_comment_is_refused(client, page_soup):
    """A reply may only target a visible comment of the same post."""
    post = make_post()
    pending = make_comment(post, status="pending")
    other_post_comment = make_comment(make_post())
    for parent in (pending, other_post_comment):
        response = post_comment(client, post, parent=parent.pk)
        assert response.status_code == 400
        assert "not available" in response.content.decode()
    assert Comment.objects.count() == 2


def test_replytocom_for_a_hidden_comment_reveals_nothing(client, page_soup):
    """?replytocom with a pending comment's id shows the plain form."""
    post = make_post()
    pending = make_comment(post, status="pending", author_name="Secret Sam")
    response = client.get(f"{post.get_absolute_url()}?replytocom={pending.pk}")
    assert "Secret Sam" not in response.content.decode()
    soup = page_soup(response)
    assert soup.select_one("#reply-title .reply-to").get_text() == ""
    assert soup.select_one("#cancel-comment-reply-link").has_attr("hidden")


def test_empty_name_posts_as_anonymous(client):
    """A comment without a name is shown as Anonymous."""
    post = make_post()
    post_comment(client, post, author_name="")
    assert Comment.objects.get().author_name == "Anonymous"


def test_closed_post_refuses_comments(client):
    """Comments closed on a post: no form, and a forced POST is refused."""
    post = make_post(comments_open=False)
    page = client.get(post.get_absolute_url()).content.decode()
    assert "Comments are closed on this post." in page and 'id="commentform"' not in page
    response = post_comment(client, post)
    assert response.status_code == 400
    assert "Comments are closed on this post." in response.content.decode()
    assert not Comment.objects.exists()


def test_draft_posts_take_no_comments(client):
    """Posting to a draft's id is a 404, and nothing is stored."""
    post = make_post(status="draft")
    assert post_comment(client, post).status_code == 404
    assert not Comment.objects.exists()


def test_csrf_is_enforced_on_the_comment_form():
    """A POST without the CSRF token is rejected."""
    post = make_post()
    response = post_comment(Client(enforce_csrf_checks=True), post)
    assert response.status_code == 403
    assert not Comment.objects.exists()


def test_staff_reply_is_published_at_once_and_marked(client, page_soup):
    """A logged-in staff member's comment skips the queue and is marked as the team's."""
    post = make_post()
    staff = make_staff(first_name="Gavin", last_name="Giovannoni")
    client.force_login(staff)
    post_comment(client, post, author_name="", body="Staff answer.")
    comment = Comment.objects.get()
    assert comment.status == "approved" and comment.user == staff
    soup = page_soup(Client().get(post.get_absolute_url()))
    assert soup.select_one(f"#comment-{comment.pk} .team-badge").get_text() == "Blog team"
    assert (
        "Gavin Giovannoni" in soup.select_one(f"#comment-{comment.pk} .comment-author").get_text()
    )


def test_forged_pending_cookie_shows_nothing(client):
    """An unsigned cookie naming someone else's pending comment does not reveal it."""
    post = make_post()
    pending = make_comment(post, status="pending", body="Private words.")
    client.cookies["msblog_pending"] = str(pending.pk)
    assert "Private words." not in client.get(post.get_absolute_url()).content.decode()


def test_commenter_text_is_escaped_and_links_are_nofollow(client, page_soup):
    """Markup a comment may not use is shown as text; bare URLs become nofollow ugc links."""
    post = make_post()
    make_comment(post, body="<u>bold</u> see https://example.org/x", author_url="https://e.org")
    soup = page_soup(client.get(post.get_absolute_url()))
    content = soup.select_one(".comment-content")
    assert content.find("u") is None and "<u>bold</u>" in content.get_text()
    link = content.find("a")
    assert link["href"] == "https://example.org/x"
    assert link["rel"] == ["nofollow", "ugc", "noopener"]
    author = soup.select_one(".comment-author a")
    assert set(author["rel"]) >= {"nofollow", "ugc", "noopener"}


def test_a_tampered_pending_cookie_reveals_nothing_anywhere(client):
    """A genuine signed cookie edited to name someone else's pending comment fails its
    signature: the permalink is a 404 and the page, the thread and ?replytocom show
    nothing of that comment, while the cookie's owner still sees their own."""
    post = make_post()
    theirs = make_comment(post, status="pending", body="Their private words.")
    post_comment(client, post, body="My own words.")
    mine = Comment.objects.get(body="My own words.")
    signed = client.cookies["msblog_pending"].value
    tampered = signed.replace(str(mine.pk), str(theirs.pk), 1)
    assert tampered != signed
    intruder = Client()
    intruder.cookies["msblog_pending"] = tampered
    permalink = reverse("comments:permalink", args=[theirs.pk])
    assert intruder.get(permalink).status_code == 404
    for params in ({}, {"replytocom": theirs.pk}):
        html = intruder.get(post.get_absolute_url(), params).content.decode()
        assert "Their private words." not in html
    assert client.get(reverse("comments:permalink", args=[mine.pk])).status_code == 302
    assert "My own words." in client.get(post.get_absolute_url()).content.decode()


def test_checkbox_labels_end_without_a_colon(client, page_soup):
    """The label after the reply-notification checkbox reads as a sentence, no stray colon."""
    soup = page_soup(client.get(make_post().get_absolute_url()))
    label = soup.select_one("label[for=id_notify_replies]").get_text()
    assert label == "Email me when someone replies"


def test_replytocom_shows_the_comment_being_answered_above_the_form(client, page_soup):
    """Without JavaScript, ?replytocom= shows the replied-to comment's author, date and an
    escaped excerpt above the form, linked to the comment."""
    post = make_post()
    long_body = "<b>Escaped</b> first words of a long comment " + "and more words " * 40
    parent = make_comment(post, author_name="Heather <i>", body=long_body)
    soup = page_soup(client.get(f"{post.get_absolute_url()}?replytocom={parent.pk}"))
    context = soup.select_one("#respond #reply-context")
    assert context is not None
    assert context.find_next("form")["id"] == "commentform"  # above the form
    assert "Heather <i>" in context.select_one("figcaption").get_text()
    text = context.select_one("blockquote").get_text()
    assert text.startswith("<b>Escaped</b> first words") and text.rstrip().endswith("…")
    assert len(text) < len(long_body)
    assert context.find("b") is None and context.find("i") is None
    assert context.select_one("a")["href"] == f"/comments/{parent.pk}/"


def test_plain_form_has_no_reply_context(client, page_soup):
    """The form for a new top-level comment, and ?replytocom= of a hidden one, show none."""
    post = make_post()
    pending = make_comment(post, status="pending", body="Hidden words.")
    for url in (post.get_absolute_url(), f"{post.get_absolute_url()}?replytocom={pending.pk}"):
        soup = page_soup(client.get(url))
        assert soup.select_one("#reply-context") is None
