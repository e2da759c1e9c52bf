"""Insert many new comment threads at once, computing the MPTT fields in one pass.

Saving comments one by one makes django-mptt shift lft/rght for every reply; for an
import or a benchmark thread of thousands of comments this builds each new tree in memory
and writes it with one bulk INSERT per depth level.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max

from comments.markup import render_comment_html
from comments.models import Comment
from comments.services import lock_comment_tree
from posts.caching import content_changed


@dataclass
class NewComment:
    fields: dict
    parent: int | None = None  # index of an earlier NewComment in the same batch
    children: list[int] = field(default_factory=list, repr=False)


def bulk_create_threads(post, items: list[NewComment], *, batch_size: int = 2000) -> list[Comment]:
    """Create ``items`` as new threads on ``post``; returns the saved comments in order."""
    return insert_forest(items, [Comment(post=post, **item.fields) for item in items], batch_size)


def bulk_create_forest(items: list[NewComment], *, batch_size: int = 2000) -> list[Comment]:
    """Like bulk_create_threads, for threads on many posts at once (an import): each
    item's fields name its post (``post_id``). Far fewer queries than one call per post."""
    return insert_forest(items, [Comment(**item.fields) for item in items], batch_size)


def insert_forest(items: list[NewComment], comments: list[Comment], batch_size: int):
    roots = link_children(items)
    for comment in comments:
        comment.body_html = render_comment_html(comment.body)
    with transaction.atomic():
        content_changed()  # first: see posts.caching
        lock_comment_tree(None)
        next_tree_id = (Comment.objects.aggregate(top=Max("tree_id"))["top"] or 0) + 1
        for offset, root in enumerate(roots):
            number_tree(items, comments, root, tree_id=next_tree_id + offset)
        by_level = defaultdict(list)
        for index, comment in enumerate(comments):
            by_level[comment.level].append(index)
        for level in sorted(by_level):
            batch = [comments[i] for i in by_level[level]]
            for i in by_level[level]:
                parent = items[i].parent
                comments[i].parent_id = None if parent is None else comments[parent].pk
            Comment.objects.bulk_create(batch, batch_size=batch_size)
    return comments


def link_children(items: list[NewComment]) -> list[int]:
    roots = []
    for index, item in enumerate(items):
        if item.parent is None:
            roots.append(index)
        elif not 0 <= item.parent < index:
            raise ValueError(f"item {index}: parent must be an earlier item")
        else:
            items[item.parent].children.append(index)
    return roots


def number_tree(items, comments, root: int, *, tree_id: int) -> None:
    """Depth-first numbering of one tree without recursion (threads can be deep)."""
    counter = 1
    stack = [(root, 0, False)]
    while stack:
        index, level, finished = stack.pop()
        comment = comments[index]
        if finished:
            comment.rght = counter
            counter += 1
            continue
        comment.tree_id, comment.level, comment.lft = tree_id, level, counter
        counter += 1
        stack.append((index, level, True))
        stack.extend((child, level + 1, False) for child in reversed(items[index].children))
