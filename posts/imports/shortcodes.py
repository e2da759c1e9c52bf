"""WordPress's shortcodes and markers in post content, turned into what a reader saw.

WordPress runs shortcodes when it shows a post; msblog never runs anything a file says,
and does not host the blog's media. So, in the order WordPress applies them:

* ``<!--more-->``, ``<!--nextpage-->`` and ``<!--noteaser-->`` are dropped: the whole
  post is one page. One alone on its line is a paragraph break, never an empty one.
* A web address alone on its line (WordPress's automatic embed) becomes a link.
* After the paragraphs (``markup.wpautop``): ``[caption]`` becomes a figure with its
  caption; ``[embed]`` a link; ``[gallery]`` (its ``ids``, or the post's own
  attachments), ``[playlist]``, ``[audio]`` and ``[video]`` a short note linking each
  file ("Gallery: Lecture hall, Slide 12"), the files staying where the old site keeps
  them.
* Any other shortcode stays visible as text.
"""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.utils.html import escape, format_html, format_html_join


@dataclass(frozen=True)
class Attachment:
    """A media item of a WordPress export: its address, title and the post it belongs to."""

    url: str
    title: str = ""
    parent: str = ""


ATTRIBUTES = re.compile(r"""(\w+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s\]]+))""")
MARKER_LINE = re.compile(r"^[ \t]*<!--(?:more|nextpage|noteaser)\b.*?-->[ \t]*$", re.M | re.I)
MARKER = re.compile(r"<!--(?:more|nextpage|noteaser)\b.*?-->", re.I)
BARE_URL_LINE = re.compile(r"^[ \t]*(https?://[^\s<>\"\[\]]+)[ \t]*$", re.M)
# A caption that wpautop put in a paragraph of its own comes out of it, since a figure
# cannot sit inside a <p>.
CAPTION = re.compile(
    r"(<p>\s*)?\[(caption|wp_caption)([^\]]*)\](.*?)\[/\2\](\s*</p>)?", re.S | re.I
)
CAPTION_MEDIA = re.compile(r"^\s*((?:<a\s[^>]*>\s*)?<img\s[^>]*>(?:\s*</a>)?)(.*)$", re.S | re.I)
EMBED = re.compile(r"\[embed[^\]]*\]\s*(https?://[^\s\[\]<>\"]+)\s*\[/embed\]", re.I)
MEDIA = re.compile(r"\[(gallery|playlist|audio|video)\b([^\]]*)\](?:\s*\[/\1\])?", re.I)
SOURCES = {
    "audio": ("src", "mp3", "m4a", "ogg", "wav", "wma", "flac"),
    "video": ("src", "mp4", "m4v", "webm", "ogv", "wmv", "flv"),
}
LABELS = {"gallery": "Gallery", "playlist": "Playlist", "audio": "Audio", "video": "Video"}


def attributes(text: str) -> dict[str, str]:
    return {m[1].lower(): m[2] or m[3] or m[4] or "" for m in ATTRIBUTES.finditer(text)}


def before_paragraphs(text: str) -> str:
    """Markers dropped and lone addresses linked, before wpautop makes paragraphs."""
    text = MARKER_LINE.sub("\n", text)
    text = MARKER.sub("", text)
    return BARE_URL_LINE.sub(lambda m: format_html('<a href="{0}">{0}</a>', m[1]), text)


def after_paragraphs(
    text: str, *, attachments: dict[str, Attachment] | None = None, gallery=()
) -> str:
    """[caption], [embed] and the media shortcodes, after wpautop (as in WordPress)."""
    attachments = attachments or {}
    text = CAPTION.sub(caption, text)
    text = EMBED.sub(lambda m: f'<a href="{escape(m[1])}">{escape(m[1])}</a>', text)
    return MEDIA.sub(lambda m: media_note(m, attachments, list(gallery)), text)


def caption(match: re.Match) -> str:
    attrs = attributes(match[3])
    media = CAPTION_MEDIA.match(match[4])
    if media is None:
        return match[0]
    label = re.sub(r"^(<br />\s*)+", "", media[2].strip()) or escape(attrs.get("caption", ""))
    figure = f"<figure>{media[1]}<figcaption>{label}</figcaption></figure>"
    # Keep the paragraph around it balanced when the caption shares it with text.
    close_before = "</p>" if match[1] is None and match[5] is not None else ""
    open_after = "<p>" if match[1] is not None and match[5] is None else ""
    return f"{close_before}{figure}{open_after}"


def media_note(match: re.Match, attachments: dict, gallery: list[Attachment]) -> str:
    kind = match[1].lower()
    attrs = attributes(match[2])
    if kind in SOURCES:
        urls = [attrs[key] for key in SOURCES[kind] if attrs.get(key)]
        files = [Attachment(url=url) for url in dict.fromkeys(urls)]
    elif attrs.get("ids"):
        ids = [i.strip() for i in attrs["ids"].split(",") if i.strip()]
        files = [attachments[i] for i in ids if i in attachments]
        if len(files) < len(ids):
            missing = len(ids) - len(files)
            files.append(Attachment(url="", title=f"{missing} not in the export"))
    else:
        files = gallery
    if kind in SOURCES and not files:
        files = [a for a in gallery if guess_kind(a.url) == kind]
    if not files:
        return f"{LABELS[kind]}: no files in the export"
    links = format_html_join(
        ", ",
        "{}",
        (
            (format_html('<a href="{}">{}</a>', a.url, name(a)) if a.url else a.title,)
            for a in files
        ),
    )
    return format_html("{}: {}", LABELS[kind], links)


def name(attachment: Attachment) -> str:
    return attachment.title or urlsplit(attachment.url).path.rpartition("/")[2] or attachment.url


def guess_kind(url: str) -> str:
    extension = urlsplit(url).path.rpartition(".")[2].lower()
    for kind, keys in SOURCES.items():
        if extension in keys:
            return kind
    return "image"
