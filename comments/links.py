"""Web addresses in what commenters write: which ones become links, and where they end.

Only http and https addresses are ever links, in a comment's text and as its author's
website: ``javascript:``, ``data:``, ``mailto:`` or anything else stays text, whatever
an old database or a hand-written import holds.

Where an address ends (README "Comments", "Links in comments"). Captured pages lost the
space or line break after many links, so the address runs into the next sentence:
``…/PMC3593763/I don't think``, ``…WC500150522.pdfI believe``,
``…idUSLDE62705720100308Now, also`` and, before one, ``reported.http://…``. The rule:

* an address starts at ``http://``, ``https://`` or ``www.`` even inside a word, or is a
  bare domain ending in .com, .org, .net, .edu, .gov, .int or .mil (as Django's urlize);
* it ends at a space, a quote mark or ``<``/``>``;
* trailing punctuation (``.,:;!?*'``, a closing bracket without its opening one) is
  not part of it;
* a capitalised word glued to its end is the next sentence, not part of the address,
  where no address would continue that way: after a file extension (``.pdf``,
  ``.html``…), after four or more digits (``…0308Now``), and, for the one-letter words
  "I" and "A" only, after a slash (``…/I``). Wikipedia-style ``/wiki/Alemtuzumab`` keeps
  its word, and so does anything after a slash but those two letters.
"""

from __future__ import annotations

import re
from html import escape
from urllib.parse import urlsplit

from django.utils.html import smart_urlquote

WEB_SCHEMES = frozenset({"http", "https"})

# Where an address may begin: a scheme or "www." anywhere (captures glue them to the word
# before), or a bare domain with one of the endings Django's urlize knows, found by its
# ending and read backwards (one pass over the text, not a search at every word).
ADDRESS_HINT = re.compile(
    r"https?://|www\.|\.(?:com|org|net|edu|gov|int|mil)(?![\w-])", re.IGNORECASE
)
# A host name in its ASCII form (maybe ending in a dot), an IPv4 or an IPv6 address.
HOST = re.compile(r"^(?:[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?\.?|[0-9a-f:.]+)$")
DOMAIN_ENDINGS = (".com", ".org", ".net", ".edu", ".gov", ".int", ".mil")
DOMAIN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")
# An address runs until a space, a control character, markup or a quote mark.
ADDRESS_BODY = re.compile(r"[^\s\x00-\x1f<>\"“”‘’«»]*")
TRAILING_PUNCTUATION = ".,:;!?*'"
BRACKETS = {")": "(", "]": "[", "}": "{"}
# A capitalised word (I, A, Now, Don't) glued to the end of an address, maybe after a
# full stop; and what must come before it for it to be the next sentence.
GLUED_TAIL = re.compile(r"([.!?]?)((?:I|A|[A-Z][a-z]+)(?:'[a-z]{1,2})?)$")
ENDS_WITH_EXTENSION = re.compile(
    r"\.(?:pdf|html?|php|aspx?|jsp|cfm|docx?|xlsx?|pptx?|txt|jpe?g|png|gif)$", re.IGNORECASE
)
ENDS_WITH_DIGITS = re.compile(r"\d{4}$")
LINK_TEMPLATE = '<a href="{href}" rel="nofollow ugc noopener">{text}</a>'


def is_web_address(url: str) -> bool:
    """Whether ``url`` is an absolute http(s) address with a real host name, safe to put
    in a link."""
    if not url or url != url.strip() or any(ord(c) < 32 or c == "\x7f" for c in url):
        return False
    try:
        parts = urlsplit(url)
        name = parts.hostname or ""
        host = name.encode("idna").decode("ascii")
    except (ValueError, UnicodeError):
        return False
    # Letters of any script, but nothing the IDNA codec would quietly drop (invisible
    # joiners), which browsers and nh3 would refuse.
    letters = all(c.isalnum() or c in ".-:" for c in name)
    return parts.scheme.lower() in WEB_SCHEMES and letters and bool(HOST.match(host))


def find_addresses(text: str):
    """Yield (start, end) of each web address in plain ``text``, by the rule above."""
    if not may_hold_address(text):
        return
    position = 0
    while hint := ADDRESS_HINT.search(text, position):
        start = address_start(text, hint)
        end = start + len(address_proper(ADDRESS_BODY.match(text, start)[0])) if start >= 0 else 0
        # After a scheme or "www." something must follow; a bare domain may end there.
        shortest = hint.end() + (hint[0][0] != ".")
        if end >= shortest and is_web_address(href_for(text[start:end])):
            yield start, end
            position = end
        else:
            position = hint.end()


def may_hold_address(text: str) -> bool:
    """A quick test that spares most comments, which hold no address, the search."""
    lowered = text.lower()
    return "://" in lowered or "www." in lowered or any(e in lowered for e in DOMAIN_ENDINGS)


def address_start(text: str, hint: re.Match) -> int:
    """Where the address ``hint`` found begins, or -1 if it is not one."""
    start = hint.start()
    if hint[0][0] in "hH":  # a scheme: anywhere
        return start
    if hint[0][0] == ".":  # a domain's ending: go back to the domain's first letter
        while start and text[start - 1] in DOMAIN_CHARS:
            start -= 1
        if not text[start].isalnum():
            return -1
    before = text[start - 1] if start else " "
    # Not the middle of a word, an email address or another scheme's address (ftp://).
    return -1 if before.isalnum() or before in "_.@-/:" else start


def address_proper(candidate: str) -> str:
    """``candidate`` without trailing punctuation and without a glued next sentence."""
    candidate = strip_trailing(candidate)
    tail = GLUED_TAIL.search(candidate)
    if tail is None or not tail.start():
        return candidate
    head, stop, word = candidate[: tail.start()], tail[1], tail[2]
    glued = ENDS_WITH_EXTENSION.search(head) or ENDS_WITH_DIGITS.search(head)
    if not glued and not stop and head.endswith("/"):
        glued = word[0] in "IA" and (len(word) == 1 or word[1] == "'")
    return strip_trailing(head) if glued else candidate


def strip_trailing(candidate: str) -> str:
    while candidate and is_trailing(candidate):
        candidate = candidate[:-1]
    return candidate


def is_trailing(candidate: str) -> bool:
    last = candidate[-1]
    if last in BRACKETS:  # part of the address only with its opening bracket
        return candidate.count(BRACKETS[last]) < candidate.count(last)
    return last in TRAILING_PUNCTUATION


def href_for(address: str) -> str:
    """The address a link points to: as written, with http:// added when it has none."""
    if address[:7].lower() == "http://" or address[:8].lower() == "https://":
        return address
    return f"http://{address}"


def linkify(text: str) -> str:
    """Plain ``text`` as HTML: escaped, each web address a link (nofollow, ugc)."""
    parts = []
    position = 0
    for start, end in find_addresses(text):
        address = text[start:end]
        parts.append(escape(text[position:start], quote=False))
        href = escape(smart_urlquote(href_for(address)))
        parts.append(LINK_TEMPLATE.format(href=href, text=escape(address, quote=False)))
        position = end
    parts.append(escape(text[position:], quote=False))
    return "".join(parts)
