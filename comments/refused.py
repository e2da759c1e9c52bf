"""A refused comment form, kept between the POST that refused it and the GET that shows it
again (Post/Redirect/Get), so reloading that page never sends the comment twice.

The form's values (up to COMMENTS_MAX_LENGTH characters of text, too big for a cookie),
its errors and the refusal's HTTP status live in Django's session: a database row, read
through Redis when REDIS_URL is set, so any app server can answer the GET. A reader's
session lasts only as long as the form is kept (KEEP_SECONDS) and is deleted once the
comment is posted. Pages drawn from it belong to that reader alone: the page cache
treats a session cookie like the pending-comment cookie (posts.pagecache).

A database failure (HTTP 503) cannot use the database to keep the text, so that answer
is rendered directly instead (comments.views.try_again).
"""

import time

from django.conf import settings

from comments.forms import CommentForm

SESSION_KEY = "comments.refused"
# How long a refused form waits for its reader: long enough to come back to it after a
# break, as long as a form's own timestamp is valid (COMMENTS_FORM_MAX_AGE).
KEEP_SECONDS = settings.COMMENTS_FORM_MAX_AGE
KEPT_FIELDS = (
    "author_name",
    "author_email",
    "author_url",
    "body",
    "notify_replies",
    "follow",
    "remember",
    "parent",
)
MAX_KEPT = 5  # forms on different posts, most recent kept


def keep(request, post, form: CommentForm, *, status: int) -> None:
    """Remember the refused ``form`` for ``post`` and the status its page answers with."""
    kept = {
        key: value
        for key, value in request.session.get(SESSION_KEY, {}).items()
        if key != str(post.pk)
    }
    data = {name: form.data.get(name, "") for name in KEPT_FIELDS if name in form.data}
    kept[str(post.pk)] = {
        "data": data,
        "errors": {
            field: [{"message": str(e["message"]), "code": e["code"]} for e in errors]
            for field, errors in form.errors.get_json_data().items()
        },
        "status": status,
        "at": time.time(),
    }
    request.session[SESSION_KEY] = dict(list(kept.items())[-MAX_KEPT:])
    if not request.user.is_authenticated:
        # A reader's session exists only for this: it ends when the form is no longer kept.
        request.session.set_expiry(KEEP_SECONDS)


def restore(request, post) -> CommentForm | None:
    """The refused form kept for ``post`` (with ``refusal_status``), or None."""
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return None  # no session: nothing to read
    entry = request.session.get(SESSION_KEY, {}).get(str(post.pk))
    if entry is None or time.time() - entry["at"] > KEEP_SECONDS:
        return None
    data = entry["data"]
    if "replytocom" in request.GET:
        # "Cancel reply" (?replytocom=0) or another comment's Reply link, without
        # JavaScript: the kept text goes with the reader.
        value = request.GET["replytocom"]
        data = {**data, "parent": value if value.isdigit() and value != "0" else ""}
    form = CommentForm.restored(post=post, data=data, errors=entry["errors"])
    form.refusal_status = entry["status"]
    return form


def discard(request, post) -> None:
    """Forget the form kept for ``post`` (its comment was posted)."""
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return
    kept = request.session.get(SESSION_KEY)
    if not kept or str(post.pk) not in kept:
        return
    del kept[str(post.pk)]
    if kept:
        request.session[SESSION_KEY] = kept
    elif request.user.is_authenticated:
        del request.session[SESSION_KEY]
    else:
        request.session.flush()  # the session held nothing else: delete it and its cookie
