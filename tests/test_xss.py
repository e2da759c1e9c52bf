"""422 published XSS payloads in every field a commenter controls, on every surface.

Payloads go in through the public comment form (body, name, website, email, and the body
again wrapped in the formatting commenters may use) and through the captured-page
importer; everything accepted is approved (email payloads stay pending, to fill the
moderation queue). Chromium then loads each surface with the site's CSP bypassed, so
escaping alone is tested, and checks: no dialog fired, no element carries an event handler
or a javascript:/data: URL, and each payload reads back as text, or, where it uses the
markup commenters may type, as the words of the HTML stored for it. That stored HTML is
read too: only the allowed tags and attributes, and only http(s) links.
"""

import io
import json
import re
import shutil
from html import escape
from pathlib import Path
from urllib.parse import quote

import lxml.html
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from lxml import etree

from comments import markup, services
from comments.models import Comment
from posts.models import Post
from posts.search.views import SearchView
from tests.conftest import TEST_OUTPUT
from tests.factories import comment_form_data, follow_refusal, make_comment, make_post, make_staff

pytestmark = pytest.mark.django_db(transaction=True)

DATA = Path(__file__).resolve().parent / "data" / "xss"
PAYLOADS = [item["payload"] for item in json.loads((DATA / "payloads.json").read_text())]
FIELDS = ("body", "author_name", "author_url", "author_email", "formatted")
TEXT_FIELDS = ("body", "formatted")  # both are the comment's text
# The markup commenters may type (comments/markup.py), spelled independently of it.
TYPED_MARKUP = re.compile(r"</?(?:p|a|em|i|strong|b|blockquote|code)(?![\w-])", re.IGNORECASE)
STORED_TAGS = {"p", "br", "a", "em", "i", "strong", "b", "blockquote", "code"}
ADMIN_PASSWORD = "xss-Admin-passphrase-3"

TRAP = """
window.__xss = [];
for (const name of ["alert", "confirm", "prompt", "print"]) {
  window[name] = function (message) { window.__xss.push(name + ": " + String(message)); };
}
"""

DOM_PROBLEMS = """
() => {
  const urlAttributes = ["href", "src", "action", "formaction", "xlink:href", "data",
    "background", "poster", "lowsrc", "dynsrc", "srcdoc", "codebase", "cite", "ping"];
  const problems = [];
  for (const element of document.querySelectorAll("*")) {
    for (const attribute of element.attributes) {
      const name = attribute.name.toLowerCase();
      const value = attribute.value.replace(/[\\s\\u0000-\\u001f]+/g, "").toLowerCase();
      if (name.startsWith("on")) {
        problems.push(`${element.tagName} has handler ${name}`);
      } else if (urlAttributes.includes(name) && /^(javascript|data|vbscript):/.test(value)) {
        problems.push(`${element.tagName} ${name}=${attribute.value.slice(0, 60)}`);
      }
    }
  }
  return problems.concat(window.__xss || []);
}
"""

SHOWN_TEXT = """
() => Object.fromEntries([...document.querySelectorAll("li.comment")].map((item) => {
  const article = item.querySelector(":scope > article");
  const link = article && article.querySelector(".comment-author a");
  return [item.id, article ? {
    body: article.querySelector(".comment-content").innerText,
    name: article.querySelector(".comment-author").innerText,
    url: link ? link.getAttribute("href") : null,
  } : null];
}))
"""


def squash(text: str) -> str:
    return " ".join(text.split())


def field_value(field: str, payload: str) -> str:
    # A website must be http(s); the payload then rides in the path, into the href.
    if field == "author_url":
        return f"https://example.org/{payload}"
    if field == "formatted":  # every piece of markup, the payload inside and in attributes
        return (
            f"<p><strong>Quoted</strong>, <em>as typed</em>:</p><blockquote>{payload}"
            f'</blockquote>\n<a href="https://example.org/?q={quote(payload)}" '
            f'title="{payload}">source</a> <b><i>{payload}</i></b> <code>{payload}</code>'
        )
    return payload


def form_field(field: str) -> str:
    return "body" if field == "formatted" else field


def stored_text(comment) -> str:
    """The words of the HTML stored for a comment, line breaks as newlines."""
    tree = lxml.html.fragment_fromstring(comment.body_html or "<p></p>", create_parent="div")
    for line_break in tree.iter("br"):
        line_break.tail = "\n" + (line_break.tail or "")
    return tree.text_content()


def expected_text(field: str, comment, payload: str) -> str:
    """A text payload reads back as typed, unless it holds markup commenters may type:
    then as the words of the comment's stored HTML (checked on its own, stored_html)."""
    if field == "body" and not TYPED_MARKUP.search(payload):
        return payload
    return stored_text(comment)


def stored_html_problems() -> list[str]:
    """Every comment's stored HTML holds only the allowed tags and attributes, links only
    to http(s) addresses, and is what nh3 leaves of itself."""
    problems = []
    for pk, html in Comment.objects.values_list("pk", "body_html"):
        if markup.sanitise(html) != html:
            problems.append(f"stored HTML of #{pk} not sanitised")
        if not html:
            continue
        for element in lxml.html.fragment_fromstring(html, create_parent="div").iter():
            if element.tag == "div" and element.getparent() is None:
                continue
            allowed = {"href", "title", "rel"} if element.tag == "a" else set()
            if element.tag not in STORED_TAGS or set(element.attrib) - allowed:
                problems.append(f"stored HTML of #{pk}: {lxml.html.tostring(element)[:80]}")
            if element.tag == "a" and not re.match(r"https?://", element.get("href", "")):
                problems.append(f"stored HTML of #{pk} links to {element.get('href')!r:.60}")
    return problems


CHUNK = 30  # payloads per post, so that each page load stays light


def payload_posts(field: str) -> list:
    """Posts for one field's payloads; body payloads reply to an author who wants email."""
    posts = []
    for start in range(0, len(PAYLOADS), CHUNK):
        post = make_post(title=f"Payloads {start}-{start + CHUNK - 1} in {field}")
        if field in TEXT_FIELDS:
            post.notify_parent = make_comment(
                post, author_email="parent@example.org", notify_replies=True
            )
        posts.append(post)
    return posts


def submit_everything(posts: dict) -> tuple[dict, dict]:
    """Send every payload in every field through the public form; returns accepted/refused."""
    accepted = {field: {} for field in FIELDS}  # field -> {comment: payload}
    refused = {field: 0 for field in FIELDS}
    client = Client()
    for field in FIELDS:
        for index, payload in enumerate(PAYLOADS):
            post = posts[field][index // CHUNK]
            data = comment_form_data(post, body=f"[{field} {index}]", author_name="Tester")
            data[form_field(field)] = field_value(field, payload)
            if field in TEXT_FIELDS:
                data["parent"] = str(post.notify_parent.pk)
            response = client.post(reverse("comments:create", args=[post.pk]), data)
            if response.status_code == 302:
                accepted[field][Comment.objects.filter(post=post).latest("pk")] = payload
            else:
                assert response.status_code == 303, (field, index, response.status_code)
                if refused[field] % REFUSED_PAGE_SAMPLE == 0:
                    check_refused_page(client, response, field_value(field, payload))
                refused[field] += 1
    return accepted, refused


# A refusal sends the reader to the post page, which shows their text again (PRG); that
# page is drawn by the template that draws every form, so a sample of them is checked.
REFUSED_PAGE_SAMPLE = 5
# Of the surfaces with a page per comment (?replytocom=, the admin's change form), Chromium
# loads every PAGE_SAMPLE-th; the rest are read as HTML, or on pages holding many.
PAGE_SAMPLE = 20


def check_refused_page(client, response, value: str) -> None:
    """The refused form's page: an error announced, and the typed value only as text."""
    page = follow_refusal(client, response)
    assert page.status_code == 400, value
    assert b'role="alert"' in page.content, value
    assert escape(value) in page.content.decode(), value


def import_capture(tmp_path) -> tuple[Post, list[str]]:
    """Feed the single-line payloads to the importer as body paragraphs and comments."""
    usable = [p for p in PAYLOADS if (p == p.strip() and p.isprintable()) or "\t" in p]
    usable = [p for p in usable if "\n" not in p and all(ord(c) >= 32 or c == "\t" for c in p)]
    lines = ["Payloads in a captured page", "", "A lede line. #XSS", ""]
    lines += [line for p in usable for line in (p, "")]
    lines += ["CoI: none", ""]
    lines += [f"  • {p}\n" for p in usable]
    (tmp_path / "xss.txt").write_text("\n".join(lines))
    sources = {
        "seeds": [
            {
                "file": "xss.txt",
                "url": "https://example.org/2024/01/01/xss/",
                "published": "2024-01-01",
                "slug": "xss-capture",
                "title": "Payloads in a captured page",
            }
        ]
    }
    (tmp_path / "sources.json").write_text(json.dumps(sources))
    call_command("import_pages", str(tmp_path / "xss.txt"), stdout=io.StringIO())
    return Post.objects.get(slug="xss-capture"), usable


def approve_all(comments, moderator):
    services.comments_set_status(comments=comments, status="approved", actor=moderator)


def login(page, live_server):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "xss-admin")
    page.fill("#id_password", ADMIN_PASSWORD)
    page.click("input[type=submit]")


class Sweep:
    """Loads surfaces in one Chromium page and collects everything that went wrong."""

    def __init__(self, page, base_url: str):
        self.page, self.base_url = page, base_url
        self.problems: list[str] = []
        self.dialogs: list[str] = []
        self.loads = 0
        page.add_init_script(TRAP)
        page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))

    def load(self, path: str, surface: str) -> None:
        self.page.goto(f"{self.base_url}{path}")
        self.inspect(f"{surface} {path}")

    def render(self, html: str, surface: str) -> None:
        """Show HTML as a naive client (a feed reader) would, then inspect it."""
        self.page.set_content(html)
        self.inspect(surface)

    def inspect(self, where: str) -> None:
        self.loads += 1
        self.problems += [f"{where}: {p}" for p in self.page.evaluate(DOM_PROBLEMS)]

    def expect_text(self, got, expected: str, what: str) -> None:
        if squash(got or "") != squash(expected):
            self.problems.append(f"{what} not shown as text: {expected[:50]!r} -> {got!r:.80}")

    def post_pages(self, posts: dict, accepted: dict) -> None:
        """Each post page shows its payloads, read back in the field they were typed into."""
        for field in ("body", "formatted", "author_name", "author_url"):
            for post in posts[field]:
                self.load(post.get_absolute_url(), "post page")
                self.check_shown(field, accepted[field])

    def check_shown(self, field: str, accepted: dict) -> None:
        shown = self.page.evaluate(SHOWN_TEXT)
        key = {"author_name": "name", "author_url": "url"}.get(field, "body")
        for comment, payload in accepted.items():
            item = shown.get(f"comment-{comment.pk}")
            if item is None:
                continue  # on another post
            if key == "url":
                # A website is a link to itself, unless it is no address at all (a control
                # character in it): then the name alone, as text.
                website = field_value(field, payload)
                expected = None if any(ord(c) < 32 for c in website) else website
                if item["url"] != expected:
                    self.problems.append(f"website lost: {payload[:50]!r} -> {item['url']!r:.80}")
            elif key == "body":
                self.expect_text(item[key], expected_text(field, comment, payload), field)
            else:
                self.expect_text(item[key], payload, field)

    def reply_headings(self, client, accepted_names: dict) -> None:
        """?replytocom= names each payload author in the reply form's heading: every one in
        the page's HTML, escaped as the template escapes; Chromium reads a sample of whole
        pages (a page load each: all of them took most of this test's time)."""
        for comment, payload in accepted_names.items():
            url = f"{comment.post.get_absolute_url()}?replytocom={comment.pk}"
            if f" to {escape(comment.author_name)}</span>" not in client.get(url).content.decode():
                self.problems.append(f"reply heading not escaped text: {payload[:50]!r}")
        for comment, payload in list(accepted_names.items())[::PAGE_SAMPLE]:
            self.load(f"{comment.post.get_absolute_url()}?replytocom={comment.pk}", "replytocom")
            heading = self.page.locator("#reply-title .reply-to").inner_text()
            self.expect_text(heading, f"to {payload}", "reply heading")

    def imported_page(self, post, imported: list[str]) -> None:
        self.load(post.get_absolute_url(), "imported page")
        body = squash(self.page.locator(".entry-content").inner_text())
        comments = {squash(v["body"]) for v in self.page.evaluate(SHOWN_TEXT).values() if v}
        stored = {c.body: c for c in Comment.objects.filter(post=post)}
        for payload in imported:
            comment = stored.get(payload)
            expected = payload if comment is None else expected_text("body", comment, payload)
            if squash(payload) not in body or squash(expected) not in comments:
                self.problems.append(f"imported payload not shown as text: {payload[:50]!r}")

    def feeds(self, client, posts: dict) -> None:
        """Comment feeds: the raw feed in Chromium, then each item's HTML as a reader shows it.

        The site-wide feeds hold every comment; per-post feeds are checked on one post of
        each field."""
        feed_urls = [reverse("posts:comments-feed"), reverse("posts:comments-feed-atom")]
        feed_urls += [
            reverse("posts:post-comments-feed", kwargs=post_kwargs(posts[field][0]))
            for field in ("body", "formatted", "author_name", "author_url")
        ]
        for url in feed_urls:
            self.load(url, "feed")
            items = feed_items(client.get(url).content)
            comments = Comment.objects.in_bulk([item["comment_id"] for item in items])
            html = "".join(f'<div class="item">{item["html"]}</div>' for item in items)
            self.render(f"<!doctype html><title>feed</title>{html}", f"feed items {url}")
            shown = self.page.evaluate(
                "() => [...document.querySelectorAll('.item')].map((d) => d.innerText)"
            )
            for item, text in zip(items, shown, strict=True):
                comment = comments[item["comment_id"]]
                self.expect_text(text, stored_text(comment), "feed item")
                if not TYPED_MARKUP.search(comment.body):
                    self.expect_text(text, comment.body, "feed item")
                if squash(item["author"]) != squash(comment.author_name):
                    self.problems.append(f"feed author garbled: {item['author'][:60]!r}")

    def search(self, monkeypatch) -> None:
        """Search results with highlighted snippets: <mark> is their only markup."""
        monkeypatch.setattr(SearchView, "per_page", 1000)
        for query in ("alert", "script", "javascript", "author_name", "onerror"):
            self.load(f"/search/?q={query}&scope=comments", "search")
            other = self.page.evaluate(
                "() => [...document.querySelectorAll('.search-snippet *')]"
                ".filter((e) => e.tagName !== 'MARK').map((e) => e.outerHTML.slice(0, 80))"
            )
            self.problems += [f"search snippet markup: {html}" for html in other]
            if not self.page.locator(".search-snippet mark").count():
                self.problems.append(f"search for {query!r} highlighted nothing")

    def admin(self, posts: dict, accepted: dict, bundle) -> None:
        """Comment lists by field, the pending queue, and change forms."""
        changelist = "/admin/comments/comment/"
        # Body payloads post by post (the lists hold at most 500), formatted ones by their
        # wording, the others by their marker.
        lists = [("body", f"?post__id__exact={post.pk}&all=") for post in posts["body"]]
        lists.append(("formatted", "?q=Quoted&all="))
        lists += [(field, f"?q=%5B{field}&all=") for field in FIELDS[1:4]]
        listed = {field: "" for field in FIELDS}
        for field, query in lists:
            self.load(f"{changelist}{query}", "admin list")
            listed[field] += squash(self.page.locator("#changelist").inner_text())
        for field in FIELDS:
            for comment, payload in accepted[field].items():
                # The queue shows a comment's text as its author typed it, markup and all.
                shown = comment.body if field in TEXT_FIELDS else field_value(field, payload)
                if squash(shown)[:40] not in listed[field]:
                    self.problems.append(f"admin list lost {field} {payload[:50]!r}")
        self.load(f"{changelist}?status__exact=pending&all=", "moderation queue")
        # Change forms render fields with the list's machinery: one comment holding every
        # payload in its text and history, and a sample of each field.
        sample = [bundle] + [c for field in FIELDS for c in list(accepted[field])[::PAGE_SAMPLE]]
        for comment in sample:
            self.load(f"{changelist}{comment.pk}/change/", "change form")


def post_kwargs(post) -> dict:
    return {
        "year": post.published_at.year,
        "month": post.published_at.month,
        "day": post.published_at.day,
        "slug": post.slug,
    }


def feed_items(content: bytes) -> list[dict]:
    """Each RSS item's or Atom entry's HTML, author, and the comment it links to."""
    root = etree.fromstring(content, etree.XMLParser(resolve_entities=False))
    atom = "{http://www.w3.org/2005/Atom}"
    items = []
    for element in root.iter("item", f"{atom}entry"):
        html = element.findtext("description") or element.findtext(f"{atom}summary") or ""
        author = element.findtext("{http://purl.org/dc/elements/1.1/}creator") or (
            element.findtext(f"{atom}author/{atom}name") or ""
        )
        link = element.findtext("link") or element.find(f"{atom}link").get("href")
        comment_id = int(re.search(r"/comments/(\d+)/$", link)[1])  # the permalink
        items.append({"html": html, "author": author, "comment_id": comment_id})
    return items


def test_no_payload_executes_on_any_surface(
    new_page, live_server, client, tmp_path, settings, mailoutbox, monkeypatch
):
    """Every payload in every commenter field is inert and readable on every surface."""
    settings.COMMENTS_FLOOD_LIMIT = 0
    settings.COMMENTS_PER_PAGE = 0  # every payload of a post on one page (same rendering)
    settings.COMMENTS_MAX_LENGTH = 200_000  # for the one comment that holds every payload
    settings.FEED_ITEMS = 1000
    settings.COMMENTS_MODERATOR_EMAILS = ["moderators@example.org"]
    moderator = make_staff("xss-admin", superuser=True)
    moderator.set_password(ADMIN_PASSWORD)
    moderator.save()
    posts = {field: payload_posts(field) for field in FIELDS}
    accepted, refused = submit_everything(posts)
    for field in ("body", "formatted", "author_name", "author_url"):
        approve_all(list(accepted[field]), moderator)
    imported_post, imported = import_capture(tmp_path)
    # One comment holding every payload the form accepted, its text edited once so that
    # its history holds half of them too.
    texts = list(accepted["body"].values())
    bundle = make_comment(imported_post, body="\n\n".join(texts[:200]), status="pending")
    services.comment_edit(comment=bundle, body="\n\n".join(texts[200:]), actor=moderator)

    sweep = Sweep(new_page(bypass_csp=True), live_server.url)
    sweep.post_pages(posts, accepted)
    sweep.reply_headings(client, accepted["author_name"])
    sweep.imported_page(imported_post, imported)
    sweep.feeds(client, posts)
    sweep.search(monkeypatch)
    login(sweep.page, live_server)
    sweep.admin(posts, accepted, bundle)

    # Emails are plain text only: nothing in them can be rendered as HTML.
    assert mailoutbox, "moderator notices and reply notifications were expected"
    assert [m.subject for m in mailoutbox if getattr(m, "alternatives", None)] == []
    assert all(m.content_subtype == "plain" for m in mailoutbox)
    bodies = "\n".join(m.body for m in mailoutbox)
    assert all(payload in bodies for payload in list(accepted["body"].values())[:50])
    stored = stored_html_problems()

    report = {
        "payloads": len(PAYLOADS),
        "fields": list(FIELDS),
        "accepted": {field: len(ids) for field, ids in accepted.items()},
        "refused_with_message": refused,
        "imported_as_paragraphs_and_comments": len(imported),
        "stored_html_checked": Comment.objects.count(),
        "surfaces": [
            "stored comment HTML (allow-list, http(s) links, nh3 leaves it unchanged)",
            "post page",
            "?replytocom= thread and reply heading",
            "imported page",
            "comment feeds (RSS, Atom, per post) raw and as rendered HTML",
            "search results with snippets",
            "admin comment lists",
            "moderation queue",
            "admin change forms (with history)",
            "moderator and reply emails (plain text only)",
            "all of these for the formatted field: each payload inside every allowed tag",
        ],
        "chromium_loads": sweep.loads,
        "emails_checked": len(mailoutbox),
        "executed": len(sweep.dialogs),
        "problems": sweep.problems[:50],
        "stored_html_problems": stored[:50],
    }
    TEST_OUTPUT.mkdir(exist_ok=True)
    (TEST_OUTPUT / "xss-report.json").write_text(json.dumps(report, indent=2))
    assert sweep.dialogs == []
    assert sweep.problems == []
    assert stored == []
    assert sum(report["accepted"].values()) > 900  # most payloads really went through
    shutil.rmtree(tmp_path, ignore_errors=True)
