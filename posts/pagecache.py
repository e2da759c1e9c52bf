"""Whole pages for readers who see what everyone sees, cached under the site's content
version (posts.caching), with ETag and Last-Modified so browsers revalidate for a 304.

A cached page keeps placeholders where the comment form needs per-reader values (its
CSRF token and signed timestamp); they are filled in on every response. Anyone logged
in, with a comment awaiting moderation or still in its edit window, a message waiting or
a session (a refused comment form kept for them), or the password of a protected post
gets a fresh page, marked private and never cached.

A page is keyed on its path and the query parameters it reads (``reads``: ``page`` for
lists, ``replytocom`` for a post), in one canonical form, and it is rendered from those
alone: ``?utm=1`` … ``?utm=100`` share one entry, and no parameter a page does not read
can find its way into a page kept for others (pagination links copy the query string).
Nothing else of the request goes into a cached page or its key: absolute URLs come from
SITE_URL, never from the Host header (msblog.siteurl).
"""

import hashlib
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, QueryDict
from django.middleware.csrf import get_token
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date, urlencode

from comments import remember
from comments.edit_window import COOKIE_NAME as EDIT_COOKIE
from comments.forms import form_timestamp
from comments.pending import COOKIE_NAME as PENDING_COOKIE
from posts.caching import caching_on, placeholder, request_version
from posts.protection import COOKIE_NAME as POSTPASS_COOKIE

CSRF_PLACEHOLDER = placeholder("csrf")
TIMESTAMP_PLACEHOLDER = placeholder("form-timestamp")
MESSAGES_COOKIE = "messages"
# Headers that belong to one response, not to the page kept for everyone.
PER_RESPONSE_HEADERS = {"set-cookie", "vary", "content-length", "etag", "last-modified"}


def is_public_reader(request) -> bool:
    """Whether this request sees exactly what every anonymous reader sees."""
    if request.method not in ("GET", "HEAD"):
        return False
    if PENDING_COOKIE in request.COOKIES or MESSAGES_COOKIE in request.COOKIES:
        return False
    if POSTPASS_COOKIE in request.COOKIES:  # may see protected posts: never shared
        return False
    if EDIT_COOKIE in request.COOKIES:
        return False  # the reader's own comments carry Edit and Delete links
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        return False  # staff, or a reader's refused comment form (comments.refused)
    return not request.user.is_authenticated


def canonical_query(request, reads) -> QueryDict:
    """The parameters in ``reads`` that the request carries, each once, numbers without
    leading zeros, in a fixed order: one spelling for each distinct page."""
    canonical = {}
    for name in sorted(reads):
        value = request.GET.get(name)
        if value is not None:
            number = value.isascii() and value.isdigit() and len(value) < 19
            canonical[name] = str(int(value)) if number else value
    return QueryDict(urlencode(canonical))


def serve_public_page(request, render, *, reads=()):
    """Answer with ``render(cacheable)``'s page, from the cache when the reader allows.

    ``render`` returns a response and may set ``response.form_post_id`` when the page
    carries the comment form, and ``response.page_cache_store = False`` when the page is
    to be served but not kept (it stands for no page of its own). ``reads`` names the
    query parameters the page reads; it is rendered without any other.
    """
    if not is_public_reader(request):
        response = render(False)
        patch_cache_control(response, private=True)
        return response
    version = request_version(request)  # read before the content: see posts.caching
    request.GET = canonical_query(request, reads)
    path = f"{request.path}?{request.GET.urlencode()}" if request.GET else request.path
    # The form comes filled for a browser that asked to be remembered: its copy differs.
    reader = remember.cache_key_part(request)
    digest = hashlib.sha256(f"{version.content_key}|{path}|{reader}".encode()).hexdigest()[:32]
    etag = f'W/"{digest}.{version.stamp}"'  # the stamp: see posts.caching.seen_newer
    last_modified = int(version.changed_at)
    not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if not_modified is not None:
        return with_validators(not_modified, etag, last_modified, private=True)
    key = f"page:{version.content_key}:{hashlib.sha256(path.encode()).hexdigest()}"
    kept = caching_on()
    entry = cache.get(key) if kept else None
    if entry is None:
        # A page nobody will share is drawn with this reader's values (no placeholders).
        response = render(kept)
        if response.status_code != 200 or response.streaming:
            return response
        if hasattr(response, "render"):
            response.render()
        entry = {
            "content": response.content,
            "headers": {
                name: value
                for name, value in response.items()
                if name.lower() not in PER_RESPONSE_HEADERS
            },
            "form_post_id": getattr(response, "form_post_id", None),
            "filled": not kept,
        }
        if kept and getattr(response, "page_cache_store", True):
            cache.set(key, entry, timeout=settings.PAGE_CACHE_SECONDS)
    response = HttpResponse(fill(request, entry))
    for name, value in entry["headers"].items():
        response[name] = value
    return with_validators(response, etag, last_modified, private=entry["form_post_id"] is not None)


def fill(request, entry) -> bytes:
    content = entry["content"]
    if entry["form_post_id"] is None or entry.get("filled"):
        return content
    content = content.replace(CSRF_PLACEHOLDER.encode(), get_token(request).encode())
    stamp = form_timestamp(entry["form_post_id"])
    content = content.replace(TIMESTAMP_PLACEHOLDER.encode(), stamp.encode())
    return remember.fill(request, content)


def with_validators(response, etag: str, last_modified: int, *, private: bool):
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    # Always revalidate (a 304 is cheap); a page carrying a reader's CSRF token is theirs
    # alone, while feeds and lists may sit in shared caches too.
    if private:
        patch_cache_control(response, private=True, no_cache=True)
    else:
        patch_cache_control(response, public=True, no_cache=True)
    return response


def public_page(view, *, reads=()):
    """Decorator for function views (feeds, lists) whose pages hold no form; ``reads``
    names the query parameters the view reads (``page``)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        return serve_public_page(
            request, lambda cacheable: view(request, *args, **kwargs), reads=reads
        )

    return wrapper
