"""Search snippets whose only markup is <mark>.

Every backend returns a snippet as text with each hit between two sentinel characters
(from Unicode's private-use area, so no real text uses them): PostgreSQL's ts_headline
and FTS5's snippet() put them there, and the fallback does it in Python. Turning that
into HTML is done here, the same way for all: drop whatever markup the source text had,
escape the rest, then swap each sentinel pair for <mark>…</mark>.
"""

import html
import re

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

START, STOP = "\ue000", "\ue001"
HIT_RE = re.compile(f"{START}([^{START}{STOP}]*){STOP}")
SENTINELS_RE = re.compile(f"[{START}{STOP}]")

# A snippet of HTML may start or end inside a tag: "ef="…">text" or "text <a hre".
# (A ">" in running text is kept: only one right after a word or a quote is a tag's end.)
CUT_TAG_AT_START = re.compile(r"^(?:[^<>\s]*|[^<>]*[\"'])>")
CUT_TAG_AT_END = re.compile(r"<[/a-zA-Z!][^>]*$")
BLOCK_TAG = re.compile(r"</?(?:p|br|li|ul|ol|div|h[1-6]|blockquote|tr|td|th|table)\b[^>]*>", re.I)
ANY_TAG = re.compile(r"</?[a-zA-Z!][^>]*>")
SPACES = re.compile(r"\s+")

CONTEXT_CHARS = 80
SNIPPET_CHARS = 240


def html_to_text(fragment: str) -> str:
    """The words of an HTML fragment (maybe cut anywhere), entities decoded."""
    text = CUT_TAG_AT_END.sub("", CUT_TAG_AT_START.sub("", fragment))
    text = ANY_TAG.sub("", BLOCK_TAG.sub(" ", text))
    return html.unescape(SPACES.sub(" ", text)).strip()


def snippet_html(raw: str, *, source_is_html: bool) -> SafeString:
    """``raw`` (text with sentinel-marked hits) as escaped HTML with <mark> hits."""
    text = html_to_text(raw) if source_is_html else SPACES.sub(" ", raw).strip()
    parts = HIT_RE.split(text)
    pieces = []
    for index, part in enumerate(parts):
        part = SENTINELS_RE.sub("", part)  # an unpaired sentinel is just dropped
        pieces.append(format_html("<mark>{}</mark>", part) if index % 2 else escape(part))
    return mark_safe("".join(pieces))  # noqa: S308 -- every piece escaped above


def mark_terms(text: str, terms: list[str]) -> str:
    """A window of plain ``text`` around the first of ``terms``, hits between sentinels.

    For the fallback backend, which has no database-made snippet; matches the way its
    icontains filter does, ignoring case.
    """
    text = SPACES.sub(" ", SENTINELS_RE.sub("", text)).strip()
    if not terms:
        return text[:SNIPPET_CHARS]
    pattern = re.compile("|".join(re.escape(term) for term in terms), re.I)
    first = pattern.search(text)
    start = 0 if first is None else max(0, first.start() - CONTEXT_CHARS)
    if start:
        start = text.find(" ", start) + 1 or start  # begin on a word
    window = text[start : start + SNIPPET_CHARS]
    marked = pattern.sub(lambda m: f"{START}{m[0]}{STOP}", window)
    return ("… " if start else "") + marked + (" …" if start + SNIPPET_CHARS < len(text) else "")
