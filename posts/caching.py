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
* The cache (Redis, or local memory) holds only pages under versions. If Redis loses a
  write, times out or is unreachable, the worst outcome is a miss; nothing it keeps or
  loses can make a page stale.
"""

import hashlib
import hmac
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from posts.models import ContentVersion

ROW = 1  # the table's only row


@dataclass(frozen=True)
class Version:
    key: str
    changed_at: float  # a timestamp, for Last-Modified


def content_changed() -> None:
    """Bump the content version; call first thing inside the writing transaction."""
    values = {"token": uuid.uuid4(), "changed_at": timezone.now()}
    if not ContentVersion.objects.filter(pk=ROW).update(**values):
        # The row is made by a migration; a flushed test database may lack it.
        ContentVersion.objects.update_or_create(pk=ROW, defaults=values)


def current_version() -> Version:
    row = ContentVersion.objects.filter(pk=ROW).values_list("token", "changed_at").first()
    if row is None:  # nothing has changed since the row went missing
        return Version("none", 0.0)
    return Version(row[0].hex, row[1].timestamp())


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
