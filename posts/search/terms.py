"""What a reader typed in the search box, read the way web search engines read it.

``alemtuzumab "first line" -mexico`` needs both the word and the phrase and not the
excluded word; ``ocrelizumab or rituximab`` needs either. PostgreSQL reads the raw text
itself (websearch_to_tsquery); SQLite's FTS5 and the plain-text fallback use this parse,
where every term is quoted, so nothing a reader types is FTS5 syntax.
"""

import re
from dataclasses import dataclass, field

MAX_LENGTH = 200
TOKEN_RE = re.compile(r'(-?)"([^"]*)"?|(\S+)')
WORD_RE = re.compile(r"\w")


@dataclass
class ParsedQuery:
    # Every group must match; a group matches when any of its terms does.
    groups: list[list[str]] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)

    def __bool__(self):
        return bool(self.groups)

    @property
    def terms(self) -> list[str]:
        return [term for group in self.groups for term in group]

    def fts5(self) -> str:
        """The query as an FTS5 MATCH expression, every term a quoted string."""
        if not self.groups:
            return ""
        required = " AND ".join(
            "(" + " OR ".join(fts5_string(term) for term in group) + ")" for group in self.groups
        )
        return "".join([f"({required})", *(f" NOT {fts5_string(t)}" for t in self.excluded)])


def fts5_string(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def parse_query(text: str) -> ParsedQuery:
    parsed = ParsedQuery()
    join_next = False
    for match in TOKEN_RE.finditer(text[:MAX_LENGTH]):
        negated, phrase, word = match.groups()
        if word is not None and word.lower() == "or" and parsed.groups:
            join_next = True
            continue
        if word is not None and word.startswith("-") and len(word) > 1:
            negated, word = "-", word[1:]
        term = " ".join((phrase if word is None else word).split())
        if not WORD_RE.search(term):
            continue
        if negated:
            parsed.excluded.append(term)
        elif join_next:
            parsed.groups[-1].append(term)
        else:
            parsed.groups.append([term])
        join_next = False
    return parsed
