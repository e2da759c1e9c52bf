"""Posting comments and replies through the public form, through to moderation."""

import pytest
from django.test import Client
from django.urls import reverse

from comments import services
from comments.models import Comment
from tests.factories import comment_form_data, make_comment, make_post, make_staff

pytestmark = pytest.mark.django_db


def post_comment(client, post, **data):
    return client.post(reverse("comments:create", args=[post.pk]), comment_form_data(post, **data))


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
