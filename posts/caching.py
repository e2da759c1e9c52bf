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
  falls; the first reader after it bumps the version (a write on a GET, once per event).
  Writers of posts call ``content_changed()`` again after writing (their transaction
  holds the row already), so that moment is read from what they wrote.
* Every ``migrate`` bumps it too, so a deploy never serves pages from the old code.
* The cache (Redis, or local memory) holds only pages under versions. If Redis loses a
  write, times out or is unreachable, the worst outcome is a miss; nothing it keeps or
  loses can make a page stale.
"""

import datetime
import hashlib
import hmac
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from msblog.prepared import PreparedQuery
from posts.models import ContentVersion, Post

ROW = 1  # the table's only row


@dataclass(frozen=True)
class Version:
    key: str
    changed_at: float  # a timestamp, for Last-Modified


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
        still_open = Post.objects.published().filter(
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
    rows = VERSION_ROW.rows()
    if not rows:  # nothing has changed since the row went missing
        return Version("none", 0.0)
    token, changed_at, next_change_at = rows[0]
    if next_change_at and next_change_at <= timezone.now():
        # The version we write, not a re-read: a lagging replica may still show the old.
        with transaction.atomic():
            return content_changed()
    return Version(token.hex, changed_at.timestamp())


def request_version(request) -> Version:
    """The version for this request, read once whatever asks for it."""
    version = getattr(request, "content_version", None)
    if version is None:
        version = request.content_version = current_version()
    return version


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


def placeholder(name: str) -> str:
    """A marker for per-request values in a cached page. Derived from SECRET_KEY, so every
    app server agrees on it and no commenter can type it."""
    digest = hmac.new(settings.SECRET_KEY.encode(), name.encode(), hashlib.sha256).hexdigest()
    return f"msblog-{name}-{digest[:24]}"
