"""import_wxr: WordPress exports into posts, tags, redirects and comment threads."""

import io
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core import serializers
from django.core.management import CommandError, call_command
from django.utils import timezone
from taggit.models import Tag, TaggedItem

from comments.markup import ALLOWED_TAGS, render_comment_html
from comments.models import Comment, CommentEvent
from posts.imports.markup import html_to_comment, html_to_text, wpautop
from posts.models import Author, OriginalURL, Post

DATA = Path(__file__).resolve().parent / "data"
BASIC = DATA / "wxr-basic.xml"
SITE = "https://multiple-sclerosis-research.org"

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command("import_wxr", *map(str, args), stdout=out)
    return out.getvalue()


def snapshot() -> str:
    models = [Author, Post, OriginalURL, Tag, TaggedItem, Comment, CommentEvent]
    return serializers.serialize("json", [o for m in models for o in m.objects.order_by("pk")])


def thread(post) -> list[tuple[int, str, str]]:
    return [(c.level, c.status, c.body[:25]) for c in post.comments.order_by("tree_id", "lft")]


def test_posts_tags_and_redirects():
    """Posts keep title, slug, author, date, excerpt and tags; old links become redirects."""
    run(BASIC)
    post = Post.objects.get(import_ref=f"{SITE}/?p=101")
    assert post.title == "Alemtuzumab: Mexico's “COFEPRIS” approval"
    assert post.get_absolute_url() == "/2014/02/08/alemtuzumab-mexico/"
    assert post.author.name == "Prof G" and post.status == "published"
    assert post.lede == "Will MSers resident in the US travel south to Mexico? #MSBlog"
    assert sorted(post.tags.names()) == ["MSBlog"]
    assert [c.name for c in post.categories.all()] == ["ClinicSpeak"]  # not "Uncategorized"
    assert set(post.original_urls.values_list("url", flat=True)) == {
        f"{SITE}/2014/02/alemtuzumab-mexico/",
        f"{SITE}/?p=101",
    }


def test_draft_stays_hidden(client):
    """A WordPress draft with a non-ASCII slug is a draft here, on no public page."""
    run(BASIC)
    draft = Post.objects.get(import_ref=f"{SITE}/?p=102")
    assert (draft.status, draft.slug, draft.author.name) == (
        "draft",
        "nevralgie-brouillon",
        "MouseDoctor",
    )
    assert not draft.comments_open
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert "brouillon" not in client.get("/").content.decode()
    assert client.get("/tag/secret-draft-tag/").status_code == 404


def test_threads_keep_depth_and_every_status():
    """Four levels of replies, and approved, pending, spam and removed comments all kept."""
    run(BASIC)
    post = Post.objects.get(slug="alemtuzumab-mexico")
    assert thread(post) == [
        (0, "approved", "Thanks Prof G. Is this th"),
        (1, "approved", "Yes, the same.\nSame dose "),
        (2, "approved", "Level three <b>reply</b>."),
        (3, "approved", "Level four, still nested."),
        (1, "pending", "Held for moderation."),
        (0, "spam", "Buy cheap pills now"),
        (0, "removed", "Trashed words"),
        (1, "approved", "A reply to a trashed comm"),
    ]
    zoe = post.comments.get(import_ref=f"{SITE}/?p=101#comment-501")
    assert (zoe.author_name, zoe.author_email, zoe.author_url, zoe.ip_address) == (
        "Zoë Reader",
        "zoe@example.org",
        "https://zoe.example.org/",
        "192.0.2.10",
    )
    assert CommentEvent.objects.filter(action="imported").count() == 8


def test_pingbacks_and_trackbacks_are_left_out_and_counted():
    """Pingbacks and trackbacks are not comments; the report says how many were left out."""
    report = run(BASIC)
    assert not Comment.objects.filter(body__contains="Prof G writes").exists()
    assert "Not imported, by design: 1 attachment, 1 pingback, 1 trackback" in report


def test_comment_html_keeps_its_formatting_and_every_word():
    """Paragraphs and breaks become newlines; links, emphasis and strong stay as a
    commenter here types them; attributes and other markup go."""
    run(BASIC)
    first = Comment.objects.get(import_ref=f"{SITE}/?p=101#comment-501")
    assert first.body == (
        "Thanks Prof G. Is this the <em>same</em> drug?\n\n"
        'See <a href="https://example.org/label">the label</a> & its warnings.'
    )
    reply = Comment.objects.get(import_ref=f"{SITE}/?p=101#comment-502")
    assert reply.body == "Yes, the same.\nSame dose too.\n\nSecond paragraph."
    hostile = Comment.objects.get(import_ref=f"{SITE}/?p=101#comment-503")
    assert hostile.body == "Level three <b>reply</b>."
    assert (hostile.author_url, hostile.ip_address) == ("", None)


def test_hostile_markup_never_reaches_the_page(client):
    """Scripts, event handlers and javascript: links are gone; formatting is kept."""
    run(BASIC)
    page = client.get("/2014/02/08/alemtuzumab-mexico/").content.decode()
    html = page.split("<main", 1)[1]  # the content; the site's own script is in <head>
    for bad in ("<script", "alert(", "onclick", "onerror", "onmouseover", "javascript:"):
        assert bad not in html
    assert "<em>emphasis</em>" in html and "<li>早期治疗</li>" in html
    assert "<blockquote><p>Somebody asked for some good news.</p></blockquote>" in html
    assert "<figcaption>The scan in question</figcaption>" in html
    assert "<p>Will MSers travel south to be treated?<br>\nThis line follows" in html
    assert "Gallery: " in html and "1 not in the export" in html  # [gallery ids="7,8"]
    assert "Level four, still nested." in html and "Held for moderation." not in html


def test_block_editor_content_is_not_auto_paragraphed():
    """Block-editor posts keep their own paragraphs and line breaks, as WordPress shows them."""
    run(BASIC)
    body = Post.objects.get(slug="block-editor-post").body
    assert "<p>First block.</p>" in body and "<br>" not in body and "wp:" not in body


def test_wxr_1_1_files_are_read():
    """The older WXR 1.1 namespaces work the same way."""
    run(DATA / "wxr-1.1.xml")
    post = Post.objects.get(slug="older-format")
    assert post.body == "<p>One paragraph.</p>\n<p>Two paragraphs.</p>"
    assert post.lede == "Old & gold."
    assert thread(post) == [(0, "approved", "Top"), (1, "approved", "Reply")]


def test_reimport_changes_nothing():
    """Running the same import again leaves every row as it was."""
    run(BASIC)
    before = snapshot()
    report = run(BASIC)
    assert snapshot() == before
    assert "Posts: 0 created, 0 updated, 4 unchanged" in report


def test_newer_export_adds_only_what_is_new():
    """A later export adds its new post and reply, updates an edited comment, keeps the rest."""
    run(BASIC)
    spam = Comment.objects.get(status="spam")
    Comment.objects.filter(pk=spam.pk).update(status="removed")  # moderated since
    report = run(DATA / "wxr-newer.xml")
    assert "Posts: 1 created, 0 updated, 4 unchanged" in report
    assert "Comments: 2 created (2 approved), 1 updated, 7 unchanged" in report
    late = Comment.objects.get(import_ref=f"{SITE}/?p=101#comment-511")
    assert (late.level, late.parent.import_ref) == (4, f"{SITE}/?p=101#comment-504")
    edited = Comment.objects.get(import_ref=f"{SITE}/?p=101#comment-501")
    assert "very same" in edited.body
    assert edited.events.filter(action="edited", reason="re-import").exists()
    assert Comment.objects.get(pk=spam.pk).status == "removed"


def test_dry_run_reports_and_writes_nothing():
    """--dry-run lists posts, comments per status, tags and redirects, and writes no row."""
    report = run(BASIC, "--dry-run")
    assert snapshot() == serializers.serialize("json", [])
    assert "Dry run: nothing was written." in report
    assert "Posts: 4 would be created" in report
    assert "Comments: 8 would be created (1 pending, 5 approved, 1 spam, 1 removed)" in report
    assert "Tags: 2 would be created (MSBlog, SecretDraftTag)" in report
    assert "Categories: 1 would be created (ClinicSpeak)" in report
    assert "Redirects: 8 would be created" in report


def test_malformed_file_is_refused_with_its_line():
    """A truncated file names its file and line; nothing is written."""
    with pytest.raises(CommandError, match=r"wxr-malformed\.xml:\d+: malformed XML"):
        run(BASIC, DATA / "wxr-malformed.xml")
    assert not Post.objects.exists()


def test_missing_parent_is_refused_with_its_line():
    """A reply whose parent is not in the file stops the import, naming file and line."""
    with pytest.raises(CommandError) as caught:
        run(DATA / "wxr-orphan.xml")
    message = str(caught.value)
    assert "wxr-orphan.xml:101: comment 503" in message and "not in the file" in message
    assert "wxr-orphan.xml:115: comment 504" in message and "503 is left out" in message
    assert not Post.objects.exists() and not Comment.objects.exists()


def test_skip_bad_leaves_out_bad_items_and_lists_them():
    """With --skip-bad the orphan and its reply are left out and reported; the rest goes in."""
    report = run(DATA / "wxr-orphan.xml", "--skip-bad")
    assert "Skipped 2 bad items (--skip-bad):" in report
    assert "wxr-orphan.xml:101: comment 503" in report
    assert Comment.objects.count() == 6
    assert not Comment.objects.filter(body__startswith="Level").exists()


def test_a_file_that_is_not_wxr_is_refused(tmp_path):
    """An RSS feed without WordPress's namespace is refused, nothing written."""
    feed = tmp_path / "feed.xml"
    feed.write_text('<rss version="2.0"><channel><title>x</title></channel></rss>')
    with pytest.raises(CommandError, match="not a WordPress export"):
        run(feed)


def test_a_file_with_a_dtd_is_refused(tmp_path):
    """Entity declarations (billion laughs, external files) are refused before use."""
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        "<rss><channel><title>&e;</title></channel></rss>"
    )
    with pytest.raises(CommandError, match="declares a DTD"):
        run(bomb)


def test_wpautop_and_comment_text_rules():
    """wpautop wraps paragraphs, keeps <pre>; comment HTML keeps words and link addresses."""
    assert wpautop("a\nb\n\nc") == "<p>a<br />\nb</p>\n<p>c</p>"
    assert wpautop("<pre>x\n\ny</pre>") == "<pre>x\n\ny</pre>"
    assert html_to_text('<a href="https://x.org/">https://x.org/</a>') == "https://x.org/"
    assert html_to_text("<ul><li>one</li><li>two</li></ul>") == "one\n\ntwo"
    assert html_to_text('<img src="a.png" alt="chart">') == "[chart]"


def test_comment_html_becomes_what_a_commenter_types_here():
    """Quotes, links to web addresses, emphasis, strong and code stay; other elements
    become their words; a link elsewhere keeps its address; open tags are closed."""
    assert html_to_comment(
        '<blockquote><p>You said <i class="x">this</i>.</p></blockquote>'
        '<p>See <a href="https://x.org/?a=1&amp;b=2" rel="nofollow ugc">my <strong>notes'
        "</strong></a> and <cite>a book</cite>.<br>\nThanks</p>"
    ) == (
        "<blockquote>You said <i>this</i>.</blockquote>\n\n"
        'See <a href="https://x.org/?a=1&amp;b=2">my <strong>notes</strong></a> and a book.'
        "\nThanks"
    )
    assert html_to_comment('<a href="mailto:a@x.org">write</a> <a href="javascript:x">go</a>') == (
        "write go"
    )
    assert html_to_comment("<ul><li><em>one</li><li>two</em></li></ul>") == ("<em>one\n\ntwo</em>")
    assert html_to_comment('<b onclick="x()">bold <em>both</b> after</em>') == (
        "<b>bold <em>both</em></b> after"
    )


HTTPS = DATA / "wxr-https.xml"


def test_https_namespace_files_are_read():
    """WordPress.com exports (https://wordpress.org/export/1.2/) import like any other."""
    run(HTTPS)
    post = Post.objects.get(import_ref="https://ms-selfie.blog/?p=4101")
    assert post.title == "<!DOCTYPE html> for neurologists: reading a trial report"
    assert Post.objects.get(slug="vitamin-d-again").lede == "Every winter, the same question."


def test_a_doctype_in_text_is_not_a_dtd(client):
    """ "<!DOCTYPE" in a title or body is text; only a real document type is refused."""
    run(HTTPS)
    page = client.get("/2024/01/15/reading-a-trial-report/").content.decode()
    assert "&lt;!DOCTYPE html&gt; for neurologists" in page


def test_billion_laughs_and_external_entities_are_refused(tmp_path):
    """Entities defined in a DTD are never expanded or fetched; the file is refused."""
    lol = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10))
    bomb = tmp_path / "laughs.xml"
    bomb.write_text(
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY l0 "lol">{lol}]>'
        "<rss><channel><title>&l9;</title></channel></rss>"
    )
    with pytest.raises(CommandError, match=r"laughs\.xml:1: declares a DTD"):
        run(bomb)
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-WORDS")
    xxe = tmp_path / "xxe.xml"
    xxe.write_text(
        (DATA / "wxr-1.1.xml")
        .read_text()
        .replace("<rss", f'<!DOCTYPE rss [<!ENTITY x SYSTEM "file://{secret}">]>\n<rss', 1)
        .replace("<title>", "<title>&x;", 1)
    )
    with pytest.raises(CommandError, match="declares a DTD") as caught:
        run(xxe)
    assert "SECRET-WORDS" not in str(caught.value)
    assert not Post.objects.exists()


def test_replies_to_pingbacks_and_trackbacks_are_kept():
    """A reply to a left-out pingback or trackback takes its place, and the report says so."""
    report = run(HTTPS)
    post = Post.objects.get(slug="reading-a-trial-report")
    assert thread(post) == [
        (0, "approved", "Thank you for linking her"),
        (1, "approved", "Agreed, both posts togeth"),
        (0, "approved", "Is that register open to "),
    ]
    assert "Not imported, by design: 1 pingback, 1 trackback" in report
    assert "comment 9002 replied to pingback 9001, which is not imported: now top-level" in report
    assert "comment 9005 replied to trackback 9004, which is not imported: now top-level" in report


def test_a_post_without_a_status_is_refused_saying_so():
    """What is missing is named with file and line; --skip-bad imports the rest."""
    path = DATA / "wxr-incomplete.xml"
    with pytest.raises(CommandError) as caught:
        run(path)
    assert "wxr-incomplete.xml:12: post 11 'Clinic hours': no wp:status" in str(caught.value)
    assert not Post.objects.exists()
    run(path, "--skip-bad")
    assert not Post.objects.filter(title="Clinic hours").exists()


def test_missing_dates_and_comment_status_are_read_as_wordpress_would():
    """No date: the file's own date; a comment with no status is held, not published."""
    run(DATA / "wxr-incomplete.xml", "--skip-bad")
    post = Post.objects.get(title="Undated note")
    assert post.status == "published" and post.get_absolute_url() == "/2019/03/05/undated-note/"
    comment = post.comments.get()
    assert (comment.status, comment.created_at) == ("pending", post.published_at)
    before = snapshot()
    run(DATA / "wxr-incomplete.xml", "--skip-bad")
    assert snapshot() == before


def test_an_unknown_wxr_version_is_refused(tmp_path):
    """wp:wxr_version must be a version number, as WordPress's importer requires."""
    odd = tmp_path / "odd.xml"
    odd.write_text(
        (DATA / "wxr-1.1.xml").read_text().replace(">1.1</wp:wxr_version>", ">abc</wp:wxr_version>")
    )
    with pytest.raises(
        CommandError, match=r"odd\.xml:\d+: wp:wxr_version 'abc' is not a WXR version"
    ):
        run(odd)


def test_shortcodes_and_markers_become_what_a_reader_saw(client):
    """[caption] is a figure; [embed] and a media address on its own line are links;
    gallery, audio and video are a short note linking their files; <!--more--> and
    <!--nextpage--> leave no empty paragraph; an unknown shortcode stays as text."""
    run(DATA / "wxr-shortcodes.xml")
    body = Post.objects.get(slug="a-lecture").body
    hall = "https://ms-selfie.blog/wp-content/uploads/2023/11/hall.jpg"
    slide = "https://ms-selfie.blog/wp-content/uploads/2023/11/slide-12.png"
    assert "<figcaption>The hall before we started</figcaption></figure>" in body
    gallery = (
        f'Gallery: <a href="{hall}">Lecture hall</a>, <a href="{slide}">Slide 12: relapse rates</a>'
    )
    assert body.count(gallery) == 2  # by ids, and the post's own attachments
    assert (
        'Audio: <a href="https://ms-selfie.blog/wp-content/uploads/2023/11/talk.mp3">talk.mp3</a>'
        in body
    )
    assert (
        'Video: <a href="https://ms-selfie.blog/wp-content/uploads/2023/11/questions.mp4">questions.mp4</a>'
        in body
    )
    assert '<a href="https://vimeo.com/123456789">https://vimeo.com/123456789</a>' in body
    youtube = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert f'<p><a href="{youtube}">{youtube}</a></p>' in body
    assert "<p></p>" not in body and "more" not in body.replace("moderated", "")
    assert "[audio" not in body and "[/video]" not in body and "[gallery" not in body
    assert '[contact-form to="profg@example.org"]' in body
    assert "Part two: the questions from the floor." in body


def test_a_file_without_any_date_is_dated_when_imported(tmp_path):
    """As WordPress does, a post no date describes is dated by its import; a later import
    keeps that date, so nothing changes; the guid another post has is no redirect."""
    undated = tmp_path / "undated.xml"
    undated.write_text(
        (DATA / "wxr-incomplete.xml")
        .read_text()
        .replace("\t<pubDate>Tue, 05 Mar 2019 18:00:00 +0000</pubDate>\n", "")
    )
    report = run(undated, "--skip-bad")
    post = Post.objects.get(title="Undated note")
    assert "post 12 'Undated note': no date in the file; dated when first imported" in report
    assert (timezone.now() - post.published_at).total_seconds() < 3600
    before = snapshot()
    assert "Posts: 0 created, 0 updated, 1 unchanged" in run(undated, "--skip-bad")
    assert snapshot() == before


def test_guid_redirects_are_not_planned_twice():
    """The guid kept as a redirect the first time is found the second: nothing changes."""
    run(HTTPS)
    assert OriginalURL.objects.filter(url="http://ms-selfie.blog/?p=4101").exists()
    before = snapshot()
    assert "Redirects: 0 created" in run(HTTPS)
    assert snapshot() == before


def test_items_without_a_post_id_are_named_by_their_guid(tmp_path):
    """A hand-made file without wp:post_id: each item is its own post, named by its guid,
    with its comments; importing it again changes nothing."""
    item = """<item><title>{0}</title><guid isPermaLink="false">https://old.example.org/?p={1}</guid>
      <wp:post_date>2008-06-0{1} 10:00:00</wp:post_date><wp:status>publish</wp:status>
      <wp:post_type>post</wp:post_type><content:encoded><![CDATA[Text of {0}.]]></content:encoded>
      <wp:comment><wp:comment_id>{1}0</wp:comment_id><wp:comment_content>On {0}</wp:comment_content>
      <wp:comment_approved>1</wp:comment_approved></wp:comment></item>"""
    plain = tmp_path / "no-ids.xml"
    plain.write_text(
        '<rss xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:wp="http://wordpress.org/export/1.2/"><channel><wp:wxr_version>1.2</wp:wxr_version>'
        + item.format("First", 1)
        + item.format("Second", 2)
        + "</channel></rss>"
    )
    run(plain)
    posts = Post.objects.order_by("published_at")
    assert [(p.title, p.import_ref) for p in posts] == [
        ("First", "https://old.example.org/?p=1"),
        ("Second", "https://old.example.org/?p=2"),
    ]
    assert [c.body for c in Comment.objects.order_by("pk")] == ["On First", "On Second"]
    assert "Posts: 0 created, 0 updated, 2 unchanged" in run(plain)


class StoredHtml(HTMLParser):
    """Every tag and attribute a stored comment's HTML holds."""

    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.found += [(tag, name, value or "") for name, value in attrs] or [(tag, "", "")]


def test_every_published_xss_payload_imported_as_comment_html_stays_inert():
    """The 422 payloads, each as a WordPress comment's HTML, import to stored HTML with
    only the comment tags, only href, title and rel, and only web addresses."""
    payloads = json.loads((DATA / "xss" / "payloads.json").read_text())
    for item in payloads:
        stored = render_comment_html(html_to_comment(item["payload"]))
        parser = StoredHtml()
        parser.feed(stored)
        for tag, name, value in parser.found:
            assert tag in ALLOWED_TAGS, (item["payload"], stored)
            assert name in ("", "href", "title", "rel"), (item["payload"], stored)
            if name == "href":
                assert value.startswith(("http://", "https://")), (item["payload"], stored)
