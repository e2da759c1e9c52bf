"""export_wxr: a WordPress-readable file that import_wxr turns back into the same site."""

import datetime
import io
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from lxml import etree
from taggit.models import Tag, TaggedItem

from comments.models import Comment, CommentEvent
from comments.services import comment_edit, comment_restore, comment_set_status
from posts.models import Author, Category, OriginalURL, Post, RelatedEntry
from tests.factories import make_comment, make_post, make_staff

pytestmark = pytest.mark.django_db

WP = "{http://wordpress.org/export/1.2/}"
# Differences that are not content: database keys (comment anchors, reply links, the
# comment form's post id) and the per-request CSRF token.
NORMALISE = [
    (re.compile(r"comment-\d+"), "comment-N"),
    (re.compile(r"replytocom=\d+"), "replytocom=N"),
    (re.compile(r"/comments/post/\d+/"), "/comments/post/N/"),
    (re.compile(r"/comments/\d+/"), "/comments/N/"),
    (re.compile(r"/comments/follow/\d+/"), "/comments/follow/N/"),
    (re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"'), "csrf"),
    (re.compile(r'data-comment-id="\d+"'), "data-comment-id"),
    (re.compile(r'name="ts" value="[^"]+"'), "form-timestamp"),
    # A moderator's page links each comment and the post's queue in the admin.
    (re.compile(r"/admin/comments/comment/\d+/"), "/admin/comments/comment/N/"),
    (re.compile(r"post__id__exact=\d+"), "post__id__exact=N"),
    (re.compile(r"comment #\d+"), "comment #N"),
]


def at(*args):
    return datetime.datetime(*args, tzinfo=datetime.UTC)


# WXR dates have whole seconds, so the data set's times do too.
NOON = at(2021, 3, 6, 12, 0)


def realistic_site():
    """The seed posts plus posts covering every status, deep threads, tags and a draft."""
    call_command("loaddata", "fixtures/seed.json", verbosity=0)
    staff = make_staff(superuser=True, first_name="Mouse", last_name="Doctor")
    author = Author.objects.create(name="MouseDoctor", slug="mousedoctor", bio="Lab notes.")
    post = make_post(
        title="Névrologie & “quotes”: <b>not bold</b>",
        slug="nevrologie",
        author=author,
        lede="A lede with #MSBlog and #Névrologie & ampersands <tags>.",
        body="<p>First</p>\n<ul><li>one<br>\ntwo</li></ul><blockquote>q</blockquote>",
        coi="Prof G has received honoraria.",
        postscript='<p>P.S. See <a href="https://example.org/ps">this</a>.</p>',
        published_at=at(2021, 3, 4, 9, 30),
        updated_at=at(2021, 3, 5, 10, 0),
        tags=["MSBlog", "Neurology"],
    )
    RelatedEntry.objects.create(
        post=post, position=1, published_on=datetime.date(2020, 1, 2), text="Earlier post"
    )
    RelatedEntry.objects.create(
        post=post, position=2, text="Linked one", url="https://example.org/linked"
    )
    OriginalURL.objects.create(post=post, url="https://old.example.org/2021/03/nevrologie.html")
    parent = None
    for depth in range(7):  # a thread seven levels deep
        parent = make_comment(
            post,
            parent=parent,
            body=f"Depth {depth}: émigré ünïcode\n\nsecond paragraph <script>x</script>",
            created_at=at(2021, 3, 4, 10, depth),
            author_url="https://reader.example.org/" if depth == 2 else "",
        )
    # Distinct times: the sidebar orders recent comments by time, and an import may
    # number rows differently, so ties would be broken differently.
    for minute, status in enumerate(("pending", "spam", "removed")):
        gone = make_comment(post, status=status, created_at=at(2021, 3, 5, 8, minute))
        make_comment(
            post,
            parent=gone,
            body="Reply under a non-approved comment.",
            created_at=at(2021, 3, 5, 9, minute),
        )
    make_comment(
        post,
        body="Staff answer",
        user=staff,
        author_name="Mouse Doctor",
        created_at=at(2021, 3, 5, 10, 0),
    )
    make_comment(
        post,
        body="Line one\nline two http://example.org/x",
        ip_address="192.0.2.1",
        created_at=at(2021, 3, 5, 11, 0),
    )
    for minute, body in enumerate(FORMATTED_COMMENTS):
        make_comment(post, body=body, created_at=at(2021, 3, 5, 12, minute))
    make_post(title="Closed to comments", comments_open=False, published_at=at(2021, 4, 1))
    draft = make_post(
        title="Unfinished", status="draft", tags=["DraftOnly"], author=author, published_at=NOON
    )
    make_comment(draft, status="pending", body="Early bird", created_at=NOON)
    return staff


# What commenters type here (comments.markup), and what only looks like markup.
FORMATTED_COMMENTS = (
    "<blockquote>Quoted <em>words</em>\n\nand more</blockquote>\n\nI agree: see "
    '<a title="A study" href="https://example.org/a?b=1&amp;c=2">the study</a>, <b>twice</b>.',
    'Typed <div> & &amp;, <a href="javascript:x">not a link</a>, a stray </em>, <code>x < y</code>',
    "One<p>Two, typed with a tag</p>",
)


def exported_comment_meta(path, key: str) -> dict:
    """Each exported comment's content, and its meta ``key`` (None without one)."""
    channel = etree.parse(str(path)).getroot().find("channel")
    found = {}
    for c in channel.iter(f"{WP}comment"):
        metas = {
            m.findtext(f"{WP}meta_key"): m.findtext(f"{WP}meta_value")
            for m in c.iter(f"{WP}commentmeta")
        }
        found[c.findtext(f"{WP}comment_content")] = metas.get(key)
    return found


def pages(staff) -> dict[str, str]:
    """Every page a reader (and the staff member, for drafts) can open, normalised."""
    anonymous, editor = Client(), Client()
    editor.force_login(staff)
    urls = [reverse("posts:index")]
    urls += [p.get_absolute_url() for p in Post.objects.published()]
    urls += [reverse("posts:tag", args=[t.slug]) for t in Tag.objects.all()]
    rendered = {}
    for url in urls:
        response = anonymous.get(url)
        rendered[url] = (response.status_code, normalise(response.content.decode()))
    for post in Post.objects.filter(status="draft"):
        response = editor.get(post.get_absolute_url())
        rendered[f"staff {post.get_absolute_url()}"] = normalise(response.content.decode())
    return rendered


def normalise(html: str) -> str:
    for pattern, replacement in NORMALISE:
        html = pattern.sub(replacement, html)
    return html


def threads() -> list[tuple]:
    return [
        (c.post.slug, c.level, c.status, c.author_name, c.body, c.placeholder, c.user_id)
        for c in Comment.objects.select_related("post").order_by("post__slug", "tree_id", "lft")
    ]


def empty_the_database():
    """Delete all content; accounts stay, as they are not part of an export."""
    CommentEvent.objects.all().delete()
    Comment.objects.update(parent=None)
    Comment.objects.all().delete()
    TaggedItem.objects.all().delete()
    Tag.objects.all().delete()
    Post.objects.update(parent=None)
    Post.objects.all().delete()
    Category.objects.update(parent=None)
    Category.objects.all().delete()
    Author.objects.all().delete()


def export(tmp_path):
    path = tmp_path / "export.xml"
    call_command(
        "export_wxr", "-o", str(path), "--site-url", "https://msblog.example", stdout=io.StringIO()
    )
    return path


def test_export_then_import_into_an_empty_database_gives_identical_pages(tmp_path):
    """Home, every post page (the draft as staff sees it) and tag pages come back the same."""
    staff = realistic_site()
    before, rows_before = pages(staff), threads()
    assert len(before) > 15
    path = export(tmp_path)
    empty_the_database()
    assert reverse("posts:index") not in pages(staff) or not Post.objects.exists()
    call_command("import_wxr", str(path), stdout=io.StringIO())
    after = pages(staff)
    assert after.keys() == before.keys()
    for url in before:
        assert after[url] == before[url], url
    assert threads() == rows_before


def test_round_trip_keeps_what_wordpress_has_no_field_for(tmp_path):
    """CoI, postscript, related entries, old addresses and stand-ins come back from meta."""
    realistic_site()
    path = export(tmp_path)
    empty_the_database()
    call_command("import_wxr", str(path), stdout=io.StringIO())
    post = Post.objects.get(slug="nevrologie")
    assert post.coi == "Prof G has received honoraria."
    assert "P.S." in post.postscript
    assert [(e.position, e.text, e.url) for e in post.related_entries.all()] == [
        (1, "Earlier post", ""),
        (2, "Linked one", "https://example.org/linked"),
    ]
    urls = set(post.original_urls.values_list("url", flat=True))
    assert "https://old.example.org/2021/03/nevrologie.html" in urls
    assert "https://msblog.example/2021/03/04/nevrologie/" in urls
    assert Comment.objects.filter(placeholder=True).count() == 1
    assert Author.objects.get(name="MouseDoctor").bio == "Lab notes."


def test_reimporting_an_export_of_imported_posts_changes_nothing(tmp_path):
    """Import references travel in the file, so imported posts match themselves."""
    call_command("loaddata", "fixtures/seed.json", verbosity=0)
    path = export(tmp_path)
    out = io.StringIO()
    call_command("import_wxr", str(path), stdout=out)
    report = out.getvalue()
    assert "Posts: 0 created, 0 updated, 5 unchanged" in report
    assert "Comments: 0 created (none), 0 updated, 74 unchanged" in report


def test_export_has_what_wordpress_importer_reads(tmp_path):
    """Namespaces, version, authors, tags, items with ids, names, statuses, dates, comments."""
    realistic_site()
    root = etree.parse(str(export(tmp_path))).getroot()
    channel = root.find("channel")
    assert root.nsmap["wp"] == "http://wordpress.org/export/1.2/"
    assert root.nsmap["excerpt"] == "http://wordpress.org/export/1.2/excerpt/"
    assert channel.findtext(f"{WP}wxr_version") == "1.2"
    assert {a.findtext(f"{WP}author_login") for a in channel.iter(f"{WP}author")} == {
        "prof-g",
        "mousedoctor",
    } | {a.slug for a in Author.objects.all()} | {"moderator"}
    assert "Neurology" in {t.findtext(f"{WP}tag_name") for t in channel.iter(f"{WP}tag")}
    items = {i.findtext("title"): i for i in channel.iter("item")}
    post = items["Névrologie & “quotes”: <b>not bold</b>"]
    assert post.findtext(f"{WP}post_name") == "nevrologie"
    assert post.findtext(f"{WP}status") == "publish"
    assert items["Unfinished"].findtext(f"{WP}status") == "draft"
    assert post.findtext(f"{WP}post_date_gmt") == "2021-03-04 09:30:00"
    assert post.findtext(f"{WP}post_id") == str(Post.objects.get(slug="nevrologie").pk)
    assert [c.get("domain") for c in post.findall("category")] == ["post_tag", "post_tag"]
    comments = post.findall(f"{WP}comment")
    approved = {c.findtext(f"{WP}comment_approved") for c in comments}
    assert approved == {"1", "0", "spam", "trash"}
    deepest = Comment.objects.filter(post__slug="nevrologie").order_by("-level").first()
    exported = next(c for c in comments if c.findtext(f"{WP}comment_id") == str(deepest.pk))
    assert exported.findtext(f"{WP}comment_parent") == str(deepest.parent_id)
    assert "&lt;script&gt;" in exported.findtext(f"{WP}comment_content")


def test_formatted_comments_are_exported_as_wordpress_html(tmp_path):
    """WordPress shows a comment's content as HTML: the markup a commenter typed is HTML
    there, whatever else they typed is escaped text; the exact text travels in meta only
    where WordPress's HTML would not read back as the same."""
    post = make_post(slug="formatted")
    for body in FORMATTED_COMMENTS:
        make_comment(post, body=body)
    exported = exported_comment_meta(export(tmp_path), "_msblog_body")
    quoted, _typed, paragraph = FORMATTED_COMMENTS
    assert exported == {
        quoted: None,
        "Typed &lt;div&gt; &amp; &amp;amp;, &lt;a href=&quot;javascript:x&quot;&gt;not a "
        "link&lt;/a&gt;, a stray &lt;/em&gt;, <code>x &lt; y</code>": None,
        paragraph: paragraph,
    }


def test_export_to_standard_output():
    """Without -o the file goes to standard output, whole."""
    make_post(title="Only post", body="<p>Text ]]> with a CDATA end</p>")
    out = io.StringIO()
    call_command("export_wxr", stdout=out)
    root = etree.fromstring(out.getvalue().encode())
    content = root.find("channel/item").findtext(
        "{http://purl.org/rss/1.0/modules/content/}encoded"
    )
    assert "Text ]]> with a CDATA end" in content


def test_export_writes_absolute_urls_from_the_site_url(settings, tmp_path):
    """Links, short links and the body's site-relative links start with SITE_URL, as in a
    WordPress export; importing the file again restores the body exactly."""
    settings.SITE_URL = "https://blog.example.org"
    body = (
        '<p><a href="/2014/02/08/older/">Older post</a> <img src="/static/chart.png" alt="c"></p>'
    )
    post = make_post(title="Links", slug="links", body=body, published_at=at(2021, 3, 4, 9))
    path = tmp_path / "site.xml"
    call_command("export_wxr", "-o", str(path), stdout=io.StringIO())
    channel = etree.parse(str(path)).getroot().find("channel")
    assert channel.findtext("link") == "https://blog.example.org"
    assert channel.findtext(f"{WP}base_site_url") == "https://blog.example.org"
    exported = channel.find("item")
    assert exported.findtext("link") == "https://blog.example.org/2021/03/04/links/"
    assert exported.findtext("guid") == f"https://blog.example.org/?p={post.pk}"
    content = exported.findtext("{http://purl.org/rss/1.0/modules/content/}encoded")
    assert 'href="https://blog.example.org/2014/02/08/older/"' in content
    assert 'src="https://blog.example.org/static/chart.png"' in content
    empty_the_database()
    call_command("import_wxr", str(path), stdout=io.StringIO())
    assert Post.objects.get(slug="links").body == body


def test_a_title_with_doctype_survives_a_round_trip(tmp_path):
    """Our own export of a post about HTML is read back, not refused as a DTD."""
    make_post(
        title="<!DOCTYPE html> explained", slug="doctype", body="<p>&lt;!DOCTYPE html&gt;</p>"
    )
    path = export(tmp_path)
    empty_the_database()
    call_command("import_wxr", str(path), stdout=io.StringIO())
    assert Post.objects.get(slug="doctype").title == "<!DOCTYPE html> explained"


def test_a_staff_reply_is_credited_to_its_author_in_the_file(tmp_path):
    """wp:comment_user_id is one of the file's wp:author_id values: the author linked to
    the staff account, or an author entry the file adds for an account without one."""
    for n in range(3):  # so that author ids and user ids differ
        Author.objects.create(name=f"Filler {n}", slug=f"filler-{n}")
    writer = make_staff("writer", first_name="Wendy")
    author = Author.objects.create(name="Wendy Writer", slug="wendy", user=writer)
    helper = make_staff("helper", first_name="Hal")
    post = make_post(author=author)
    make_comment(post, body="From Wendy", user=writer, author_name="Wendy Writer")
    make_comment(post, body="From Hal", user=helper, author_name="Hal")
    channel = etree.parse(str(export(tmp_path))).getroot().find("channel")
    logins = {
        a.findtext(f"{WP}author_id"): a.findtext(f"{WP}author_login")
        for a in channel.iter(f"{WP}author")
    }
    credited = {
        c.findtext(f"{WP}comment_content"): logins.get(c.findtext(f"{WP}comment_user_id"))
        for c in channel.iter(f"{WP}comment")
    }
    assert credited == {"From Wendy": "wendy", "From Hal": "helper"}


def test_spam_and_removed_comments_say_what_they_were_before(tmp_path):
    """_wp_trash_meta_status carries the status before spam or removal, so restoring in
    WordPress (or here, after importing the file) puts the comment back where it was."""
    post = make_post(slug="binned")
    was_approved = make_comment(post, body="Was approved")
    was_pending = make_comment(post, body="Was pending", status="pending")
    comment_set_status(comment=was_approved, status="spam")
    comment_set_status(comment=was_pending, status="removed")
    before = exported_comment_meta(export(tmp_path), "_wp_trash_meta_status")
    assert before == {"Was approved": "1", "Was pending": "0"}
    empty_the_database()
    call_command("import_wxr", str(tmp_path / "export.xml"), stdout=io.StringIO())
    for body, restored in (("Was approved", "approved"), ("Was pending", "pending")):
        comment = Comment.objects.get(body=body)
        comment_restore(comment=comment)
        assert Comment.objects.get(pk=comment.pk).status == restored


def post_rows() -> list[tuple]:
    skip = {"id", "import_ref", "author", "parent"}
    names = [f.name for f in Post._meta.concrete_fields if f.name not in skip]
    return sorted(
        (
            *(getattr(p, n) for n in names),
            p.author.name,
            p.author.slug,
            p.author.bio,
            p.parent.slug if p.parent else None,
            sorted(p.tags.names()),
            sorted((c.slug, c.name, c.parent.slug if c.parent else "") for c in p.categories.all()),
            [(e.position, e.published_on, e.text, e.url) for e in p.related_entries.all()],
        )
        for p in Post.objects.select_related("author", "parent")
    )


def comment_rows() -> list[tuple]:
    skip = {"id", "post", "parent", "tree_id", "lft", "rght", "import_ref"}
    names = [f.name for f in Comment._meta.concrete_fields if f.name not in skip]
    return [
        (c.post.slug, c.parent.body if c.parent else None, *(getattr(c, n) for n in names))
        for c in Comment.objects.select_related("post", "parent").order_by(
            "post__slug", "tree_id", "lft"
        )
    ]


def test_a_round_trip_gives_identical_rows(tmp_path):
    """Every post, page and comment field comes back: tables with <tfoot>, times to the
    microsecond, pages under their parents, categories, passwords, private posts, edits."""
    staff = realistic_site()
    post = Post.objects.get(slug="nevrologie")
    Post.objects.filter(pk=post.pk).update(
        body=post.body + "<table><tbody><tr><td>1</td></tr></tbody><tfoot><tr><td>Σ</td></tr>"
        "</tfoot></table>",
        published_at=post.published_at.replace(microsecond=123456),
    )
    research = Category.objects.create(name="Research", slug="research")
    post.categories.add(Category.objects.create(name="Trials", slug="trials", parent=research))
    about = make_post(title="About", slug="about", kind="page", author=post.author)
    make_post(title="Team", slug="team", kind="page", parent=about, author=post.author)
    make_post(title="Locked", slug="locked", password="s3cret", author=post.author)
    make_post(title="Team only", slug="team-only", status="private", author=post.author)
    edited = Comment.objects.filter(post=post, status="approved").first()
    comment_edit(comment=edited, body="Edited words", actor=staff)
    Comment.objects.filter(pk=edited.pk).update(
        moderation_reason="held for a link", notify_replies=True
    )
    posts_before, comments_before = post_rows(), comment_rows()
    path = export(tmp_path)
    empty_the_database()
    call_command("import_wxr", str(path), stdout=io.StringIO())
    for after, before in zip(post_rows(), posts_before, strict=True):
        assert after == before
    for after, before in zip(comment_rows(), comments_before, strict=True):
        assert after == before


def test_tables_with_tfoot_and_fractions_of_a_second_survive(tmp_path, client):
    """The cleaner keeps <tfoot>, and times keep their microseconds, on the page and in
    the row, after export and import."""
    table = (
        "<table><tbody><tr><td>1</td></tr></tbody><tfoot><tr><td>Total</td></tr></tfoot></table>"
    )
    moment = at(2021, 3, 4, 9, 30).replace(microsecond=654321)
    post = make_post(slug="with-a-table", body=table, published_at=moment)
    comment = make_comment(post, created_at=moment.replace(minute=45))
    assert "<tfoot>" in client.get(post.get_absolute_url()).content.decode()
    path = export(tmp_path)
    empty_the_database()
    call_command("import_wxr", str(path), stdout=io.StringIO())
    post = Post.objects.get(slug="with-a-table")
    assert (post.body, post.published_at) == (table, moment)
    assert Comment.objects.get(post=post).created_at == comment.created_at
