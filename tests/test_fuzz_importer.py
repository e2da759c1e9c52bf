"""Mutated captured pages: import_pages either imports or names file:line and writes nothing."""

import io
import re
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Max
from hypothesis import event, given
from hypothesis import strategies as st
from taggit.models import Tag, TaggedItem

from comments.models import Comment, CommentEvent
from posts.models import Author, OriginalURL, Post, RelatedEntry
from tests.fuzzing import rolled_back

pytestmark = pytest.mark.django_db

SEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "seeds"
SEED_NAMES = sorted(path.name for path in SEEDS.glob("*.txt"))
MODELS = (Post, Author, OriginalURL, RelatedEntry, Tag, TaggedItem, Comment, CommentEvent)
INJECTED = [
    b"\x00",
    b"\x07",
    b"\x1b",
    b"\x7f",
    b"\xc2\x85",
    b"\t",
    b"\r",
    b"\xff",
    b"\xc3",
    b"\xe2\x80",
]


def snapshot() -> list:
    """Row counts and highest ids of everything an import writes."""
    return [
        (model.objects.count(), model.objects.aggregate(top=Max("pk"))["top"]) for model in MODELS
    ]


def mutate(data: bytes, draw) -> bytes:
    """One mutation of a capture's bytes, of the kinds that break real captures."""
    lines = data.split(b"\n")
    kind = draw(
        st.sampled_from(
            ["delete", "duplicate", "swap", "indent", "dedent", "inject", "truncate", "blank"]
        )
    )
    event(kind)
    at = draw(st.integers(0, len(lines) - 1))
    other = draw(st.integers(0, len(lines) - 1))
    if kind == "delete":
        del lines[at]
    elif kind == "duplicate":
        lines.insert(at, lines[at])
    elif kind == "swap":
        lines[at], lines[other] = lines[other], lines[at]
    elif kind == "indent":
        lines[at] = b" " * draw(st.integers(1, 5)) + lines[at]
    elif kind == "dedent":
        lines[at] = lines[at].lstrip(b" ")
    elif kind == "inject":
        line = lines[at]
        cut = draw(st.integers(0, len(line)))
        lines[at] = line[:cut] + draw(st.sampled_from(INJECTED)) + line[cut:]
    elif kind == "blank":
        lines.insert(at, b"")
    else:  # truncate at any byte, perhaps inside a UTF-8 sequence
        return b"\n".join(lines)[: draw(st.integers(0, len(data)))]
    return b"\n".join(lines)


@given(data=st.data())
def test_mutated_capture_imports_or_names_file_and_line(tmp_path_factory, data):
    """Deleted, repeated, swapped, re-indented, corrupted or truncated lines: the page is
    imported, or CommandError names file:line and no row anywhere changed."""
    name = data.draw(st.sampled_from(SEED_NAMES))
    captured = (SEEDS / name).read_bytes()
    for _ in range(data.draw(st.integers(1, 3))):
        captured = mutate(captured, data.draw)
    folder = tmp_path_factory.mktemp("capture")
    shutil.copy(SEEDS / "sources.json", folder)
    path = folder / name
    path.write_bytes(captured)

    with rolled_back():
        before = snapshot()
        try:
            call_command("import_pages", str(path), stdout=io.StringIO())
        except CommandError as exc:
            event("refused")
            message = str(exc)
            assert re.match(rf"{re.escape(str(path))}:[1-9]\d*: \S", message), message
            assert message.endswith("Nothing was imported.")
            assert snapshot() == before
        else:
            event("imported")
            assert Post.objects.filter(import_ref__isnull=False).count() == 1
