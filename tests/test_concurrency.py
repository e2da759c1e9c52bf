"""Concurrent comment writers never corrupt the MPTT tree."""

import random
import threading

import pytest
from django.db import connection

from comments import services
from comments.models import Comment
from tests.factories import make_comment, make_post, make_staff

WRITERS = 8
COMMENTS_PER_WRITER = 30


def tree_rows():
    return list(
        Comment.objects.order_by("pk").values_list(
            "pk", "parent", "tree_id", "lft", "rght", "level"
        )
    )


def write_comments(number, post, staff, barrier, errors):
    rng = random.Random(number)
    try:
        barrier.wait()
        for index in range(COMMENTS_PER_WRITER):
            parent = None
            if rng.random() < 0.6:
                parent = Comment.objects.filter(post=post).order_by("?").first()
            services.comment_create(
                post=post, parent=parent, body=f"writer {number} comment {index}", user=staff
            )
    except Exception as exc:  # surfaced by the test below
        errors.append(exc)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_parallel_top_level_comments_and_replies_keep_a_valid_tree():
    """Eight threads post roots and replies at once; the tree stays exact and complete."""
    post = make_post()
    staff = make_staff()
    barrier = threading.Barrier(WRITERS)
    errors: list[Exception] = []
    threads = [
        threading.Thread(target=write_comments, args=(n, post, staff, barrier, errors))
        for n in range(WRITERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    bodies = set(Comment.objects.values_list("body", flat=True))
    assert bodies == {
        f"writer {n} comment {i}" for n in range(WRITERS) for i in range(COMMENTS_PER_WRITER)
    }
    root_tree_ids = list(Comment.objects.filter(parent=None).values_list("tree_id", flat=True))
    assert len(root_tree_ids) == len(set(root_tree_ids)), "two threads share a tree_id"
    replies = Comment.objects.exclude(parent=None).count()
    assert replies > WRITERS  # the run really mixed replies with new threads
    before = tree_rows()
    Comment.objects.rebuild()
    assert tree_rows() == before, "lft/rght/level differ from a rebuilt tree"


@pytest.mark.django_db(transaction=True)
def test_moderators_working_in_opposite_orders_never_deadlock():
    """Two bulk approvals of the same comments in opposite orders both finish."""
    post = make_post()
    pending = [
        services.comment_create(post=post, body=f"pending {n}", author_name=f"R{n}")
        for n in range(30)
    ]
    moderator = make_staff()
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def approve(comments):
        try:
            barrier.wait()
            services.comments_set_status(comments=comments, status="approved", actor=moderator)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=approve, args=(list(pending),)),
        threading.Thread(target=approve, args=(list(reversed(pending)),)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert set(Comment.objects.values_list("status", flat=True)) == {"approved"}


def write_held_comments(number, post, approved, barrier, errors):
    rng = random.Random(number)
    try:
        barrier.wait()
        for index in range(COMMENTS_PER_WRITER):
            parent = rng.choice(approved) if rng.random() < 0.5 else None
            services.comment_create(
                post=post,
                parent=parent,
                body=f"reader {number} comment {index}",
                author_name=f"Reader {number}",
                ip_address=f"192.0.2.{number + 1}",
            )
    except Exception as exc:  # surfaced by the test below
        errors.append(exc)
    finally:
        connection.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_held_comments_from_readers_keep_a_valid_tree(settings):
    """Eight anonymous readers post held roots and replies at once. Their comments take
    no content-version lock (nothing public changes), so only the tree lock keeps two of
    them from sharing a tree_id or shifting the same lft/rght."""
    settings.COMMENTS_MODERATION = "all"
    post = make_post()
    approved = [make_comment(post, body=f"approved {n}") for n in range(4)]
    barrier = threading.Barrier(WRITERS)
    errors: list[Exception] = []
    threads = [
        threading.Thread(target=write_held_comments, args=(n, post, approved, barrier, errors))
        for n in range(WRITERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    held = Comment.objects.filter(status="pending")
    assert held.count() == WRITERS * COMMENTS_PER_WRITER
    assert held.exclude(parent=None).exists() and held.filter(parent=None).exists()
    root_tree_ids = list(Comment.objects.filter(parent=None).values_list("tree_id", flat=True))
    assert len(root_tree_ids) == len(set(root_tree_ids)), "two threads share a tree_id"
    before = tree_rows()
    Comment.objects.rebuild()
    assert tree_rows() == before, "lft/rght/level differ from a rebuilt tree"
