"""Whole pages for readers who see what everyone sees, cached under the site's content
version (posts.caching), with ETag and Last-Modified so browsers revalidate for a 304.

A cached page keeps placeholders where the comment form needs per-reader values (its
CSRF token and signed timestamp); they are filled in on every response. Anyone logged
in, with a comment awaiting moderation, or with a message waiting gets a fresh page,
marked private and never cached.
"""

import hashlib
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date

from comments.forms import form_timestamp
from comments.pending import COOKIE_NAME as PENDING_COOKIE
from posts.caching import caching_on, placeholder, request_version

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
    return not request.user.is_authenticated


def serve_public_page(request, render):
    """Answer with ``render(cacheable)``'s page, from the cache when the reader allows.

    ``render`` returns a response and may set ``response.form_post_id`` when the page
    carries the comment form.
    """
    if not is_public_reader(request):
        response = render(False)
        patch_cache_control(response, private=True)
        return response
    version = request_version(request)  # read before the content: see posts.caching
    path = request.get_full_path()
    etag = f'W/"{hashlib.sha256(f"{version.key}|{path}".encode()).hexdigest()[:32]}"'
    last_modified = int(version.changed_at)
    not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if not_modified is not None:
        return with_validators(not_modified, etag, last_modified, private=True)
    key = f"page:{version.key}:{hashlib.sha256(path.encode()).hexdigest()}"
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
        if kept:
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
    return content.replace(TIMESTAMP_PLACEHOLDER.encode(), stamp.encode())


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


def public_page(view):
    """Decorator for function views (feeds, lists) whose pages hold no form."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        return serve_public_page(request, lambda cacheable: view(request, *args, **kwargs))

    return wrapper
