"""Read a Disqus export (XML) into comments for posts that are already here.

Choices:

* A Disqus thread is matched to a post or page by its link: the path and query of the
  link (scheme, host and ``www.``, a trailing slash, any #fragment, and the case of
  percent-escapes ignored) against each post's own address and its original URLs, the
  addresses that redirect to it. A thread without comments is ignored; one with
  comments that matches no post is a bad item.
* Status: ``isSpam`` -> spam, else ``isDeleted`` (of the comment, or of its whole
  thread) -> removed, else ``isApproved`` false -> pending, else approved. ``parent``
  gives the threading.
* A comment's reference is ``disqus:{forum}/{Disqus id}``.
"""

import datetime
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from posts.imports import xmlstream
from posts.imports.markup import html_to_comment
from posts.imports.progress import Progress
from posts.imports.records import ParsedFile, SourceComment, SourcePost
from posts.models import OriginalURL, Post

NS = "{http://disqus.com}"
DSQ_ID = "{http://disqus.com/disqus-internals}id"


def parse_disqus(path: Path, *, progress: Progress | None = None) -> ParsedFile:
    parsed = ParsedFile(path)
    threads: dict[str, dict] = {}
    comments: dict[str, list[SourceComment]] = {}
    root_checked = False
    for element in xmlstream.elements(path, (f"{NS}thread", f"{NS}post"), progress=progress):
        parent = element.getparent()
        if not root_checked:
            if element.getroottree().getroot().tag != f"{NS}disqus":
                raise xmlstream.refuse(path, 1, "not a Disqus export: no <disqus> root")
            root_checked = True
        if parent is None or parent.tag != f"{NS}disqus":
            continue  # <thread dsq:id=…/> inside a post: read with the post
        if element.tag == f"{NS}thread":
            threads[element.get(DSQ_ID, "")] = {
                "line": element.sourceline,
                "link": value(element, "link"),
                "title": value(element, "title"),
                "forum": value(element, "forum"),
                "deleted": flag(element, "isDeleted"),
            }
        else:
            read_post(parsed, element, threads, comments)
        xmlstream.release(element)
    if not root_checked:
        raise xmlstream.refuse(path, 0, "not a Disqus export: no threads or posts")
    index = address_index()
    for thread_id, thread_comments in comments.items():
        thread = threads[thread_id]
        label = f"thread {thread_id} ({thread['link']})"
        post_id = index.get(address_key(thread["link"]))
        if post_id is None:
            parsed.problem(thread["line"], f"{label}: no post here has this address")
            continue
        post = SourcePost(
            ref=f"disqus:{thread['forum']}/thread-{thread_id}",
            line=thread["line"],
            label=label,
            path=path,
            fields=None,
            post_id=post_id,
            comments=thread_comments,
        )
        parsed.posts.append(post)
    return parsed


def value(element, name: str) -> str:
    return xmlstream.text(element.find(f"{NS}{name}")).strip()


def flag(element, name: str, default: bool = False) -> bool:
    text = value(element, name).lower()
    return default if not text else text == "true"


def read_post(parsed: ParsedFile, element, threads: dict, comments: dict) -> None:
    disqus_id = element.get(DSQ_ID, "")
    line = element.sourceline
    label = f"comment {disqus_id or '(no dsq:id)'}"
    thread_element = element.find(f"{NS}thread")
    thread_id = thread_element.get(DSQ_ID, "") if thread_element is not None else ""
    thread = threads.get(thread_id)
    try:
        created_at = datetime.datetime.fromisoformat(value(element, "createdAt"))
    except ValueError:
        created_at = None
    wrong = [
        what
        for what, bad in (
            ("no dsq:id", not disqus_id),
            (
                "no thread" if not thread_id else f"its thread {thread_id} is not in the file",
                thread is None,
            ),
            ("no valid createdAt", created_at is None or created_at.tzinfo is None),
        )
        if bad
    ]
    if wrong:
        parsed.problem(line, f"{label}: {'; '.join(wrong)}")
        return
    forum = thread["forum"]
    parent = element.find(f"{NS}parent")
    parent_id = parent.get(DSQ_ID, "") if parent is not None else ""
    if flag(element, "isSpam"):
        status = "spam"
    elif flag(element, "isDeleted") or thread["deleted"]:
        status = "removed"
    elif not flag(element, "isApproved", default=True):
        status = "pending"
    else:
        status = "approved"
    comments.setdefault(thread_id, []).append(
        SourceComment(
            ref=f"disqus:{forum}/{disqus_id}",
            line=line,
            label=label,
            parent_ref=f"disqus:{forum}/{parent_id}" if parent_id else None,
            author_name=value(element, "author/{http://disqus.com}name"),
            body=html_to_comment(value(element, "message")),
            status=status,
            created_at=created_at,
            author_email=value(element, "author/{http://disqus.com}email"),
            ip_address=value(element, "ipAddress") or None,
        )
    )


def address_key(url: str) -> str:
    """What a link and a post's address are compared by: path and query, with every
    percent-escape written the same way (so %e7 is %E7, and é is %C3%A9)."""
    parts = urlsplit(url.strip())
    path = quote(unquote(parts.path), safe="/:@!$&'()*+,;=-._~").rstrip("/") or "/"
    query = quote(unquote(parts.query), safe="=&/:@!$'()*+,;-._~")
    return f"{path}?{query}" if query else path


def address_index() -> dict[str, int]:
    index = {}
    for post in Post.objects.only("pk", "slug", "published_at").iterator(chunk_size=2000):
        index[address_key(post.get_absolute_url())] = post.pk
    for url, post_id in OriginalURL.objects.values_list("url", "post_id").iterator():
        index.setdefault(address_key(url), post_id)
    return index
