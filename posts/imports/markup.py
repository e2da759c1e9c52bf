"""Source markup into what msblog stores.

Post bodies stay HTML, passed through the same nh3 allow-list the page uses, so what is
stored is already what a reader can be shown. WordPress stores classic-editor posts as
text with blank lines between paragraphs and adds the <p> and <br> when it shows them
(``wpautop``); ``wpautop`` below is a port of its essential rules. Block-editor content
(``<!-- wp:… -->``) is left alone, as WordPress itself does. Shortcodes and markers are
turned into what a reader saw (posts.imports.shortcodes); none is ever run.

Comment bodies are what a commenter types here (comments.markup): text with blank lines
between paragraphs and a little markup. ``html_to_comment`` turns another platform's
comment HTML into that form and keeps every word: the markup a commenter may type
(links to web addresses, emphasis, strong, code, blockquotes) stays, paragraphs and line
breaks become newlines, any other element becomes its text (a link elsewhere adds its
address when the text does not show it), script and style contents are dropped,
entities are decoded. ``comment_to_html`` is the way back, for WordPress: the markup as
typed, everything else escaped, newlines kept for WordPress's own paragraphs. An export
read back gives the same text. ``html_to_text`` is the plain-text form, for excerpts.
"""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.utils.html import escape

from comments.markup import INLINE_TAGS, typed_tag
from comments.markup import TAG as TYPED_TAG
from posts.html import clean_post_html
from posts.imports import shortcodes
from posts.imports.shortcodes import Attachment

BLOCKS = (
    r"(?:table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|pre"
    r"|form|map|area|blockquote|address|math|style|p|h[1-6]|hr|fieldset|legend|section"
    r"|article|aside|hgroup|header|footer|nav|figure|figcaption|details|menu|summary)"
)
OPEN_BLOCK = re.compile(rf"(<{BLOCKS}[\s/>])", re.I)
CLOSE_BLOCK = re.compile(rf"(</{BLOCKS}>)", re.I)
BLOCK_TAG = rf"</?{BLOCKS}[^>]*>"
TAG = re.compile(r"<[^<>]*>")
BLOCK_EDITOR = re.compile(r"<!--\s*/?wp:")
# What export_wxr wraps a body in: WordPress shows a Custom HTML block as it is.
HTML_BLOCK_OPEN = "<!-- wp:html -->\n"
HTML_BLOCK_CLOSE = "\n<!-- /wp:html -->"
NEWLINE_MARK = "\x00wpnl\x00"


def wpautop(text: str) -> str:
    """Blank-line-separated text into <p> paragraphs, single newlines into <br>, leaving
    block-level HTML and <pre> contents as they are (WordPress's wpautop, br=true)."""
    if not text.strip():
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n") + "\n"
    preserved: dict[str, str] = {}

    def keep(match: re.Match) -> str:
        mark = f"<pre wp-pre-tag-{len(preserved)}></pre>"
        preserved[mark] = match[0]
        return mark

    text = re.sub(r"<pre[\s>].*?</pre>", keep, text, flags=re.S | re.I)
    # Newlines inside a tag are attribute whitespace, not line breaks.
    text = TAG.sub(lambda m: m[0].replace("\n", NEWLINE_MARK), text)
    text = re.sub(r"<br\s*/?>\s*<br\s*/?>", "\n\n", text, flags=re.I)
    text = OPEN_BLOCK.sub(r"\n\n\1", text)
    text = CLOSE_BLOCK.sub(r"\1\n\n", text)
    text = re.sub(r"<hr\s*?/?>", "<hr />\n\n", text, flags=re.I)
    text = re.sub(r"\n\n+", "\n\n", text)
    paragraphs = [p.strip("\n") for p in re.split(r"\n\s*\n", text)]
    text = "".join(f"<p>{p}</p>\n" for p in paragraphs if p.strip())
    text = re.sub(r"<p>\s*</p>", "", text)
    text = re.sub(r"<p>([^<]+)</(div|address|form)>", r"<p>\1</p></\2>", text, flags=re.I)
    text = re.sub(rf"<p>\s*({BLOCK_TAG})\s*</p>", r"\1", text, flags=re.I)
    text = re.sub(r"<p>(<li.+?)</p>", r"\1", text, flags=re.I)
    text = re.sub(r"<p><blockquote([^>]*)>", r"<blockquote\1><p>", text, flags=re.I)
    text = text.replace("</blockquote></p>", "</p></blockquote>")
    text = re.sub(rf"<p>\s*({BLOCK_TAG})", r"\1", text, flags=re.I)
    text = re.sub(rf"({BLOCK_TAG})\s*</p>", r"\1", text, flags=re.I)
    text = re.sub(
        r"<(script|style|svg|math)[\s>].*?</\1>",
        lambda m: m[0].replace("\n", NEWLINE_MARK),
        text,
        flags=re.S | re.I,
    )
    text = re.sub(r"<br\s*/?>", "<br />", text, flags=re.I)
    text = re.sub(r"(?<!<br />)\s*\n", "<br />\n", text)
    text = re.sub(rf"({BLOCK_TAG})\s*<br />", r"\1", text, flags=re.I)
    text = re.sub(
        r"<br />(\s*</?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)[^>]*>)", r"\1", text, flags=re.I
    )
    text = re.sub(r"\n</p>$", "</p>", text)
    text = text.replace(NEWLINE_MARK, "\n")
    for mark, block in preserved.items():
        text = text.replace(mark, block)
    return text.strip()


def sanitize_html(html: str) -> str:
    """The allow-list the post page applies (posts.html), applied before storing."""
    return clean_post_html(html)


def wordpress_content_to_html(
    content: str, *, attachments: dict[str, Attachment] | None = None, gallery=()
) -> str:
    """A WordPress post_content, as WordPress would show it, made safe to store."""
    if content.startswith(HTML_BLOCK_OPEN) and content.endswith(HTML_BLOCK_CLOSE):
        # msblog's own export: the HTML exactly as it was stored.
        inner = content[len(HTML_BLOCK_OPEN) : -len(HTML_BLOCK_CLOSE)]
        if not BLOCK_EDITOR.search(inner):
            return sanitize_html(inner)
    content = shortcodes.before_paragraphs(content)
    if not BLOCK_EDITOR.search(content):
        content = wpautop(content)
    html = shortcodes.after_paragraphs(content, attachments=attachments, gallery=gallery)
    return sanitize_html(html).strip()


PARAGRAPH_TAGS = {
    "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p",
    "pre", "section", "table", "tr", "ul",
}  # fmt: skip
HIDDEN_TAGS = {"script", "style", "template", "noscript", "iframe", "object"}
LINK_SCHEMES = {"http", "https"}


class TextExtractor(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.links: list[tuple[str, int]] = []  # (href, index of the link text's first part)
        self.after_br = False

    def handle_starttag(self, tag, attrs):
        self.after_br = False
        if tag in HIDDEN_TAGS:
            self.hidden += 1
        elif self.hidden:
            return
        elif tag == "br":
            self.parts.append("\n")
            self.after_br = True  # wpautop's rule: a newline right after <br> is the same break
        elif tag in PARAGRAPH_TAGS:
            self.parts.append("\n\n")
        elif tag == "a":
            self.links.append((dict(attrs).get("href") or "", len(self.parts)))
        elif tag == "img":
            alt = (dict(attrs).get("alt") or "").strip()
            if alt:
                self.parts.append(f"[{alt}]")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in HIDDEN_TAGS:
            self.hidden -= 1

    def handle_endtag(self, tag):
        self.after_br = False
        if tag in HIDDEN_TAGS:
            self.hidden = max(0, self.hidden - 1)
        elif self.hidden:
            return
        elif tag in PARAGRAPH_TAGS:
            self.parts.append("\n\n")
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            label = "".join(self.parts[start:])
            if shows_address(href) and not same_address(href, label):
                self.parts.append(f" ({href.strip()})")

    def handle_data(self, data):
        if self.hidden:
            return
        if self.after_br and data.startswith("\n"):
            data = data[1:]
        self.after_br = False
        self.parts.append(data)


def shows_address(href: str) -> bool:
    return urlsplit(href.strip()).scheme.lower() in LINK_SCHEMES


def same_address(href: str, label: str) -> bool:
    def bare(url: str) -> str:
        return re.sub(r"^[a-z]+://(www\.)?", "", url.strip().lower()).rstrip("/")

    return bool(label.strip()) and bare(href) in bare(label)


class CommentExtractor(TextExtractor):
    """TextExtractor that keeps the markup a commenter may type here."""

    def __init__(self):
        super().__init__()
        self.kept: list[str] = []  # the typed tags left open, innermost last

    def handle_starttag(self, tag, attrs):
        typed = None if self.hidden else self.typed_start(tag, attrs)
        if typed is None:
            super().handle_starttag(tag, attrs)
        else:
            self.after_br = False
            self.parts.append(typed)
            self.kept.append(tag)

    def handle_endtag(self, tag):
        if self.hidden or tag not in self.kept:
            super().handle_endtag(tag)
            return
        self.after_br = False
        while self.kept:  # closing an outer tag closes what is open inside it, as browsers do
            name = self.kept.pop()
            self.parts.append(f"</{name}>")
            if name == tag:
                break

    def typed_start(self, tag: str, attrs: list) -> str | None:
        """The start tag as a commenter here would type it, or None to keep only its text."""
        if tag == "blockquote":
            return "<blockquote>"
        if tag not in INLINE_TAGS:
            return None
        if tag == "a" and "a" in self.kept:
            return None
        raw = self.get_starttag_text() or ""
        if (match := TYPED_TAG.fullmatch(raw)) and typed_tag(match):
            return raw  # as written: an export read back is the same text
        if tag != "a":
            return f"<{tag}>"
        values = dict(attrs)
        spelled = "".join(
            f' {name}="{escape(values[name].strip())}"'
            for name in ("href", "title")
            if (values.get(name) or "").strip()
        )
        match = TYPED_TAG.fullmatch(f"<a{spelled}>")
        return match[0] if match and typed_tag(match) else None


def extracted(parser: TextExtractor, html: str) -> str:
    parser.feed(html.replace("\r\n", "\n").replace("\r", "\n"))
    parser.close()
    text = "".join(parser.parts).replace("\xa0", " ")
    text = re.sub(r"[ \t]*\n[ \t]*\n\s*", "\n\n", text)
    return text.strip()


def html_to_text(html: str) -> str:
    """Comment or excerpt HTML as plain text with blank lines between paragraphs."""
    return extracted(TextExtractor(), html)


def html_to_comment(html: str) -> str:
    """Another platform's comment HTML as the text a commenter would type here."""
    text = extracted(CommentExtractor(), html)
    # A quote's own paragraphs leave blank lines just inside it, which say nothing.
    text = re.sub(r"(<blockquote>)[ \t]*\n\s*\n\s*", r"\1", text, flags=re.I)
    return re.sub(r"\s*\n\s*\n[ \t]*(</blockquote>)", r"\1", text, flags=re.I)


def text_to_html(text: str) -> str:
    """Plain text as WordPress excerpt content: escaped; newlines kept, since WordPress
    turns them into paragraphs when it shows the text."""
    return escape(text)


def comment_to_html(body: str) -> str:
    """A comment's text as WordPress comment content: the markup it types as HTML, all else
    escaped (a closing tag with nothing to close too), newlines kept (WordPress makes
    paragraphs of them, as we do)."""
    parts, position, open_tags = [], 0, []
    for match in TYPED_TAG.finditer(body):
        tag = typed_tag(match)
        if tag is None or (tag.closing and tag.name != "p" and tag.name not in open_tags):
            continue
        if tag.closing and tag.name != "p":
            open_tags.remove(tag.name)
        elif tag.name != "p":
            open_tags.append(tag.name)
        parts += [escape(body[position : match.start()]), match[0]]
        position = match.end()
    parts.append(escape(body[position:]))
    return "".join(parts)
