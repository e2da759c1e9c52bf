"""The neutral form every parser produces, and the problems it can report."""

import datetime
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with one item of a file, named by file and line."""

    path: Path
    line: int
    message: str
    # False for what --skip-bad cannot leave out: a file that cannot be read at all.
    skippable: bool = True

    def __str__(self) -> str:
        return (
            f"{self.path}:{self.line}: {self.message}"
            if self.line
            else f"{self.path}: {self.message}"
        )


class ImportRefused(Exception):
    """One or more problems, each named by file and line; nothing has been written."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems

    @property
    def skippable(self) -> bool:
        return all(problem.skippable for problem in self.problems)


def refuse(path: Path, line: int, message: str) -> ImportRefused:
    """A whole file refused: bad input that no --skip-bad can leave out."""
    return ImportRefused([Problem(path, line, message, skippable=False)])


@dataclass(slots=True)
class SourceComment:
    ref: str  # Comment.import_ref: the source's own id
    line: int
    label: str  # how messages name it, e.g. "comment 12"
    parent_ref: str | None
    author_name: str
    body: str
    status: str
    created_at: datetime.datetime
    author_email: str = ""
    author_url: str = ""
    ip_address: str | None = None
    placeholder: bool = False
    username: str = ""  # a staff account the comment was written from, if the file says
    # For a spam or removed comment: the status it had before (restoring returns to it).
    status_before: str = ""
    # Other Comment fields the source carries (edited_at, moderation_reason…); a field
    # the source does not name is left as the site has it.
    extra: dict = field(default_factory=dict)
    original: str = ""  # the text as captured, when the import repaired it (mojibake)
    undated: bool = False  # the source has no date: created_at is its post's, kept later


@dataclass(frozen=True, slots=True)
class SourceRelated:
    position: int
    published_on: datetime.date | None
    text: str
    url: str = ""


@dataclass(frozen=True, slots=True)
class SourceCategory:
    slug: str
    name: str
    parent_slug: str = ""
    description: str = ""


@dataclass(slots=True)
class PostFields:
    """What a source says about a post itself (absent when only comments are imported)."""

    title: str
    slug: str
    author_name: str
    lede: str
    body: str
    status: str  # "published", "draft" or "private"
    published_at: datetime.datetime
    updated_at: datetime.datetime | None = None
    comments_open: bool = True
    coi: str = ""
    postscript: str = ""
    author_bio: str = ""
    author_slug: str = ""  # the source's login or nicename, for a new author's address
    kind: str = "post"  # or "page"
    parent_ref: str | None = None  # a page's parent page (its import reference)
    password: str = ""
    tags: list[tuple[str, str]] = field(default_factory=list)  # (name, slug hint)
    categories: list[str] = field(default_factory=list)  # slugs, defined in the file
    urls: list[str] = field(default_factory=list)  # old addresses that should redirect
    # Addresses that may redirect, unless another post has them (WordPress's guid).
    loose_urls: list[str] = field(default_factory=list)
    undated: bool = False  # the source has no date: published_at is the import's time
    related: list[SourceRelated] | None = None  # None: the source has no such block


@dataclass(slots=True)
class SourcePost:
    ref: str  # Post.import_ref
    line: int
    label: str
    path: Path
    fields: PostFields | None  # None: attach comments to an existing post
    post_id: int | None = None  # an existing post already matched by the parser
    comments: list[SourceComment] = field(default_factory=list)
    # Texts the import repaired (mojibake), as captured: {"body": …, "title": …}.
    originals: dict[str, str] = field(default_factory=dict)


@dataclass
class ParsedFile:
    path: Path
    posts: list[SourcePost] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Items deliberately not imported, by kind ("attachment", "pingback", …): not errors.
    not_imported: dict[str, int] = field(default_factory=dict)
    # What the parser wants the report to say about the file (rules it applied).
    notes: list[str] = field(default_factory=list)
    categories: dict[str, SourceCategory] = field(default_factory=dict)  # by slug

    def problem(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, message))

    def leave_out(self, kind: str) -> None:
        self.not_imported[kind] = self.not_imported.get(kind, 0) + 1
