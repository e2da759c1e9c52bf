"""Reads for the moderation desk: what each row of the queue shows and offers, the thread
around a comment, and how staff are named to moderators.

Rows are built for a whole page at once, with a fixed number of queries whatever its
length: one for the authors' counts, one for the block list, one for trust.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from comments import trust
from comments.models import BlockedSender, Comment, Commenter
from comments.moderation import count_links, normalized_ip

Status = Comment.Status

LONG_TEXT = 180  # characters past which three lines may not hold a row's text
MISSING = _("a comment missing from the archived page")


@dataclass(frozen=True)
class RowAction:
    """One thing a moderator can do to a comment: a POST button, or a link for reply/edit."""

    name: str
    label: str
    url: str
    key: str = ""  # the keyboard shortcut
    post: bool = True
    primary: bool = True  # on the row itself; the others sit under "More"
    danger: bool = False


@dataclass
class QueueRow:
    comment: Comment
    actions: list[RowAction]
    counts: dict[str, int] = field(default_factory=dict)  # the author's comments by status
    counted_by: str = ""  # "author_email" or "ip_address": what the counts are for
    links: int = 0
    replies: int = 0

    @property
    def primary_actions(self) -> list[RowAction]:
        return [action for action in self.actions if action.primary]

    @property
    def more_actions(self) -> list[RowAction]:
        return [action for action in self.actions if not action.primary]

    @property
    def long_text(self) -> bool:
        body = self.comment.body
        return len(body) > LONG_TEXT or body.count("\n") > 2

    @property
    def parent_missing(self) -> bool:
        parent = self.comment.parent
        return parent is not None and parent.placeholder

    @property
    def counted_value(self) -> str:
        return str(getattr(self.comment, self.counted_by, "") or "")


def staff_name(user) -> str:
    """How a moderator sees another account: staff by their name, nobody else at all."""
    if user is None:
        return gettext("the system")
    if not user.is_staff:
        return gettext("a former team member")
    return user.get_full_name() or user.get_username()


# The row actions' button labels, by the action's name in its URL.
LABELS = {
    "approve": _("Approve"),
    "unapprove": _("Unapprove"),
    "reply": _("Reply"),
    "quick-edit": _("Quick edit"),
    "spam": pgettext_lazy("mark as spam", "Spam"),
    "remove": _("Remove"),
    "restore": _("Restore"),
    "approve-trust": _("Approve & trust author"),
    "spam-branch": _("Spam with all replies"),
    "remove-branch": _("Remove with all replies"),
    "block-email": _("Block this email"),
    "block-ip": _("Block this IP address"),
}


def status_label(value: str) -> str:
    """A stored status as moderators read it (an unknown value as it is)."""
    return Status(value).label if value in Status.values else value


def moderate_url(comment: Comment, action: str) -> str:
    return reverse("admin:comments_comment_moderate", args=[comment.pk, action])


def row_actions(comment: Comment, *, blocked: set, trusted: set) -> list[RowAction]:
    """What a moderator can do to ``comment`` in its status, WordPress's row actions first."""
    status = comment.status
    email = trust.normalized_email(comment.author_email)
    ip = normalized_ip(comment.ip_address) if comment.ip_address else None
    actions = []

    def add(name, label, statuses, **options):
        if status in statuses:
            actions.append(RowAction(name, label, moderate_url(comment, name), **options))

    add("approve", LABELS["approve"], {Status.PENDING}, key="a")
    add("unapprove", LABELS["unapprove"], {Status.APPROVED}, key="u")
    if status in (Status.PENDING, Status.APPROVED):
        url = reverse("admin:comments_comment_reply", args=[comment.pk])
        actions.append(RowAction("reply", LABELS["reply"], url, key="r", post=False))
    url = reverse("admin:comments_comment_quick_edit", args=[comment.pk])
    actions.append(RowAction("quick-edit", LABELS["quick-edit"], url, key="q", post=False))
    spam_from = {Status.PENDING, Status.APPROVED, Status.REMOVED}
    add("spam", LABELS["spam"], spam_from, key="s", danger=True)
    remove_from = {Status.PENDING, Status.APPROVED, Status.SPAM}
    add("remove", LABELS["remove"], remove_from, key="d", danger=True)
    add("restore", LABELS["restore"], {Status.SPAM, Status.REMOVED})
    live = {Status.PENDING, Status.APPROVED}
    if email and email not in trusted:
        add("approve-trust", LABELS["approve-trust"], live, primary=False)
    if comment.rght - comment.lft > 1:
        add("spam-branch", LABELS["spam-branch"], live, primary=False, danger=True)
        add("remove-branch", LABELS["remove-branch"], live | {Status.SPAM}, primary=False)
    if email and ("email", email) not in blocked:
        add("block-email", LABELS["block-email"], live, primary=False, danger=True)
    if ip and ("ip", ip) not in blocked:
        add("block-ip", LABELS["block-ip"], live, primary=False, danger=True)
    return actions


def rows_for(comments: list[Comment], *, can_moderate: bool) -> list[QueueRow]:
    """The queue's rows for one page of comments (parents selected with them)."""
    emails = {trust.normalized_email(c.author_email) for c in comments if c.author_email}
    ips = {normalized_ip(c.ip_address) for c in comments if c.ip_address} - {None}
    by_email, by_ip = author_counts(emails, ips)
    blocked, trusted = set(), set()
    if can_moderate and comments:
        blocked = set(
            BlockedSender.objects.filter(
                Q(kind=BlockedSender.Kind.EMAIL, value__in=emails)
                | Q(kind=BlockedSender.Kind.IP, value__in=ips)
            ).values_list("kind", "value")
        )
        trusted = set(
            Commenter.objects.filter(email__in=emails, trusted_at__isnull=False).values_list(
                "email", flat=True
            )
        )
    rows = []
    for comment in comments:
        row = QueueRow(
            comment=comment,
            actions=row_actions(comment, blocked=blocked, trusted=trusted) if can_moderate else [],
            links=count_links(comment.body),
            replies=(comment.rght - comment.lft - 1) // 2,
        )
        if comment.author_email:
            row.counts = by_email[trust.normalized_email(comment.author_email)]
            row.counted_by = "author_email"
        elif comment.ip_address:
            row.counts = by_ip[normalized_ip(comment.ip_address)]
            row.counted_by = "ip_address"
        rows.append(row)
    return rows


def author_counts(emails: set[str], ips: set[str]) -> tuple[dict, dict]:
    """Approved, pending and spam comments per email and per IP address (two queries)."""
    by_email: dict[str, Counter] = {email: Counter() for email in emails}
    by_ip: dict[str, Counter] = {ip: Counter() for ip in ips}
    comments = Comment.objects.filter(placeholder=False)
    if emails:
        rows = (
            comments.annotate(email=Upper("author_email"))
            .filter(email__in=[e.upper() for e in emails])
            .values_list("email", "status")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for email, status, n in rows:
            by_email[email.lower()][status] += n
    if ips:
        rows = (
            comments.filter(ip_address__in=ips)
            .values_list("ip_address", "status")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for ip, status, n in rows:
            by_ip.setdefault(normalized_ip(ip), Counter())[status] += n
    return by_email, by_ip


def status_counts() -> dict[str, int]:
    """Comments per status, stand-ins left out (they are not comments)."""
    rows = Comment.objects.filter(placeholder=False).values_list("status").annotate(n=Count("pk"))
    return dict(rows.order_by())


@dataclass
class ThreadContext:
    comment: Comment
    ancestors: list[Comment]
    before: list[Comment]  # the nearest earlier siblings, oldest first
    after: list[Comment]  # the nearest later siblings
    replies: list[Comment]  # the first direct replies
    reply_count: int


def thread_context(comment: Comment, *, around: int = 2, replies: int = 5) -> ThreadContext:
    """Where a comment sits: its chain of parents, its neighbours and its first replies."""
    ancestors = list(comment.get_ancestors())
    if comment.parent_id is None:
        siblings = Comment.objects.filter(post_id=comment.post_id, parent=None)
        position = "tree_id"
    else:
        siblings = Comment.objects.filter(parent_id=comment.parent_id)
        position = "lft"
    mine = getattr(comment, position)
    before = list(siblings.filter(**{f"{position}__lt": mine}).order_by(f"-{position}")[:around])
    after = list(siblings.filter(**{f"{position}__gt": mine}).order_by(position)[:around])
    children = comment.get_children()
    return ThreadContext(
        comment=comment,
        ancestors=ancestors,
        before=before[::-1],
        after=after,
        replies=list(children[:replies]),
        reply_count=children.count(),
    )
