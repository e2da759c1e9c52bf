"""Pages for following a discussion by email (comments.following): the follow form, the
confirmation behind the emailed link, and the one-click unsubscribe."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from comments import flood, following, remember
from comments.forms import FollowForm
from msblog.routers import read_primary
from posts.models import Post

FLOOD_MESSAGE = _("Too many requests from your address just now; please try again in a minute.")


def ask_to_follow(request, post, email: str, mode: str) -> None:
    """Store the request and email the link to confirm; tell the reader to look for it."""
    following.subscription_request(post=post, email=email, mode=mode)
    messages.info(
        request,
        gettext(
            "Almost done: we have sent a link to %(email)s. Follow it to confirm, and we will "
            "email you new comments on this post."
        )
        % {"email": email},
    )


@require_http_methods(["GET", "POST"])
def follow(request, post_id):
    post = get_object_or_404(Post.objects.published(), pk=post_id)
    form = FollowForm(request.POST or None)
    if request.method == "GET":
        form = FollowForm(initial={"email": remember.remembered(request).get("email", "")})
    elif flood.too_many_attempts(request.META.get("REMOTE_ADDR")):
        form.is_valid()
        form.add_error(None, FLOOD_MESSAGE)
        return follow_page(request, post, form, status=429)
    elif form.is_valid():
        try:
            ask_to_follow(request, post, form.cleaned_data["email"], form.cleaned_data["mode"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            response = redirect(f"{post.get_absolute_url()}#respond")
            response.status_code = 303
            return response
    return follow_page(request, post, form, status=400 if form.is_bound else 200)


def follow_page(request, post, form, *, status):
    context = {"post": post, "form": form}
    return render(request, "comments/follow.html", context, status=status)


def invalid_link(request):
    return render(request, "comments/follow_invalid.html", status=400)


@require_http_methods(["GET", "POST"])
@read_primary  # emailed links name a subscription the replica may not have yet
def follow_confirm(request, token):
    """The emailed link: a button to press (mail scanners follow links, not buttons)."""
    found = following.subscription_from_confirm_token(token)
    if found is None:
        return invalid_link(request)
    subscription, mode = found
    context = {"subscription": subscription, "mode": following.mode_words(mode)}
    if request.method == "GET":
        return render(request, "comments/follow_confirm.html", {**context, "token": token})
    following.subscription_confirm(subscription=subscription, mode=mode)
    return render(request, "comments/follow_confirmed.html", context)


@csrf_exempt  # the signed token is the credential; mail clients POST here (RFC 8058)
@require_http_methods(["GET", "POST"])
@read_primary
def follow_stop(request, token):
    subscription = following.subscription_from_stop_token(token)
    if subscription is None:
        return invalid_link(request)
    if request.method == "GET":
        context = {"subscription": subscription, "token": token}
        return render(request, "comments/follow_stop.html", context)
    following.subscription_cancel(subscription=subscription)
    return render(request, "comments/follow_stopped.html", {"post": subscription.post})
