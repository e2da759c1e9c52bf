"""Moderation batches: each moderator action is recorded as one batch, so Undo can reverse
everything it did (see services.batch_undo).

Like django-reversion's ``create_revision()``, a batch is open for the duration of a
``with recording(...)`` block: every comment event written inside it (services.record_event
and comment_edit) belongs to it, however deep in the services the write happens, so the
services that approve ancestors or walk a branch need no extra argument.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction

from comments.models import Commenter, ModerationBatch
from posts.caching import content_changed

_current: ContextVar[ModerationBatch | None] = ContextVar("moderation_batch", default=None)


def current() -> ModerationBatch | None:
    """The batch being recorded, if any."""
    return _current.get()


@contextmanager
def recording(*, actor, summary: str, comment=None) -> Iterator[ModerationBatch]:
    """Record the writes inside the block as one batch, in one transaction.

    A desk action may change what readers see, so the transaction bumps the content version
    first (see posts.caching). A batch that recorded nothing (every comment was already in
    the wanted state) is dropped, so Undo is never offered for a no-op. A nested call joins
    the open batch. ``comment`` is the one the moderator acted on (the first, in bulk).
    """
    open_batch = _current.get()
    if open_batch is not None:
        yield open_batch
        return
    with transaction.atomic():
        content_changed()
        batch = ModerationBatch.objects.create(actor=actor, summary=summary[:300], comment=comment)
        token = _current.set(batch)
        try:
            yield batch
        finally:
            _current.reset(token)
        if not recorded_anything(batch):
            batch.delete()
            batch.pk = None


def recorded_anything(batch: ModerationBatch) -> bool:
    return (
        batch.undo_of_id is not None
        or batch.events.exists()
        or batch.blocks.exists()
        or Commenter.objects.filter(trust_batch=batch).exists()
    )


def latest_undoable(actor, *, since) -> ModerationBatch | None:
    """The actor's most recent action since ``since`` that has not been undone (and is not
    itself an undo): what the queue's Undo bar and the z key reverse."""
    if actor is None or not actor.is_authenticated:
        return None
    return (
        ModerationBatch.objects.filter(
            actor=actor, created_at__gte=since, undo_of=None, undone_by=None
        )
        .order_by("-created_at", "-pk")
        .first()
    )
