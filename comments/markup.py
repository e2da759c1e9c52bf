"""What a commenter may type, and the HTML it becomes (rendered once, when it is written).

Like WordPress, a comment is plain text with a little markup: ``<p>``, ``<a href="…">``
(an http or https address, and maybe a ``title``), ``<em>``/``<i>``, ``<strong>``/``<b>``,
``<blockquote>`` and ``<code>``. Blank lines make paragraphs and single newlines line
breaks; web addresses become links (comments.links). Anything else is shown exactly as
typed: another tag, another attribute, a ``javascript:`` link, a closing tag with nothing
to close, an entity such as ``&amp;``. So plain text renders as it always did, and
whatever markup is not allowed reads back as text rather than vanishing.

Tags left open are closed at the end of their paragraph and opened again in the next;
a blockquote holds whole paragraphs. The HTML is then passed through nh3 with the same
allow-list, so even a mistake here could not let anything else through.

``render_comment_html`` is what every write path stores in ``Comment.body_html``
(comments.services, comments.bulk); ``manage.py render_comments`` re-renders every
stored comment after this module changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape, unescape
from html.parser import HTMLParser
from urllib.parse import unquote

import nh3

from comments.links import is_web_address, linkify

INLINE_TAGS = frozenset({"a", "em", "i", "strong", "b", "code"})
TYPED_TAGS = INLINE_TAGS | {"p", "blockquote"}
# What the stored HTML may hold: the typed tags, and the line breaks made from newlines.
ALLOWED_TAGS = TYPED_TAGS | {"br"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
LINK_REL = "nofollow ugc noopener"

# A candidate tag: one of the typed names, then anything up to ">" (checked below) that
# is not markup itself, unless quoted as an attribute's value is.
TAG = re.compile(
    r"<(/?)(blockquote|strong|code|em|a|b|i|p)(?![\w-])((?:[^<>\"']|\"[^\"]*\"|'[^']*')*)>",
    re.IGNORECASE,
)
ATTRIBUTE = re.compile(
    r"\s+([a-zA-Z]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'=<>`]+))", re.IGNORECASE
)
PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")


@dataclass(frozen=True)
class Tag:
    name: str
    closing: bool
    attributes: tuple = ()

    @property
    def opening_html(self) -> str:
        attributes = "".join(f' {name}="{escape(value)}"' for name, value in self.attributes)
        return f"<{self.name}{attributes}>"


def typed_tag(match: re.Match) -> Tag | None:
    """The allowed tag ``match`` spells, or None when it is to be shown as text."""
    closing, name, rest = match[1] == "/", match[2].lower(), match[3]
    if closing or name != "a":
        return Tag(name, closing) if not rest.strip() else None
    attributes = {}
    position = 0
    while attribute := ATTRIBUTE.match(rest, position):
        key = attribute[1].lower()
        if key not in ALLOWED_ATTRIBUTES["a"] or key in attributes:
            return None
        value = next(v for v in attribute.groups()[1:] if v is not None)
        attributes[key] = unescape(value).strip()
        position = attribute.end()
    if rest[position:].strip() or not is_web_address(attributes.get("href", "")):
        return None
    return Tag("a", False, tuple(sorted(attributes.items())))


@dataclass
class Builder:
    """Paragraphs and blockquotes around inline text, built in one pass."""

    out: list[str] = field(default_factory=list)
    paragraph: list[str] | None = None  # the open paragraph's pieces
    has_text: bool = False  # whether the open paragraph holds anything but tags
    open_inline: list[Tag] = field(default_factory=list)  # outermost first
    quotes: int = 0  # open blockquotes

    def text(self, raw: str) -> None:
        for index, chunk in enumerate(PARAGRAPH_BREAK.split(raw)):
            if index:
                self.end_paragraph()
            if chunk.strip() or self.paragraph is not None:
                in_link = any(tag.name == "a" for tag in self.open_inline)
                self.inline(escape(chunk, quote=False) if in_link else linkify(chunk))
                self.has_text = self.has_text or bool(chunk.strip())

    def inline(self, html: str) -> None:
        if self.paragraph is None:
            self.paragraph = [tag.opening_html for tag in self.open_inline]
            html = html.lstrip()
        self.paragraph.append(html)

    def tag(self, tag: Tag, raw: str) -> None:
        if tag.name == "p":
            self.end_paragraph()
        elif tag.name == "blockquote" and not tag.closing:
            self.end_paragraph()
            self.out.append("<blockquote>\n")
            self.quotes += 1
        elif tag.name == "blockquote" and self.quotes:
            self.end_paragraph()
            self.out.append("</blockquote>\n")
            self.quotes -= 1
        elif tag.name in INLINE_TAGS and not tag.closing:
            if tag.name == "a" and any(t.name == "a" for t in self.open_inline):
                self.text(raw)  # no link inside a link
                return
            self.inline(tag.opening_html)
            self.open_inline.append(tag)
        elif tag.name in INLINE_TAGS and self.is_open(tag.name):
            self.close_inline(tag.name)
        else:
            self.text(raw)  # a closing tag with nothing to close

    def is_open(self, name: str) -> bool:
        return any(tag.name == name for tag in self.open_inline)

    def close_inline(self, name: str) -> None:
        """Close the innermost open ``name``, and reopen what was opened inside it."""
        index = max(i for i, tag in enumerate(self.open_inline) if tag.name == name)
        inside = self.open_inline[index + 1 :]
        del self.open_inline[index:]
        if self.paragraph is not None:
            self.paragraph.append("".join(f"</{t.name}>" for t in reversed(inside)))
            self.paragraph.append(f"</{name}>")
            self.paragraph.append("".join(t.opening_html for t in inside))
        self.open_inline.extend(inside)

    def end_paragraph(self) -> None:
        if self.paragraph is None:
            return
        closing = "".join(f"</{tag.name}>" for tag in reversed(self.open_inline))
        if self.has_text:
            html = ("".join(self.paragraph) + closing).strip().replace("\n", "<br>")
            self.out.append(f"<p>{html}</p>\n")
        self.paragraph, self.has_text = None, False

    def finish(self) -> str:
        self.end_paragraph()
        self.out.append("</blockquote>\n" * self.quotes)
        return "".join(self.out).rstrip("\n")


def render_comment_html(body: str) -> str:
    """A comment's text as the HTML readers see: escaped, linked, in paragraphs, sanitised."""
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    builder = Builder()
    position = 0
    for match in TAG.finditer(text):
        tag = typed_tag(match)
        if tag is None:
            continue  # stays in the text, escaped
        builder.text(text[position : match.start()])
        builder.tag(tag, match[0])
        position = match.end()
    builder.text(text[position:])
    return sanitise(builder.finish())


def without_markup(text: str) -> str:
    """Typed text with its allowed tags taken out and everything else kept as it is."""
    return TAG.sub(lambda match: "" if typed_tag(match) else match[0], text)


def sanitise(html: str) -> str:
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={name: set(names) for name, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes={"http", "https"},
        link_rel=LINK_REL,
        strip_comments=True,
    )


@dataclass
class Element:
    name: str
    attrs: dict
    children: list  # Element or str


class TreeParser(HTMLParser):
    """Stored comment HTML (nh3's output, so well formed) as a small tree."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = [Element("", {}, [])]

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs), [])
        self.stack[-1].children.append(element)
        if tag != "br":
            self.stack.append(element)

    def handle_endtag(self, tag):
        if len(self.stack) > 1 and self.stack[-1].name == tag:
            self.stack.pop()

    def handle_data(self, data):
        # The stored HTML's own newlines only lay it out: the commenter's are <br>.
        self.stack[-1].children.append(data.replace("\n", ""))


def parse(body_html: str) -> Element:
    parser = TreeParser()
    parser.feed(body_html)
    parser.close()
    return parser.stack[0]


def shows_its_address(link: Element, text: str) -> bool:
    """Whether a link's text is its own address (as linkify makes them): the text, with
    http:// when it has no scheme, is the link's address (percent-escapes decoded).
    comment-reply.js applies the same test."""
    address = text if re.match(r"https?://", text, re.IGNORECASE) else f"http://{text}"
    href = link.attrs.get("href", "")
    return bool(text) and address in (href, unquote(href))


def as_text(element: Element, *, quotes: str, links: bool) -> str:
    parts = []
    for child in element.children:
        if isinstance(child, str):
            parts.append(child)
        elif child.name == "br":
            parts.append("\n")
        elif child.name == "blockquote":
            if quotes != "drop":
                inner = tidy(as_text(child, quotes=quotes, links=links))
                if quotes == "mark":
                    inner = "\n".join(f"> {line}".rstrip() for line in inner.split("\n"))
                parts.append(f"\n\n{inner}\n\n")
        elif child.name == "p":
            parts.append(f"\n\n{as_text(child, quotes=quotes, links=links)}\n\n")
        elif child.name == "a":
            text = as_text(child, quotes=quotes, links=links)
            href = child.attrs.get("href", "")
            shown = not links or shows_its_address(child, text)
            parts.append(text if shown else f"{text} ({href})")
        else:
            parts.append(as_text(child, quotes=quotes, links=links))
    return "".join(parts)


def tidy(text: str) -> str:
    text = re.sub(r"[ \t]*\n[ \t]*", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def plain_text(body_html: str, *, quotes: str = "keep", links: bool = False) -> str:
    """Stored comment HTML as plain text, paragraphs a blank line apart.

    ``quotes``: "keep" blockquotes as paragraphs, "mark" their lines with "> " (email),
    or "drop" them; ``links``: follow a link's text with its address when it differs.
    """
    return tidy(as_text(parse(body_html), quotes=quotes, links=links))


def comment_excerpt(body_html: str, limit: int = 80) -> str:
    """A one-line excerpt of a comment's own words (what it quotes only if nothing else)."""
    text = " ".join(plain_text(body_html, quotes="drop").split())
    text = text or " ".join(plain_text(body_html).split())
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def as_markup(element: Element) -> str:
    parts = []
    for child in element.children:
        if isinstance(child, str):
            parts.append(child)
        elif child.name == "br":
            parts.append("\n")
        elif child.name == "p":
            parts.append(f"\n\n{as_markup(child)}\n\n")
        elif child.name == "a":
            text = as_markup(child)
            if shows_its_address(child, text):
                parts.append(text)
            else:
                attributes = "".join(
                    f' {name}="{escape(child.attrs[name])}"'
                    for name in ("href", "title")
                    if child.attrs.get(name)
                )
                parts.append(f"<a{attributes}>{text}</a>")
        elif child.name in INLINE_TAGS:
            parts.append(f"<{child.name}>{as_markup(child)}</{child.name}>")
        # A blockquote is left out: quoting a comment does not repeat what it quoted.
    return "".join(parts)


def quote_markup(body_html: str) -> str:
    """What "Quote" puts in the comment form: the comment's own words in a blockquote,
    in the markup a commenter types (comment-reply.js builds the same from the page)."""
    words = tidy(as_markup(parse(body_html)))
    return f"<blockquote>{words}</blockquote>\n\n" if words else ""
