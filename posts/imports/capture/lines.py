"""A capture as lines: decoding, indentation, and the markers and chrome every part of
the parser recognises."""

import re
import unicodedata
from dataclasses import dataclass

BULLET = "•"
MARKER_RE = re.compile(r"^(?P<marker>•|\d+\.)\s+(?P<text>.*)$")
# A byline names someone: capitalised words ("By MouseDoctor", "By Prof G"), so that a
# sentence starting "By the end of…" stays in the body.
BYLINE_RE = re.compile(r"^By (?P<name>[A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*){0,3})$")
CHROME_RE = re.compile(
    r"^(Leave a Reply.*|Discover more from .*|Subscribe now to keep reading.*|Continue reading"
    r"|%d bloggers like this:?|Recent Posts|Recent Comments|Share this:?|Like this:?|Like"
    r" Loading\.\.\.)$"
)


class CaptureError(ValueError):
    """A capture that cannot be read; ``line`` is 1-based (0 for the whole file)."""

    def __init__(self, line: int, message: str):
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Line:
    number: int
    indent: int
    text: str  # without indentation or trailing whitespace

    @property
    def blank(self) -> bool:
        return not self.text


def decode_capture(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CaptureError(line, f"not valid UTF-8 (byte {data[exc.start]:#04x})") from None


def split_lines(text: str) -> list[Line]:
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        raw = raw.rstrip()
        bad = next((ch for ch in raw if is_forbidden_control(ch)), None)
        if bad is not None:
            raise CaptureError(number, f"control character U+{ord(bad):04X} is not allowed")
        stripped = raw.lstrip(" ")
        if stripped.startswith("\t"):
            raise CaptureError(number, "indentation must be spaces, not tabs")
        lines.append(Line(number, len(raw) - len(stripped), stripped))
    return lines


def is_forbidden_control(ch: str) -> bool:
    return ch != "\t" and unicodedata.category(ch) == "Cc"


def skip_blank(lines: list[Line], position: int) -> int:
    while position < len(lines) and lines[position].blank:
        position += 1
    return position


def is_chrome(line: Line) -> bool:
    if line.indent:
        return False
    return bool(CHROME_RE.match(line.text) or BYLINE_RE.match(line.text))


def group_blocks(lines: list[Line]) -> list[list[Line]]:
    """Split lines into runs separated by blank lines."""
    groups: list[list[Line]] = []
    current: list[Line] = []
    for line in lines:
        if line.blank:
            if current:
                groups.append(current)
                current = []
        else:
            current.append(line)
    if current:
        groups.append(current)
    return groups
