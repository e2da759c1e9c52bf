"""What the blog stores about one commenter, for access and erasure requests."""

from comments.models import Comment, CommentEvent

COMMENT_FIELDS = (
    "id",
    "author_name",
    "author_email",
    "author_url",
    "ip_address",
    "body",
    "status",
    "created_at",
    "edited_at",
    "notify_replies",
    "moderation_reason",
)


def commenter_data(email: str) -> dict:
    """Every comment written with this email, with its history (earlier texts included)."""
    comments = list(Comment.objects.by_author_email(email).select_related("post").order_by("pk"))
    events = CommentEvent.objects.filter(comment__in=comments).order_by(
        "comment", "created_at", "pk"
    )
    history: dict[int, list] = {}
    for event in events:
        history.setdefault(event.comment_id, []).append(
            {
                "at": event.created_at,
                "action": event.action,
                "status_before": event.status_before,
                "status_after": event.status_after,
                "text_before": event.body_before,
                "text_after": event.body_after,
                "reason": event.reason,
            }
        )
    return {
        "email": email,
        "comments": [
            {
                **{name: getattr(comment, name) for name in COMMENT_FIELDS},
                "post": {"title": comment.post.title, "url": comment.post.get_absolute_url()},
                "in_reply_to": comment.parent_id,
                "history": history.get(comment.pk, []),
            }
            for comment in comments
        ],
    }
