"""Stream an untrusted XML export, element by element, in bounded memory.

lxml's iterparse with no network, no external or internal entity expansion and libxml2's
default size limits (huge_tree off). Export formats never need a DTD, so a file that
declares one is refused before its entities can be used (lxml would still expand
internal entities inside attribute values): the parser itself reads the prolog first,
up to the root element, so "<!DOCTYPE" inside a title or a CDATA section is only text.
Callers ``release`` each element once read, which drops it and every sibling before it,
so the tree never holds more than one item.
"""

import gzip
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lxml import etree

from posts.imports.progress import Progress
from posts.imports.records import refuse

CHUNK_BYTES = 65536
DTD_REFUSED = "declares a DTD; export files never do"
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
ZIP_REFUSED = (
    "a ZIP archive, not an export: unpack it and import the file inside (from Google "
    "Takeout: Blogger/Blogs/<blog>/feed.atom)"
)
PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "huge_tree": False,
    "load_dtd": False,
    "remove_pis": True,
}


def malformed(path: Path, exc: etree.XMLSyntaxError):
    line = exc.lineno or (exc.position[0] if exc.position else 0)
    return refuse(path, line, f"malformed XML: {exc.msg}")


def check_prolog(path: Path, raw) -> None:
    """Refuse a document type declaration, as the parser sees it, before anything else
    is read: only the prolog is parsed, up to the root element's start."""
    parser = etree.XMLPullParser(events=("start",), **PARSER_OPTIONS)
    prolog = b""
    try:
        while chunk := raw.read(CHUNK_BYTES):
            prolog += chunk
            parser.feed(chunk)
            for _, element in parser.read_events():
                docinfo = element.getroottree().docinfo
                if docinfo.doctype or docinfo.internalDTD is not None:
                    line = prolog[: prolog.find(b"<!DOCTYPE")].count(b"\n") + 1
                    raise refuse(path, line, DTD_REFUSED)
                return
    except etree.XMLSyntaxError as exc:
        # An entity bomb can fail the parse before the root element is reached.
        head = re.split(rb"<[A-Za-z_]", prolog, maxsplit=1)[0]
        at = re.sub(rb"<!--.*?-->", lambda m: b" " * len(m[0]), head, flags=re.S).find(b"<!DOCTYPE")
        if at >= 0:
            raise refuse(path, head[:at].count(b"\n") + 1, DTD_REFUSED) from None
        raise malformed(path, exc) from None


@contextmanager
def opened(path: Path, *, progress: Progress | None):
    """The file, uncompressed if gzipped (Disqus sends its exports so), read through a
    byte counter when ``progress`` is given."""
    try:
        raw = open(path, "rb")  # noqa: SIM115 -- closed below, after the counter
    except OSError as exc:
        raise refuse(path, 0, f"cannot read: {exc.strerror or exc}") from None
    with raw:
        head = raw.read(4)
        if head.startswith(ZIP_MAGIC):
            raise refuse(path, 0, ZIP_REFUSED)
        compressed = head.startswith(GZIP_MAGIC)
        raw.seek(0)
        try:
            check_prolog(path, gzip.GzipFile(fileobj=raw) if compressed else raw)
        except (OSError, EOFError) as exc:
            raise refuse(path, 0, f"a damaged compressed file: {exc}") from None
        raw.seek(0)
        counted = (
            raw
            if progress is None
            else progress.reading(raw, size=path.stat().st_size, desc=f"reading {path.name}")
        )
        yield gzip.GzipFile(fileobj=counted) if compressed else counted
        if progress is not None:
            counted.close()


def elements(path: Path, tags: tuple[str, ...], *, progress: Progress | None = None) -> Iterator:
    """Yield every element whose tag is in ``tags`` (``{*}name`` matches any namespace)
    when it closes. Malformed XML stops the import with its file and line."""
    with opened(path, progress=progress) as source:
        events = etree.iterparse(source, events=("end",), tag=tags, **PARSER_OPTIONS)
        try:
            yield from (element for _, element in events)
        except etree.XMLSyntaxError as exc:
            raise malformed(path, exc) from None
        except (OSError, EOFError) as exc:  # a gzip stream cut short or corrupted
            raise refuse(path, 0, f"a damaged compressed file: {exc}") from None


def release(element) -> None:
    """Free an element that has been read, with the siblings already read before it."""
    element.clear(keep_tail=True)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def text(element) -> str:
    """An element's text content (CDATA included), or "" when it is absent or empty."""
    if element is None:
        return ""
    return "".join(element.itertext())


def local_name(tag: str) -> str:
    return tag.rpartition("}")[2]


def namespace(tag: str) -> str:
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""
