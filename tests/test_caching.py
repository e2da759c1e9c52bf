"""Cached pages are never stale: every change shows on the next anonymous GET."""

import re

import httpx
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from comments import services
from comments.models import Comment
from posts.models import Post
from tests import servers
from tests.factories import comment_form_data, make_comment, make_post, make_staff

pytestmark = pytest.mark.django_db


def page(post) -> str:
    return Client().get(post.get_absolute_url()).content.decode()


@pytest.fixture
def cached_post():
    """A post whose page is in the cache, with one approved and one pending comment."""
    post = make_post(title="Cached post")
    shown = make_comment(post, body="Shown words.")
    waiting = make_comment(post, body="Waiting words.", status="pending")
    assert "Shown words." in page(post)
    return post, shown, waiting


def test_approving_shows_at_once(cached_post):
    """Approve a comment and the next anonymous GET shows it."""
    post, _, waiting = cached_post
    services.comment_set_status(comment=waiting, status="approved")
    assert "Waiting words." in page(post)


def test_editing_shows_at_once(cached_post):
    """Edit a comment and the next anonymous GET shows the new text."""
    post, shown, _ = cached_post
    services.comment_edit(comment=shown, body="Edited words.", actor=make_staff())
    html = page(post)
    assert "Edited words." in html and "Shown words." not in html


def test_removing_hides_at_once(cached_post):
    """Remove a comment and the next anonymous GET no longer shows it."""
    post, shown, _ = cached_post
    services.comment_set_status(comment=shown, status="removed")
    assert "Shown words." not in page(post)


def test_editing_the_post_shows_at_once(cached_post, client):
    """A post edited in the admin shows its new title on the next anonymous GET."""
    post, _, _ = cached_post
    client.force_login(make_staff("editor", superuser=True))
    url = reverse("admin:posts_post_change", args=[post.pk])
    data = {
        "title": "Renamed post",
        "slug": post.slug,
        "author": post.author_id,
        "lede": "",
        "body": post.body,
        "coi": "",
        "postscript": "",
        "tags": "",
        "status": "published",
        "published_at_0": post.published_at.strftime("%Y-%m-%d"),
        "published_at_1": post.published_at.strftime("%H:%M:%S"),
        "comments_open": "on",
        "related_entries-TOTAL_FORMS": 0,
        "related_entries-INITIAL_FORMS": 0,
        "original_urls-TOTAL_FORMS": 0,
        "original_urls-INITIAL_FORMS": 0,
    }
    assert client.post(url, data).status_code == 302
    assert "Renamed post" in page(Post.objects.get(pk=post.pk))


def test_a_change_on_one_post_reaches_other_pages(cached_post):
    """The sidebar's recent comments on another cached page show a new approval too."""
    _post, _, waiting = cached_post
    other = make_post(title="Another post")
    assert "Waiting words" not in page(other)
    services.comment_set_status(comment=waiting, status="approved")
    assert "Waiting words" in page(other)


def test_reader_with_a_pending_comment_still_sees_it(cached_post):
    """The page is cached for everyone else, but its author sees their pending comment."""
    post, _, _ = cached_post
    author = Client()
    author.post(reverse("comments:create", args=[post.pk]), comment_form_data(post, body="Mine."))
    assert "Mine." in author.get(post.get_absolute_url()).content.decode()
    assert "Mine." not in page(post)


def test_cached_page_gives_each_reader_a_working_form(cached_post):
    """Two readers of one cached page get their own CSRF tokens, and both can post."""
    post, _, _ = cached_post
    tokens = []
    for n in range(2):
        reader = Client(enforce_csrf_checks=True)
        html = reader.get(post.get_absolute_url()).content.decode()
        assert "msblog-csrf-" not in html and "msblog-form-timestamp-" not in html
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]
        tokens.append(token)
        data = comment_form_data(post, body=f"Posted from a cached page {n}.")
        data["csrfmiddlewaretoken"] = token
        assert reader.post(reverse("comments:create", args=[post.pk]), data).status_code == 302
    assert tokens[0] != tokens[1]
    assert Comment.objects.filter(body__startswith="Posted from a cached page").count() == 2


def test_conditional_get_answers_304_until_something_changes(cached_post):
    """ETag and Last-Modified let a browser revalidate: 304, then 200 after a change."""
    post, _, waiting = cached_post
    client = Client()
    first = client.get(post.get_absolute_url())
    etag, modified = first["ETag"], first["Last-Modified"]
    assert "no-cache" in first["Cache-Control"] and "private" in first["Cache-Control"]
    again = client.get(post.get_absolute_url(), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag
    since = client.get(post.get_absolute_url(), HTTP_IF_MODIFIED_SINCE=modified)
    assert since.status_code == 304
    services.comment_set_status(comment=waiting, status="approved")
    changed = client.get(post.get_absolute_url(), HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert "Waiting words." in changed.content.decode()


def test_feeds_answer_conditional_gets_and_change(cached_post):
    """The comments feed revalidates with 304 and carries a new comment after approval."""
    _, _, waiting = cached_post
    client = Client()
    url = reverse("posts:comments-feed")
    first = client.get(url)
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    services.comment_set_status(comment=waiting, status="approved")
    assert "Waiting words." in client.get(url).content.decode()


def test_logged_in_staff_never_get_a_cached_page(cached_post, client):
    """Staff pages are rendered fresh and marked private, never from the shared cache."""
    post, _, _ = cached_post
    client.force_login(make_staff("editor", superuser=True))
    response = client.get(post.get_absolute_url())
    assert "ETag" not in response and "private" in response["Cache-Control"]


# Two app servers, one database, one Redis.


class Browser:
    """Just enough of a browser: cookies, GET and form POSTs, no redirects followed."""

    def __init__(self):
        self.http = httpx.Client(timeout=120, follow_redirects=False)

    def get(self, url) -> str:
        return self.http.get(url).text

    def post(self, url, data: dict, referer: str) -> int:
        return self.http.post(url, data=data, headers={"Referer": referer}).status_code


def form_value(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]+)"', html)[1]


@pytest.mark.django_db(transaction=True)
def test_two_app_servers_sharing_redis_never_serve_a_stale_page(settings, tmp_path):
    """Post through one server, approve through the other's admin: both show it at once."""
    # The servers check passwords with the real hasher, not the tests' fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    post = make_post(title="Shared post")
    make_comment(post, body="Already here.")
    moderator = make_staff("mod", superuser=True)
    moderator.set_password("two-Servers-pass-7")
    moderator.save()
    with (
        servers.redis_server(tmp_path) as (redis_url, _),
        servers.gunicorn(tmp_path, REDIS_URL=redis_url, COMMENTS_MIN_SUBMIT_SECONDS="0") as (
            one,
            _,
        ),
        servers.gunicorn(tmp_path, REDIS_URL=redis_url, COMMENTS_MIN_SUBMIT_SECONDS="0") as (
            two,
            _,
        ),
    ):
        path = post.get_absolute_url()
        for server in (one, two):  # both pages cached, in the shared Redis
            assert "Already here." in Browser().get(f"{server}{path}")

        reader = Browser()
        html = reader.get(f"{one}{path}")
        form = comment_form_data(post, body="Through server one.")
        form.update(
            csrfmiddlewaretoken=form_value(html, "csrfmiddlewaretoken"), ts=form_value(html, "ts")
        )
        status = reader.post(f"{one}{reverse('comments:create', args=[post.pk])}", form, one)
        assert status == 302
        comment = Comment.objects.get(body="Through server one.")

        admin = Browser()
        login = admin.get(f"{two}/admin/login/")
        admin.post(
            f"{two}/admin/login/",
            {
                "csrfmiddlewaretoken": form_value(login, "csrfmiddlewaretoken"),
                "username": "mod",
                "password": "two-Servers-pass-7",
            },
            f"{two}/admin/login/",
        )
        queue = admin.get(f"{two}/admin/comments/comment/")
        approve = reverse("admin:comments_comment_moderate", args=[comment.pk, "approve"])
        token = form_value(queue, "csrfmiddlewaretoken")
        assert admin.post(f"{two}{approve}", {"csrfmiddlewaretoken": token}, two) == 302

        for server in (one, two):
            assert "Through server one." in Browser().get(f"{server}{path}")


def test_a_cache_that_drops_writes_cannot_make_a_page_stale(cached_post, monkeypatch):
    """If the cache silently loses every write during an approval (Redis timing out), the
    next GET still shows the change: versions live in the database, not the cache."""
    from django.core.cache import cache

    post, _, waiting = cached_post
    with monkeypatch.context() as patched:
        for name in ("set", "set_many", "add", "delete", "delete_many"):
            patched.setattr(cache, name, lambda *args, **kwargs: None)
        services.comment_set_status(comment=waiting, status="approved")
    assert "Waiting words." in page(post)


def test_a_restored_database_never_reuses_a_version(cached_post):
    """Versions are random tokens: rolling the row back cannot revive old cached pages."""
    from posts.models import ContentVersion

    post, _, waiting = cached_post
    before = ContentVersion.objects.get()
    services.comment_set_status(comment=waiting, status="approved")
    assert "Waiting words." in page(post)
    ContentVersion.objects.filter(pk=before.pk).update(token=before.token)  # "restore"
    services.comment_set_status(comment=waiting, status="removed")
    assert "Waiting words." not in page(post)


def test_page_cache_seconds_zero_turns_caching_off(cached_post, settings):
    """With PAGE_CACHE_SECONDS=0 every page is rendered afresh, yet still revalidates."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    post, _, _ = cached_post
    settings.PAGE_CACHE_SECONDS = 0
    client = Client()
    with CaptureQueriesContext(connection) as queries:
        first = client.get(post.get_absolute_url())
    assert len(queries) > 1  # rendered, not served from the cache
    assert client.get(post.get_absolute_url(), HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_a_scheduled_post_appears_when_its_time_comes(client):
    """A post scheduled in the admin shows on the cached home page at its time, unprompted."""
    import datetime

    import time_machine
    from django.utils import timezone

    make_post(title="Already out")
    later = timezone.localtime() + datetime.timedelta(hours=2)
    client.force_login(make_staff("editor", superuser=True))
    response = client.post(
        reverse("admin:posts_post_add"),
        {
            "title": "Scheduled post",
            "slug": "scheduled-post",
            "author": Post.objects.get().author_id,
            "body": "<p>Later.</p>",
            "status": "published",
            "published_at_0": later.strftime("%Y-%m-%d"),
            "published_at_1": later.strftime("%H:%M:%S"),
            "comments_open": "on",
            "related_entries-TOTAL_FORMS": 0,
            "related_entries-INITIAL_FORMS": 0,
            "original_urls-TOTAL_FORMS": 0,
            "original_urls-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302
    assert "Scheduled post" not in Client().get("/").content.decode()  # cached now
    with time_machine.travel(later + datetime.timedelta(minutes=1)):
        assert "Scheduled post" in Client().get("/").content.decode()


def test_comments_close_on_time_on_a_cached_page(settings):
    """With COMMENTS_CLOSE_AFTER_DAYS, a cached page drops its form when the post closes."""
    import datetime

    import time_machine
    from django.utils import timezone

    settings.COMMENTS_CLOSE_AFTER_DAYS = 14
    closes = timezone.now() + datetime.timedelta(hours=1)
    post = make_post(published_at=closes - datetime.timedelta(days=14))
    services.comment_create(post=post, body="Hello.", user=make_staff())  # a change
    assert 'id="commentform"' in page(post)
    # Well within the cache's lifetime, so only the version can retire the page.
    with time_machine.travel(closes + datetime.timedelta(minutes=5)):
        html = page(post)
    assert 'id="commentform"' not in html and "Comments close 14 days" in html


def test_migrate_retires_cached_pages(cached_post):
    """A deploy's migrate makes the next GET render with the new code, not the cache."""
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    post, _, _ = cached_post
    call_command("migrate", verbosity=0)
    with CaptureQueriesContext(connection) as queries:
        Client().get(post.get_absolute_url())
    assert len(queries) > 1  # rendered afresh


# Second paths to rules that had one test each (issue 18).


def test_an_edit_in_the_admin_shows_at_once_on_page_and_feed(cached_post, client):
    """A moderator's edit on the admin change page (not the service called directly)
    retires the cached post page and the cached comment feed."""
    post, shown, _ = cached_post
    feed = reverse("posts:comments-feed")
    assert "Shown words." in Client().get(feed).content.decode()  # cached too
    client.force_login(make_staff("editor", superuser=True))
    change = reverse("admin:comments_comment_change", args=[shown.pk])
    data = {"body": "Edited in the admin.", "events-TOTAL_FORMS": 0, "events-INITIAL_FORMS": 0}
    assert client.post(change, data).status_code == 302
    for html in (page(post), Client().get(feed).content.decode()):
        assert "Edited in the admin." in html and "Shown words." not in html


def test_staff_never_get_a_cached_list_page_or_feed(cached_post, client):
    """Home page and feed: staff get them rendered afresh and private, even while the
    cache holds a copy that anonymous readers are served."""
    post, _, _ = cached_post
    urls = (reverse("posts:index"), reverse("posts:feed"))
    for url in urls:
        assert "Cached post" in Client().get(url).content.decode()  # now cached
    # A change the cache is not told of: only a freshly rendered page shows it.
    Post.objects.filter(pk=post.pk).update(title="Renamed quietly")
    client.force_login(make_staff("editor", superuser=True))
    for url in urls:
        anonymous = Client().get(url)
        assert "Cached post" in anonymous.content.decode()
        response = client.get(url)
        assert "Renamed quietly" in response.content.decode(), url
        assert "private" in response["Cache-Control"] and "ETag" not in response


def test_feed_and_list_etags_carry_the_version(cached_post):
    """The per-post comment feed and the home page revalidate with 304 until a change,
    then answer 200 with a new ETag; two addresses never share one."""
    post, _, waiting = cached_post
    client = Client()
    urls = (post.get_comments_feed_url(), reverse("posts:index"))
    etags = {url: client.get(url)["ETag"] for url in urls}
    assert len(set(etags.values())) == 2
    for url, etag in etags.items():
        assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    services.comment_set_status(comment=waiting, status="approved")
    for url, etag in etags.items():
        changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
        assert changed.status_code == 200 and changed["ETag"] != etag, url
        assert "Waiting words" in changed.content.decode()


@pytest.mark.django_db(transaction=True)
def test_readers_arriving_together_when_a_moment_falls_due_bump_once(monkeypatch):
    """Five readers arriving at once after a scheduled moment has passed bump the content
    version once between them, and all get that one version."""
    import datetime
    import threading

    from django.utils import timezone

    from posts import caching
    from posts.models import ContentVersion

    make_post(title="Already out")
    caching.content_changed()
    ContentVersion.objects.update(next_change_at=timezone.now() - datetime.timedelta(seconds=1))
    readers = 5
    together = threading.Barrier(readers, timeout=60)
    waited = threading.local()
    real_now = timezone.now

    def now_after_everyone_has_read():
        # Each reader's first look at the clock comes after it read the version row.
        if threading.current_thread().name.startswith("reader") and not getattr(
            waited, "done", False
        ):
            waited.done = True
            together.wait()
        return real_now()

    bumps = []
    real_bump = caching.content_changed

    def counted_bump():
        bumps.append(1)
        return real_bump()

    monkeypatch.setattr(caching.timezone, "now", now_after_everyone_has_read)
    monkeypatch.setattr(caching, "content_changed", counted_bump)
    versions, errors = [], []

    def read():
        try:
            versions.append(caching.current_version().key)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=read, name=f"reader-{n}") for n in range(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(bumps) == 1
    assert len(set(versions)) == 1
    assert ContentVersion.objects.get().token.hex == versions[0]


# What a cached page is keyed on: only the query parameters the page reads.


def stored_pages() -> int:
    """Whole pages in the (local-memory) cache."""
    from django.core.cache import cache

    return sum(":page:" in key for key in cache._cache)


def test_unread_query_parameters_share_one_cached_page(cached_post):
    """100 requests with ?utm=N store one copy of the page, not 101."""
    post, _, _ = cached_post
    before = stored_pages()
    for n in range(100):
        response = Client().get(f"{post.get_absolute_url()}?utm={n}&fbclid=x{n}")
        assert response.status_code == 200 and "Shown words." in response.content.decode()
    assert stored_pages() == before


def test_unread_parameters_never_reach_a_cached_page(client):
    """A list page first requested with ?page=2&utm=… is stored without the utm: its
    paging links never carry another reader's parameters."""
    for n in range(12):
        make_post(title=f"Paged {n}")
    poisoned = client.get("/?page=2&utm=evil&page=2")
    assert poisoned.status_code == 200
    for response in (poisoned, Client().get("/?page=2"), Client().get("/?page=02")):
        html = response.content.decode()
        assert "evil" not in html and 'href="?page=1"' in html
    assert stored_pages() == 1


def test_reply_links_are_cached_per_comment_and_bogus_ones_not_at_all(cached_post):
    """?replytocom= is read: each public comment's reply form is its own page; an id that
    names no public comment on the post is served but never stored."""
    post, shown, waiting = cached_post
    url = post.get_absolute_url()
    for _ in range(2):
        reply = Client().get(f"{url}?replytocom={shown.pk}&utm=1").content.decode()
        assert f'name="parent" value="{shown.pk}"' in reply
    assert stored_pages() == 2
    for bogus in (waiting.pk, 999_999, "x"):
        page = Client().get(f"{url}?replytocom={bogus}").content.decode()
        assert 'name="parent"' in page and f'value="{bogus}"' not in page
    assert stored_pages() == 2
