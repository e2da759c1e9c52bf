"""Caching that is never stale: cached pages and threads are keyed by the site's content
version, which every change bumps in the database, inside the change's own transaction.

* ``content_changed()`` is called by every write path that changes what readers see
  (comment services, bulk inserts, the admin, importers). It is the *first* thing their
  transaction does: it takes the version row's lock, so two writers never wait on each
  other in opposite orders, and bumps it. The new version becomes visible at the commit,
  together with the change.
* A reader reads the version (one indexed query) *before* the content, and stores what it
  rendered under the version it read. A page rendered from data older than a commit can
  therefore only be stored under a version that the commit retired.
* Some pages change with the clock alone: a scheduled post goes public, comments close
  COMMENTS_CLOSE_AFTER_DAYS after a post. Each bump records when the next such moment
  falls; the first reader after it bumps the version (a write on a GET, once per event,
  checked on the primary under the row's lock, whatever a lagging replica still shows).
  Writers of posts call ``content_changed()`` again after writing (their transaction
  holds the row already), so that moment is read from what they wrote.
* Every ``migrate`` bumps it too, so a deploy never serves pages from the old code.
* With a read replica, a reader whose ETag or Last-Modified names a newer version than
  the replica's (they were served by the primary) is served from the primary, so nobody
  is sent back in time.
* The cache (Redis, or local memory) holds only pages under versions. If Redis loses a
  write, times out or is unreachable, the worst outcome is a miss; nothing it keeps or
  loses can make a page stale.
"""

import datetime
import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.http import parse_http_date_safe

from msblog import routers
from msblog.prepared import PreparedQuery
from posts.models import ContentVersion, Post

ROW = 1  # the table's only row


@dataclass(frozen=True)
class Version:
    key: str
    changed_at: float  # a timestamp, for Last-Modified

    @property
    def content_key(self) -> str:
        """What content drawn under this version is cached and tagged by: with the site's
        language, so a deployment that changes LANGUAGE_CODE never serves a page drawn in
        the other (from Redis, or to a browser revalidating its copy)."""
        return f"{self.key}.{settings.LANGUAGE_CODE}"

    @property
    def stamp(self) -> int:
        """When it changed, in milliseconds: ETags carry it, so a newer one is known."""
        return int(self.changed_at * 1000)


def content_changed() -> Version:
    """Bump the content version; call first thing inside the writing transaction."""
    now = timezone.now()
    values = {"token": uuid.uuid4(), "changed_at": now, "next_change_at": next_timed_change(now)}
    if not ContentVersion.objects.filter(pk=ROW).update(**values):
        # The row is made by a migration; a flushed test database may lack it.
        ContentVersion.objects.update_or_create(pk=ROW, defaults=values)
    return Version(values["token"].hex, now.timestamp())


def next_timed_change(now: datetime.datetime) -> datetime.datetime | None:
    """The next moment the clock alone changes a public page."""
    moments = [Post.objects.scheduled().aggregate(at=Min("published_at"))["at"]]
    days = settings.COMMENTS_CLOSE_AFTER_DAYS
    if days:
        window = datetime.timedelta(days=days)
        still_open = Post.objects.visible().filter(
            comments_open=True, published_at__gt=now - window
        )
        oldest = still_open.aggregate(at=Min("published_at"))["at"]
        moments.append(oldest + window if oldest else None)
    return min((moment for moment in moments if moment), default=None)


# Read before anything else on every request, cached page or not: its SQL is compiled
# once per connection (msblog.prepared), so the read costs what the database takes.
VERSION_ROW = PreparedQuery(
    ContentVersion,
    lambda: ContentVersion.objects.filter(pk=ROW).values_list(
        "token", "changed_at", "next_change_at"
    ),
)


def current_version() -> Version:
    rows = VERSION_ROW.rows()  # the hot read: SQL compiled once (msblog.prepared)
    if not rows:  # nothing has changed since the row went missing
        return Version("none", 0.0)
    if falls_due(rows[0]):
        return clock_changed()
    return version_of(rows[0])


def version_row(manager):
    return manager.filter(pk=ROW).values_list("token", "changed_at", "next_change_at").first()


def falls_due(row) -> bool:
    next_change_at = row[2]
    return next_change_at is not None and next_change_at <= timezone.now()


def version_of(row) -> Version:
    return Version(row[0].hex, row[1].timestamp())


def clock_changed() -> Version:
    """A scheduled post or a closing time has fallen due: the first request to see it
    bumps the version, once, on the primary; every other request gets that version.
    Checked again on the primary (a lagging replica shows the moment due until it replays
    the bump), then under the row's lock (requests racing each other)."""
    routers.read_from_primary()  # the version it returns is the primary's, and so the page
    row = version_row(ContentVersion.objects)
    if row is not None and not falls_due(row):
        return version_of(row)
    with routers.writes_not_the_readers(), transaction.atomic():
        row = version_row(ContentVersion.objects.select_for_update())
        if row is None or falls_due(row):
            return content_changed()
        return version_of(row)


def request_version(request) -> Version:
    """The version for this request, read once whatever asks for it. A reader whose
    validators show a newer version than the replica's (served by the primary before)
    reads from the primary: a reader never goes back in time."""
    version = getattr(request, "content_version", None)
    if version is None:
        version = current_version()
        if routers.reading_replica() and seen_newer(request, version):
            routers.read_from_primary()
            version = current_version()
        request.content_version = version
    return version


ETAG_STAMP = re.compile(r'\.(\d+)"')


def seen_newer(request, version: Version) -> bool:
    """Whether this request's validators name a version newer than ``version``: ETags
    carry their version's stamp (posts.pagecache), Last-Modified its second."""
    stamps = ETAG_STAMP.findall(request.headers.get("If-None-Match", ""))
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    return any(int(stamp) > version.stamp for stamp in stamps) or (
        since is not None and since > int(version.changed_at)
    )


def caching_on() -> bool:
    return settings.PAGE_CACHE_SECONDS > 0


def cached_fragment(key: str, render):
    """The cached value under ``key``, or ``render()``'s result, stored for next time."""
    if not caching_on():
        return render()
    value = cache.get(key)
    if value is None:
        value = render()
        cache.set(key, value, timeout=settings.PAGE_CACHE_SECONDS)
    return value


# Keys of rendered content: whole pages (posts.pagecache), threads (comments.selectors) and
# the sidebar (posts.templatetags), which names recent commenters.
CONTENT_KEY_PREFIXES = ("page:", "thread:", "sidebar:")


def forget_cached_content() -> None:
    """Delete every cached page and thread, under the current version and retired ones.

    Retired versions are unreachable but linger until PAGE_CACHE_SECONDS pass; after an
    erasure they must not keep a copy of a name. Redis deletes them by key pattern (a
    SCAN: fine for a rare event). Local memory belongs to one process, so only this
    process's copies can be reached, and emptying it is the only way to reach them.
    """
    delete_pattern = getattr(cache, "delete_pattern", None)
    if delete_pattern is None:
        cache.clear()
        return
    for prefix in CONTENT_KEY_PREFIXES:
        delete_pattern(f"{prefix}*")


def placeholder(name: str) -> str:
    """A marker for per-request values in a cached page. Derived from SECRET_KEY, so every
    app server agrees on it and no commenter can type it."""
    digest = hmac.new(settings.SECRET_KEY.encode(), name.encode(), hashlib.sha256).hexdigest()
    return f"msblog-{name}-{digest[:24]}"
