"""Remember me: WordPress's opt-in "Save my name, email, and website in this browser for
the next time I comment".

Ticked, a successful comment stores the three values in a signed, HttpOnly cookie kept
for a year (as WordPress's comment_author cookies); posting with the box unticked deletes
it. Pages are the same for everyone, so the form is filled per response: a page kept in
the shared cache holds placeholders where the values go (form_with_placeholders), which
``fill`` replaces for each reader, as the CSRF token is (posts.pagecache); a page
rendered for one reader only gets the values directly (prefill). Filling on the server
works the same with JavaScript on or off.
"""

import hashlib
import json
from html import escape

from django.conf import settings

from posts.caching import placeholder

COOKIE_NAME = "msblog_commenter"
SALT = "comments.remember"
MAX_AGE = 347 * 24 * 60 * 60  # WordPress keeps its comment cookies 30,000,000 seconds
FIELDS = {"author_name": "name", "author_email": "email", "author_url": "url"}
PLACEHOLDERS = {field: placeholder(f"commenter-{key}") for field, key in FIELDS.items()}
CHECKED_PLACEHOLDER = placeholder("commenter-remember")


def remembered(request) -> dict:
    """{"name", "email", "url"} this browser asked to keep, or {} (also for a bad cookie)."""
    value = request.get_signed_cookie(COOKIE_NAME, default="", salt=SALT, max_age=MAX_AGE)
    try:
        data = json.loads(value) if value else {}
    except ValueError:
        return {}
    if not isinstance(data, dict) or not data:
        return {}
    return {key: str(data.get(key, "")) for key in FIELDS.values()}


def remember(response, *, name: str, email: str, url: str) -> None:
    response.set_signed_cookie(
        COOKIE_NAME,
        json.dumps({"name": name, "email": email, "url": url}),
        salt=SALT,
        max_age=MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def forget(request, response) -> None:
    if COOKIE_NAME in request.COOKIES:
        response.delete_cookie(COOKIE_NAME, samesite="Lax")


def after_comment(request, response, form) -> None:
    """Keep or forget the commenter's details, as the posted form's checkbox says."""
    data = form.cleaned_data
    if data.get("remember"):
        remember(
            response,
            name=data.get("author_name", ""),
            email=data.get("author_email", ""),
            url=data.get("author_url", ""),
        )
    else:
        forget(request, response)


def prefill(request, form) -> None:
    """Fill an empty form with what this browser remembers (a page for this reader only)."""
    values = remembered(request)
    if form.is_bound or not values:
        return
    form.initial.update({field: values[key] for field, key in FIELDS.items()})
    form.initial["remember"] = True


def form_with_placeholders(form) -> None:
    """Put placeholders in an empty form whose page is cached for everyone."""
    if form.is_bound:
        return
    form.initial.update(PLACEHOLDERS)
    form.fields["remember"].widget.attrs[CHECKED_PLACEHOLDER] = True


def fill(request, content: bytes) -> bytes:
    """Replace the placeholders of a cached page with this reader's values (or nothing)."""
    values = remembered(request)
    for field, key in FIELDS.items():
        value = escape(values.get(key, ""), quote=True)
        content = content.replace(PLACEHOLDERS[field].encode(), value.encode())
    marker = f" {CHECKED_PLACEHOLDER}".encode()  # Django writes a true attribute as " name"
    return content.replace(marker, b" checked" if values else b"")


def cache_key_part(request) -> str:
    """Differs between browsers that remember different details (for the page's ETag)."""
    cookie = request.COOKIES.get(COOKIE_NAME, "")
    return hashlib.sha256(cookie.encode()).hexdigest()[:16] if cookie else ""
