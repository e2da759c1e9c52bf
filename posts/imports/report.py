"""What a plan creates, updates and skips, as the import commands print it."""

from collections import Counter

from comments.models import Comment
from posts.imports.plan import Plan, PostPlan
from posts.models import Post

STATUS_ORDER = [s.value for s in Comment.Status]
PAST = {"create": "created", "update": "updated", "unchanged": "unchanged"}


def post_url(post_plan: PostPlan) -> str:
    if not post_plan.values:
        return ""
    values = post_plan.values
    post = Post(slug=values["slug"], published_at=values["published_at"], kind=values["kind"])
    return post.get_absolute_url()


def by_status(comments) -> str:
    counts = Counter(c.source.status for c in comments)
    return ", ".join(f"{counts[s]} {s}" for s in STATUS_ORDER if counts[s]) or "none"


def post_line(post_plan: PostPlan, *, dry_run: bool) -> str:
    created = [c for c in post_plan.comments if c.action == "create"]
    updated = sum(c.action == "update" for c in post_plan.comments)
    action = post_plan.action
    if action == "comments":
        what = "comments only"
    else:
        what = PAST[action]
        if dry_run and action != "unchanged":
            what = f"would be {what}"
        if post_plan.changed:
            what += f": {', '.join(post_plan.changed)}"
    url = post_url(post_plan)
    comments = f"new comments {by_status(created)}" + (f", {updated} updated" if updated else "")
    return f"  {post_plan.source.label}{f' -> {url}' if url else ''} ({what}; {comments})"


def report_lines(plan: Plan, *, dry_run: bool, verbosity: int = 1) -> list[str]:
    def did(n: int, verb: str) -> str:
        return f"{n} {'would be ' if dry_run else ''}{verb}"

    lines = []
    if dry_run:
        lines.append("Dry run: nothing was written. The import would do this:")
    for post_plan in plan.posts:
        new_comments = any(c.action != "unchanged" for c in post_plan.comments)
        if verbosity >= 2 or post_plan.action in ("create", "update") or new_comments:
            lines.append(post_line(post_plan, dry_run=dry_run))
    for path, notes in plan.notes.items():
        lines.append(f"{path}:")
        lines += [f"  {note}" for note in notes]
    actions = Counter(p.action for p in plan.posts)
    comments = [c for p in plan.posts for c in p.comments]
    created = [c for c in comments if c.action == "create"]
    comment_actions = Counter(c.action for c in comments)
    lines += [
        f"Posts: {did(actions['create'], 'created')}, {did(actions['update'], 'updated')}, "
        f"{actions['unchanged']} unchanged"
        + (f", {actions['comments']} receiving comments only" if actions["comments"] else ""),
        f"Comments: {did(len(created), 'created')} ({by_status(created)}), "
        f"{did(comment_actions['update'], 'updated')}, {comment_actions['unchanged']} unchanged",
        f"Tags: {did(len(plan.new_tags), 'created')}"
        + (
            f" ({', '.join(sorted(n for n, _ in plan.new_tags.values()))})" if plan.new_tags else ""
        ),
        f"Categories: {did(len(plan.new_categories), 'created')}"
        + (
            f" ({', '.join(sorted(c.name for c in plan.new_categories.values()))})"
            if plan.new_categories
            else ""
        ),
        f"Redirects: {did(sum(len(p.new_urls) for p in plan.posts), 'created')}",
        f"Authors: {did(len(plan.new_authors), 'created')}",
    ]
    if plan.not_imported:
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(plan.not_imported.items()))
        lines.append(f"Not imported, by design: {kinds}")
    if plan.skipped:
        n = len(plan.skipped)
        lines.append(f"Skipped {n} bad item{'s' if n != 1 else ''} (--skip-bad):")
        lines += [f"  {problem}" for problem in plan.skipped]
    return lines
