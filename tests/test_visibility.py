"""One sweep of every public page, feed, sitemap and search for anything hidden."""

import datetime
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from comments.models import Comment
from posts.models import Post
from tests.factories import (
    comment_form_data,
    local_datetime,
    make_author,
    make_comment,
    make_post,
)

pytestmark = pytest.mark.django_db

# Words that exist only in hidden things; none may appear anywhere public.
SECRETS = {
    "draft": "Quixotic",
    "future": "Zeppelin",
    "pending": "Marmalade",
    "spam": "Pineapple",
    "removed": "Kerfuffle",
    "stand-in": "Gobbledygook",
    "on a draft": "Hullabaloo",
    "under spam": "Brouhaha",
}
PRIVATE = ["reader@example.org", "198.51.100.23"]


@pytest.fixture
def site():
    author = make_author("Visible Author")
    post = make_post(
        title="Visible post",
        author=author,
        tags=["MSBlog"],
        published_at=local_datetime(2014, 2, 8),
        body="<p>Everyone may read this.</p>",
    )
    make_post(
        title=f"{SECRETS['draft']} draft",
        author=author,
        status="draft",
        tags=["MSBlog", SECRETS["draft"]],
        published_at=local_datetime(2014, 2, 8, 14),
    )
    draft = make_post(status="draft", published_at=local_datetime(2014, 2, 8, 15))
    future_author = make_author(SECRETS["future"])
    make_post(
        title=f"{SECRETS['future']} post",
        author=future_author,
        tags=["MSBlog", SECRETS["future"]],
        published_at=timezone.now() + datetime.timedelta(days=3),
    )
    make_comment(post, body="Everyone may read this comment.")
    private = {"author_email": PRIVATE[0], "ip_address": PRIVATE[1]}
    make_comment(post, body="A public comment with private details.", **private)
    for status in ("pending", "spam", "removed"):
        make_comment(post, body=f"{SECRETS[status]} words.", status=status, **private)
    make_comment(post, body=f"{SECRETS['stand-in']}.", placeholder=True)
    make_comment(draft, body=f"{SECRETS['on a draft']}.")
    spam = make_comment(post, body="Spam parent.")
    make_comment(post, parent=spam, body=f"{SECRETS['under spam']}.")
    Comment.objects.filter(pk=spam.pk).update(status="spam")
    post.future_author = future_author
    return post


def public_urls(post):
    search = reverse("posts:search")
    yield from [
        reverse("posts:index"),
        reverse("posts:tag", args=["msblog"]),
        reverse("posts:archive-year", args=[2014]),
        reverse("posts:archive-month", args=[2014, 2]),
        reverse("posts:archive-day", args=[2014, 2, 8]),
        post.author.get_absolute_url(),
        post.get_absolute_url(),
        reverse("posts:feed"),
        reverse("posts:feed-atom"),
        reverse("posts:tag-feed", args=["msblog"]),
        reverse("posts:tag-feed-atom", args=["msblog"]),
        reverse("posts:comments-feed"),
        reverse("posts:comments-feed-atom"),
        post.get_comments_feed_url(),
        reverse("posts:post-comments-feed-atom", kwargs=post.permalink_kwargs()),
        reverse("sitemap"),
        reverse("robots-txt"),
        f"{search}?q=words",
        f"{search}?q=comment&scope=comments",
        f"{search}?q=read&scope=posts",
    ]
    for word in SECRETS.values():
        yield f"{search}?q={word.lower()}"


def test_nothing_hidden_or_private_appears_anywhere_public(site):
    """Drafts, scheduled posts, pending/spam/removed/stand-in comments, comments on drafts,
    replies hidden under spam, and commenters' emails and IPs are on no public page, feed,
    sitemap or search result."""
    client = Client()
    for url in public_urls(site):
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        if "?q=" in url:  # the page repeats the query itself
            text = text.replace(url.rsplit("q=", 1)[1].split("&")[0], "")
        for kind, word in SECRETS.items():
            assert word.lower() not in text.lower(), f"{kind} leaks into {url}"
        for detail in PRIVATE:
            assert detail not in text, f"{detail} leaks into {url}"
    assert "A public comment with private details." in client.get(site.get_absolute_url()).text


def test_hidden_things_have_no_page_or_feed(site):
    """Tags, authors and archives known only from hidden posts are 404s."""
    client = Client()
    future = timezone.localtime() + datetime.timedelta(days=3)
    urls = [
        reverse("posts:tag", args=[SECRETS["draft"].lower()]),
        reverse("posts:tag-feed", args=[SECRETS["draft"].lower()]),
        reverse("posts:tag", args=[SECRETS["future"].lower()]),
        site.future_author.get_absolute_url(),
        reverse("posts:archive-month", args=[future.year, future.month]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url


DATA = Path(__file__).resolve().parent / "data"
# Words only in a password-protected post or a private post (bodies, excerpt, comments).
LOCKED = {"protected body": "Quokka", "protected comment": "Narwhal"}
PRIVATE_WORDS = {"private title and body": "Axolotl", "private comment": "Pangolin"}


@pytest.fixture
def imported_protected():
    call_command("import_wxr", str(DATA / "wxr-protected.xml"), stdout=io.StringIO())
    protected = Post.objects.get(import_ref="https://ms-selfie.blog/?p=302")
    private = Post.objects.get(import_ref="https://ms-selfie.blog/?p=303")
    return protected, private


def test_protected_and_private_posts_never_reach_a_reader(imported_protected):
    """A protected post's body and comments, and everything of a private post, are on no
    list, archive, feed, sitemap, search, comment link or old link; the protected post
    is listed by title only."""
    protected, private = imported_protected
    narwhal = protected.comments.get()
    pangolin = private.comments.get()
    client = Client()
    search = reverse("posts:search")
    urls = [
        "/",
        "/2024/",
        "/2024/02/",
        "/2024/02/11/",
        "/tag/msblog/",
        "/category/clinicspeak/",
        protected.author.get_absolute_url(),
        "/feed/",
        "/feed/atom/",
        "/tag/msblog/feed/",
        "/comments/feed/",
        "/comments/feed/atom/",
        "/sitemap.xml",
        protected.get_absolute_url(),
        f"{protected.get_absolute_url()}?replytocom={narwhal.pk}",
        *(f"{search}?q={word.lower()}" for word in {**LOCKED, **PRIVATE_WORDS}.values()),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        if "?q=" in url:
            text = text.replace(url.rsplit("q=", 1)[1], "")
        for kind, word in {**LOCKED, **PRIVATE_WORDS}.items():
            assert word.lower() not in text.lower(), f"{kind} leaks into {url}"
    assert "Notes for the trial team" in client.get("/").content.decode()
    for url in [
        private.get_absolute_url(),
        reverse("posts:post-comments-feed", kwargs=protected.permalink_kwargs()),
        narwhal.get_absolute_url(),
        pangolin.get_absolute_url(),
        "/?p=303",
        "/tag/axolotl/",
    ]:
        assert client.get(url).status_code == 404, url


def test_a_protected_post_opens_with_its_password_for_that_reader_only(imported_protected):
    """WordPress's rule: the right password shows body and comments to that browser, in a
    response no shared cache keeps; a wrong one shows nothing."""
    protected, _ = imported_protected
    reader, stranger = Client(), Client()
    page = reader.get(protected.get_absolute_url()).content.decode()
    assert "This post is password protected" in page and 'type="password"' in page
    unlock = reverse("posts:unlock", args=[protected.pk])
    wrong = reader.post(unlock, {"password": "guess"})
    assert wrong.status_code == 403 and "Quokka" not in wrong.content.decode()
    right = reader.post(unlock, {"password": "trial-team-2024"})
    assert (right.status_code, right["Location"]) == (302, protected.get_absolute_url())
    opened = reader.get(protected.get_absolute_url())
    assert "Quokka protocol" in opened.content.decode()
    assert "Narwhal site is ready." in opened.content.decode()
    assert "private" in opened["Cache-Control"] and "public" not in opened["Cache-Control"]
    assert "Quokka" not in stranger.get(protected.get_absolute_url()).content.decode()


def test_commenting_on_a_protected_post_needs_its_password(imported_protected):
    """The comment form of a locked post refuses a reader who has not given the password."""
    protected, _ = imported_protected
    count = protected.comments.count()
    response = Client().post(
        reverse("comments:create", args=[protected.pk]), comment_form_data(protected)
    )
    assert response.status_code == 403
    assert protected.comments.count() == count


def test_staff_who_edit_posts_see_a_private_post(imported_protected, admin_client):
    """A private post is for the blog team, as in WordPress."""
    _, private = imported_protected
    response = admin_client.get(private.get_absolute_url())
    assert response.status_code == 200 and "Axolotl words" in response.content.decode()
