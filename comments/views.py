from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from comments import services
from comments.forms import CommentForm
from comments.models import Comment
from comments.pending import remember_pending
from comments.selectors import discussion_for
from posts.models import Post


@require_POST
def comment_create(request, post_id):
    post = get_object_or_404(Post.objects.published(), pk=post_id)
    form = CommentForm(request.POST, post=post)
    if form.is_valid():
        try:
            comment = services.comment_create(
                post=post,
                body=form.cleaned_data["body"],
                author_name=form.cleaned_data["author_name"],
                author_email=form.cleaned_data["author_email"],
                author_url=form.cleaned_data["author_url"],
                parent=form.cleaned_data["parent"],
                user=request.user if request.user.is_authenticated else None,
                ip_address=request.META.get("REMOTE_ADDR"),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            response = redirect(f"{post.get_absolute_url()}#comment-{comment.pk}")
            if comment.status == Comment.Status.PENDING:
                remember_pending(request, response, comment)
            return response
    context = {"post": post, "object": post, **discussion_for(request, post, form=form)}
    return render(request, "posts/post_detail.html", context, status=400)
