import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from comments import (
    edit_window,
    flood,
    following_views,
    notifications,
    refused,
    remember,
    services,
    trust,
)
from comments.forms import AuthorEditForm, CommentForm, KeptCommentForm
from comments.models import Comment
from comments.pending import pending_ids, remember_pending
from comments.selectors import discussion_for, page_number_of
from msblog.errors import DATABASE_DOWN, RETRY_AFTER_SECONDS, service_unavailable
from msblog.routers import read_primary
from posts.models import Post
from posts.protection import can_read

logger = logging.getLogger(__name__)

FLOOD_MESSAGE = _(
    "You are posting comments faster than this blog accepts. Nothing was saved; please "
    "wait a minute and post your comment again."
)
TRY_AGAIN_MESSAGE = _(
    "Sorry, your comment could not be saved just now: the blog's database did not answer. "
    "Nothing was posted. Your text is kept below: please post it again in a minute."
)
ERRORS_ANCHOR = "comment-errors"  # the id of templates/comments/_form_errors.html's summary


@require_POST
def comment_create(request, post_id):
    try:
        return receive_comment(request, post_id)
    except DATABASE_DOWN:
        # Whatever failed (finding the post, checking the form, the write, drawing the
        # page): the reader's text comes back, since the database cannot keep it for them.
        logger.exception("comment on post %s not saved: the database failed", post_id)
        return form_kept(request, post_id)


def receive_comment(request, post_id):
    post = get_object_or_404(Post.objects.visible(), pk=post_id)
    if not can_read(request, post):
        return HttpResponseForbidden(gettext("This post is password protected."))
    form = CommentForm(request.POST, post=post)
    ip_address = request.META.get("REMOTE_ADDR")
    if flood.too_many_attempts(ip_address):
        form.is_valid()
        form.add_error(None, FLOOD_MESSAGE)
        return refuse(request, post, form, status=429)
    if form.is_valid():
        try:
            comment = services.comment_create(
                post=post,
                body=form.cleaned_data["body"],
                author_name=form.cleaned_data["author_name"],
                author_email=form.cleaned_data["author_email"],
                author_url=form.cleaned_data["author_url"],
                parent=form.cleaned_data["parent"],
                notify_replies=form.cleaned_data["notify_replies"],
                user=request.user if request.user.is_authenticated else None,
                ip_address=ip_address,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
            return refuse(request, post, form, status=refusal_status(exc))
        except DATABASE_DOWN:
            # A lost connection, a lock timeout, a database restarting: the transaction
            # rolled back whole, so the reader may safely send the same form again (and if
            # only the commit's answer was lost, the duplicate check catches the resend).
            logger.exception("comment on post %s not saved: the database failed", post.pk)
            form.add_error(None, TRY_AGAIN_MESSAGE)
            return try_again(request, post, form)
        else:
            response = comment_posted(request, post, comment)
            remember.after_comment(request, response, form)
            # A spam verdict asks nobody to confirm anything: no mail for spammers to aim.
            if form.cleaned_data["follow"] and comment.status != Comment.Status.SPAM:
                following_views.ask_to_follow(
                    request, post, form.cleaned_data["author_email"], form.cleaned_data["follow"]
                )
            return response
    return refuse(request, post, form, status=400)


def refusal_status(error: ValidationError) -> int:
    """409 Conflict for a duplicate, as WordPress answers; 400 for any other refusal."""
    return 409 if getattr(error, "code", None) == "duplicate" else 400


def comment_posted(request, post, comment):
    refused.discard(request, post)
    own = [*pending_ids(request), comment.pk]
    try:
        page = page_number_of(comment, own_pending_ids=own)
    except DATABASE_DOWN:
        # It is saved: the reader must not be told otherwise (their resend would be
        # refused as a duplicate). The first page will do until the database is back.
        logger.exception("comment %s saved; its page is not known yet", comment.pk)
        page = 1
    response = redirect(f"{post.get_comments_page_url(page)}#comment-{comment.pk}")
    edit_window.grant(request, response, comment)
    if comment.status == Comment.Status.PENDING:
        remember_pending(request, response, comment)
    elif comment.status == Comment.Status.SPAM:
        # A spam verdict reads like any held comment to its author: no hint for spammers.
        messages.info(request, gettext("Thank you. Your comment is awaiting moderation."))
        response = redirect(f"{post.get_absolute_url()}#respond")
    return response


def refuse(request, post, form, *, status):
    """Send the reader back to the form with their text and the errors (Post/Redirect/Get:
    reloading the answer never posts again). The page answers with ``status``: 400 for
    bad input, 429 for a flood, 409 for a duplicate.

    The address ends in #comment-errors, the error summary at the top of #respond: a
    browser focuses the element a #fragment names when it can take focus (the summary
    has tabindex=-1), so a screen reader reads the errors out at once, with or without
    JavaScript. With #respond itself, nothing would be focused: browsers skip autofocus
    on an address with a fragment."""
    refused.keep(request, post, form, status=status)
    parent = getattr(form, "cleaned_data", {}).get("parent")
    page = page_number_of(parent) if parent else 1
    return redirect_303(f"{post.get_comments_page_url(page)}#{ERRORS_ANCHOR}")


def redirect_303(url):
    response = redirect(url)
    response.status_code = 303  # See Other: the browser GETs the page, whatever it sent
    return response


def show_form_again(request, post, form, *, status):
    form.refresh_timestamp()
    parent = getattr(form, "cleaned_data", {}).get("parent")
    page = page_number_of(parent) if parent else 1
    discussion = discussion_for(request, post, page_number=page, form=form)
    context = {"post": post, "object": post, **discussion}
    return render(request, "posts/post_detail.html", context, status=status)


def try_again(request, post, form):
    """503 with the reader's text in the form, on the post's page; if the database fails
    again while drawing it, comment_create falls back to form_kept."""
    response = show_form_again(request, post, form, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def form_kept(request, post_id):
    """503 with the reader's text on a page with just the form, drawn without the database:
    the post is not even looked up."""
    post = Post(pk=post_id)
    form = KeptCommentForm(request.POST, post=post)
    form.add_error(None, TRY_AGAIN_MESSAGE)
    form.refresh_timestamp()
    return service_unavailable(request, "comments/try_again.html", {"comment_form": form})


@csrf_exempt  # the signed token is the credential; mail clients POST here (RFC 8058)
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@read_primary  # links in emails name comments the replica may not have yet
def unsubscribe(request, token):
    """GET asks, with a button; POST (the button, or a mail client's one-click POST)
    unsubscribes. Mail scanners and link previews follow links, so a GET changes nothing."""
    comment = notifications.comment_from_unsubscribe_token(token)
    if comment is None:
        return render(request, "comments/unsubscribe_invalid.html", status=400)
    context = {"comment": comment, "token": token}
    if request.method != "POST":
        return render(request, "comments/unsubscribe_confirm.html", context)
    services.notifications_stop(comment=comment)
    return render(request, "comments/unsubscribed.html", context)


@require_POST
@read_primary
def resubscribe(request, token):
    comment = notifications.comment_from_unsubscribe_token(token)
    if comment is None:
        return render(request, "comments/unsubscribe_invalid.html", status=400)
    services.notifications_resume(comment=comment)
    return render(request, "comments/resubscribed.html", {"comment": comment})


@read_primary  # emails and feeds link here, perhaps before the replica has the comment
def comment_permalink(request, comment_id):
    """/comments/ID/: the page of the thread that shows the comment, at its anchor."""
    own = pending_ids(request)
    visible = Comment.objects.readable() | Comment.objects.filter(
        pk__in=own, status=Comment.Status.PENDING, post__in=Post.objects.visible().unprotected()
    )
    comment = get_object_or_404(visible.select_related("post"), pk=comment_id)
    page = page_number_of(comment, own_pending_ids=own)
    return redirect(f"{comment.post.get_comments_page_url(page)}#comment-{comment.pk}")


@require_http_methods(["GET", "POST"])
@read_primary  # an emailed link: the replica may not have its commenter yet
def confirm_email(request, token):
    """The signed link mailed to a commenter. GET only asks: mail scanners open links, and
    a scanner must not confirm an address for whoever typed it into our form."""
    email = trust.email_from_token(token)
    if email is None:
        return render(request, "comments/confirm_email_invalid.html", status=400)
    if request.method == "POST":
        services.email_confirm(email=email)
        return render(request, "comments/email_confirmed.html", {"email": email})
    return render(request, "comments/confirm_email.html", {"email": email, "token": token})


def comment_author_edit(request, comment_id):
    """The author's edit page, for COMMENTS_EDIT_MINUTES after posting (edit_window)."""
    form = AuthorEditForm(request.POST or None)
    try:
        comment = edit_window.comment_for_author(request, comment_id)
    except PermissionDenied:
        return window_closed(request, form)
    if form.is_bound and form.is_valid():
        try:
            edited = edit_window.comment_author_edit(
                comment=comment, body=form.cleaned_data["body"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied:
            return window_closed(request, form)
        else:
            return author_changed(request, edited)
    if not form.is_bound:
        form = AuthorEditForm(initial={"body": comment.body})
    context = {"comment": comment, "form": form, "closes_at": window_end(comment)}
    status = 400 if form.is_bound else 200
    return render(request, "comments/edit.html", context, status=status)


@require_http_methods(["GET", "POST"])
def comment_author_delete(request, comment_id):
    """Ask, then remove the comment at its author's request (edit_window)."""
    try:
        comment = edit_window.comment_for_author(request, comment_id)
        if request.method == "POST":
            edit_window.comment_author_delete(comment=comment)
    except PermissionDenied:
        return window_closed(request, None)
    if request.method == "GET":
        context = {"comment": comment, "closes_at": window_end(comment)}
        return render(request, "comments/delete.html", context)
    messages.info(request, gettext("Your comment was deleted."))
    response = redirect(f"{comment.post.get_absolute_url()}#comments")
    edit_window.revoke(request, response, comment)
    return response


def window_end(comment):
    # To the second: an HTML datetime takes at most milliseconds.
    return (comment.created_at + edit_window.window()).replace(microsecond=0)


def add_service_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error("body" if field == "body" else None, errors)
    else:
        form.add_error(None, exc)


def window_closed(request, form):
    """403 with the reason, and the text the author typed, so nothing is lost."""
    context = {"message": edit_window.CLOSED_MESSAGE, "form": form}
    return render(request, "comments/edit_closed.html", context, status=403)


def author_changed(request, comment):
    """Back to the edited comment; a held one stays visible to its author."""
    own = [*pending_ids(request), comment.pk]
    page = page_number_of(comment, own_pending_ids=own)
    response = redirect(f"{comment.post.get_comments_page_url(page)}#comment-{comment.pk}")
    if comment.status == Comment.Status.PENDING:
        remember_pending(request, response, comment)
    elif comment.status == Comment.Status.SPAM:
        messages.info(request, gettext("Thank you. Your comment is awaiting moderation."))
        response = redirect(f"{comment.post.get_absolute_url()}#respond")
    return response
