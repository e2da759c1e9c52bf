"""The Spanish translation: a complete catalog, no English left on the reader's pages and
in the emails with LANGUAGE_CODE=es, and English still the default."""

import functools
import re
import shutil
from pathlib import Path

import polib
import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from comments import following, services
from comments.models import Comment
from comments.notifications import notify_parent_author
from comments.privacy import NO_NAME
from comments.roles import MODERATORS_GROUP
from tests.conftest import ROOT, TEST_OUTPUT, vnu_errors
from tests.factories import local_datetime, make_author, make_comment, make_post, make_staff
from tests.test_accessibility import serious_violations

PO = ROOT / "msblog" / "locale" / "es" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
IGNORED = [".venv/*", "node_modules/*", "tests/*", "benchmarks/*", "staticfiles/*"]
# The moderators' side, which its own helper translates: its strings may wait.
ADMIN_FILES = (
    "comments/admin.py",
    "comments/admin_filters.py",
    "comments/admin_records.py",
    "comments/bulk.py",
    "comments/batches.py",
    "comments/inplace.py",
    "comments/models.py",
    "posts/admin.py",
    "posts/models.py",
    "msblog/adminlists.py",
    "templates/admin/",
    "static/js/admin-moderation.js",
)
# English the site shows that is not a message of its own: dates come from Django.
MONTHS = "January February March April May June July August September October November December"
WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday"
EXTRA_ENGLISH = [*MONTHS.split(), *WEEKDAYS.split(), "thoughts", "Leave a", "Posted", "Older"]
PLACEHOLDER_OR_TAG = re.compile(r"%\(\w+\)[sd]|%[sd]|<[^>]*>|\n")
EDGES = " \t:;,.!?¿¡()[]“”\"'«»…→←·#-"
URL = re.compile(r"https?://\S+")

# A whole site written in Spanish: readers' and authors' text must not count as English.
SPANISH_SITE = {
    "SITE_NAME": "El blog de la EM",
    "SITE_TAGLINE": "Investigación, clínica y debate sobre la esclerosis múltiple",
    "COMMENTS_MODERATION": "all",
    "COMMENTS_MIN_SUBMIT_SECONDS": 0,
}


def is_reader_side(entry: polib.POEntry) -> bool:
    return any(not path.startswith(ADMIN_FILES) for path, _line in entry.occurrences)


def is_translated(entry: polib.POEntry) -> bool:
    return entry.translated() and "fuzzy" not in entry.flags


@functools.cache
def english_phrases() -> tuple[str, ...]:
    """The English a Spanish page must not show: each reader-side message's words between
    its placeholders and tags, unless the Spanish keeps them, and dates' names."""
    phrases = {phrase.lower() for phrase in EXTRA_ENGLISH}
    for entry in polib.pofile(str(PO)):
        if not is_reader_side(entry):
            continue
        spanish = " ".join([entry.msgstr, *entry.msgstr_plural.values()])
        for msgid in filter(None, (entry.msgid, entry.msgid_plural)):
            for part in PLACEHOLDER_OR_TAG.split(msgid):
                part = part.strip(EDGES)
                if re.search(r"[A-Za-z]{2}", part) and not contains(spanish, part):
                    phrases.add(part.lower())
    return tuple(sorted(phrases))


def contains(text: str, phrase: str) -> bool:
    """Whether ``phrase`` is in ``text`` as whole words, whatever their case."""
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text, re.IGNORECASE) is not None


def english_in(text: str) -> list[str]:
    text = URL.sub(" ", text)  # addresses are not words (/comments/12/)
    return [phrase for phrase in english_phrases() if contains(text, phrase)]


# --- the catalog ------------------------------------------------------------------------


def test_catalog_is_complete_for_every_string_the_code_marks(tmp_path, settings, monkeypatch):
    """makemessages over the code today, merged into the committed catalog, leaves no
    reader-side message untranslated or fuzzy: a string marked since needs its Spanish."""
    if shutil.which("msgmerge") is None:
        pytest.skip("gettext is not installed (.ci/run installs it)")
    locale = tmp_path / "locale"
    (locale / "es" / "LC_MESSAGES").mkdir(parents=True)
    shutil.copy(PO, locale / "es" / "LC_MESSAGES" / "django.po")
    settings.LOCALE_PATHS = [str(locale)]
    monkeypatch.chdir(ROOT)
    # msblog/locale ignored too: makemessages would write the catalog of msblog/'s files
    # into any "locale" folder it meets on its way, the committed one included.
    ignored = [*IGNORED, "msblog/locale"]
    call_command(
        "makemessages", locale=["es"], ignore_patterns=ignored, no_obsolete=True, verbosity=0
    )
    merged = polib.pofile(str(locale / "es" / "LC_MESSAGES" / "django.po"))
    reader_side = [entry for entry in merged if is_reader_side(entry)]
    assert len(reader_side) > 250
    missing = [entry.msgid for entry in reader_side if not is_translated(entry)]
    assert missing == []


def test_committed_mo_holds_exactly_the_po_translations():
    """django.mo is compiled from django.po as committed: the same messages, the same
    Spanish (compilemessages after every change to the .po)."""

    def messages(entries) -> dict:
        return {
            (entry.msgctxt, entry.msgid): (entry.msgstr, sorted(entry.msgstr_plural.items()))
            for entry in entries
            if entry.msgid
        }

    po = messages(filter(is_translated, polib.pofile(str(PO))))
    mo = messages(polib.mofile(str(MO)))
    assert po and mo == po


def test_english_phrases_cover_the_site_words():
    """The list the checks below use holds the site's own English, plural forms included."""
    phrases = set(english_phrases())
    for word in ("reply", "quote", "comments", "name", "email", "website", "archives", "tags"):
        assert word in phrases
    assert {"leave a reply", "post comment", "thoughts on", "december"} <= phrases


# --- pages, in Chromium -----------------------------------------------------------------

VISIBLE_WORDS = """() => {
  const values = [document.title, document.body.innerText];
  for (const element of document.querySelectorAll(
    "[aria-label], [title], [placeholder], [alt], button, input[type=submit]"
  )) {
    for (const name of ["aria-label", "title", "placeholder", "alt", "value"]) {
      if (element.hasAttribute(name)) values.push(element.getAttribute(name));
    }
  }
  return values.join("\\n");
}"""


@pytest.fixture
def spanish(settings):
    settings.LANGUAGE_CODE = "es"
    for name, value in SPANISH_SITE.items():
        setattr(settings, name, value)
    return settings


def spanish_posts():
    """Two posts in March 2024 sharing a tag, the first with a thread: a reply, a comment
    without a name, and a comment by the blog team that it edited."""
    author = make_author("Ana García", bio="Neuróloga e investigadora.")
    first = make_post(
        title="Ensayos clínicos en esclerosis múltiple",
        slug="ensayos-clinicos",
        author=author,
        body="<p>Un texto sobre los ensayos clínicos y la esclerosis múltiple.</p>",
        lede="Lo que sabemos de los ensayos.",
        coi="ninguno",
        tags=["esclerosis", "ensayos"],
        published_at=local_datetime(2024, 3, 12),
    )
    make_post(
        title="Vitamina D y esclerosis",
        slug="vitamina-d",
        author=author,
        body="<p>La vitamina D y la esclerosis múltiple.</p>",
        lede="Una revisión de la vitamina D.",
        tags=["esclerosis"],
        published_at=local_datetime(2024, 3, 20),
    )
    lucia = make_comment(first, author_name="Lucía", body="Muy interesante, gracias.")
    make_comment(first, parent=lucia, author_name="Pablo", body="Estoy de acuerdo con Lucía.")
    make_comment(first, author_name=NO_NAME, body="Yo también lo creo.")
    make_comment(
        first,
        author_name="Equipo",
        user=make_staff("equipo"),
        body="Gracias a los dos.",
        edited_at=timezone.now(),
    )
    return first, lucia


def assert_spanish(page):
    text = page.evaluate(VISIBLE_WORDS)
    assert english_in(text) == [], page.url
    assert page.locator("html").get_attribute("lang") == "es"
    return text


@pytest.mark.django_db(transaction=True)
def test_no_english_left_on_the_readers_pages(spanish, new_page, live_server):
    """Home, a post with a thread, a month's archive, the archives, search results, a
    missing page and a refused comment form show no English in Spanish, dates and month
    names included."""
    post, lucia = spanish_posts()
    page = new_page()
    pages = {
        "/": "Últimas entradas",
        post.get_absolute_url(): "4 comentarios sobre “Ensayos clínicos en esclerosis múltiple”",
        reverse("posts:archive-month", args=[2024, 3]): "Entradas de marzo de 2024",
        reverse("posts:archives"): "marzo de 2024",
        reverse("posts:search") + "?q=esclerosis": "Resultados de la búsqueda de “esclerosis”",
        "/no-hay-nada-aqui/": "No encontrado",
    }
    for path, heading in pages.items():
        page.goto(f"{live_server.url}{path}")
        assert heading in assert_spanish(page), path
    page.goto(f"{live_server.url}{post.get_absolute_url()}")
    assert "12 de marzo de 2024" in page.locator(".entry-meta").inner_text()
    assert "Anónimo" in page.locator(".comment-list").inner_text()
    page.click(f"#comment-{lucia.pk} .comment-reply-link")
    assert page.locator("#reply-title").inner_text().startswith("Deja una respuesta a Lucía")
    page.fill("#id_author_url", "ftp://ejemplo.org")
    page.check("#id_notify_replies")
    page.fill("#id_body", "Un comentario de prueba.")
    page.click("#submit")
    page.wait_for_url("**#comment-errors")
    errors = page.locator("#comment-errors").inner_text()
    assert "Tu comentario no se ha publicado." in errors
    assert "Sitio web: Escribe una dirección http:// o https://." in errors
    assert_spanish(page)


@pytest.mark.django_db(transaction=True)
def test_screenshots_of_the_spanish_post_page(spanish, new_page, live_server):
    """The Spanish post page at 1280 and 375 px, in test-output/screenshots/."""
    post, _lucia = spanish_posts()
    shots = TEST_OUTPUT / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    for width in (1280, 375):
        page = new_page(width=width)
        page.goto(f"{live_server.url}{post.get_absolute_url()}")
        assert page.locator(".comment-reply-link").first.inner_text() == "Responder"
        target = shots / f"post-es-{width}.png"
        page.screenshot(path=str(target), full_page=True)
        assert target.stat().st_size > 20_000


def spanish_pages(post) -> list[str]:
    return [
        "/",
        post.get_absolute_url(),
        reverse("posts:archive-month", args=[2024, 3]),
        reverse("posts:search") + "?q=esclerosis",
        reverse("comments:follow", args=[post.pk]),
        "/no-hay-nada-aqui/",
    ]


@pytest.mark.django_db(transaction=True)
def test_spanish_pages_pass_axe_and_the_html_checker(
    spanish, client, new_page, live_server, node_tools
):
    """In Spanish, the pages checked above have no serious or critical axe violation and
    no Nu HTML Checker error (their lang is "es")."""
    post, _lucia = spanish_posts()
    folder = TEST_OUTPUT / "html-es"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    page = new_page(bypass_csp=True)
    axe = node_tools / "axe-core" / "axe.min.js"
    found, files = {}, []
    for number, path in enumerate(spanish_pages(post)):
        page.goto(f"{live_server.url}{path}")
        if problems := serious_violations(page, axe):
            found[path] = problems
        target = folder / f"page-{number}.html"
        target.write_bytes(client.get(path).content)
        files.append(str(target))
    assert found == {}
    assert vnu_errors(node_tools, files) == []


# --- emails -----------------------------------------------------------------------------


def assert_spanish_mail(mail):
    assert english_in(mail.subject) == [], mail.subject
    assert english_in(mail.body) == [], mail.body


@pytest.mark.django_db
def test_emails_are_in_spanish(spanish, mailoutbox, django_capture_on_commit_callbacks):
    """A moderator's notice, a reply notification and a follow confirmation have no
    English in their subject or body."""
    Group.objects.get(name=MODERATORS_GROUP).user_set.add(
        make_staff("moderadora", email="moderadora@example.org")
    )
    post, lucia = spanish_posts()
    with django_capture_on_commit_callbacks(execute=True):
        held = services.comment_create(
            post=post,
            body="¿Hay ensayos en España?",
            author_name="Marta",
            author_email="marta@example.org",
            author_url="https://ejemplo.org",
            ip_address="192.0.2.7",
        )
    notice = mailoutbox[-1]
    assert notice.to == ["moderadora@example.org"]
    assert "Retenido porque: todo comentario nuevo queda pendiente" in notice.body
    Comment.objects.filter(pk=lucia.pk).update(
        author_email="lucia@example.org", notify_replies=True
    )
    reply = make_comment(
        post, parent=lucia, author_name="Pablo", author_email="p@e.org", body="¡Yo también!"
    )
    notify_parent_author(reply.pk)
    with django_capture_on_commit_callbacks(execute=True):
        following.subscription_request(post=post, email="sigo@example.org", mode="daily")
    mails = {tuple(mail.to): mail for mail in mailoutbox}
    assert set(mails) == {
        ("moderadora@example.org",),
        ("lucia@example.org",),
        ("sigo@example.org",),
    }
    reply_mail, follow_mail = mails["lucia@example.org",], mails["sigo@example.org",]
    assert "Nueva respuesta a tu comentario sobre “Ensayos clínicos" in reply_mail.subject
    assert "enviar un resumen diario sobre" in follow_mail.body
    assert held.status == Comment.Status.PENDING
    for mail in mails.values():
        assert_spanish_mail(mail)


# --- English stays the default ----------------------------------------------------------


@pytest.mark.django_db
def test_english_is_the_default(client, settings):
    """Without LANGUAGE_CODE the site is in English, as before."""
    assert settings.LANGUAGE_CODE == "en-gb"
    post = make_post(title="On trials", published_at=local_datetime(2024, 3, 12))
    make_comment(post, author_name="Heather")
    html = client.get(post.get_absolute_url()).content.decode()
    assert '<html lang="en-gb">' in html
    assert "1 thought on “On trials”" in html and "Leave a Reply" in html
    assert "12 March 2024" in html and ">Reply</a>" in html


@pytest.mark.django_db
def test_a_page_cached_in_english_is_not_served_in_spanish(client, settings):
    """The page cache keys pages by language too: after LANGUAGE_CODE changes, the same
    content version draws the page again, and a browser's English copy is not confirmed."""
    post = make_post(title="Ensayos")
    english = client.get(post.get_absolute_url())
    assert "Leave a Reply" in english.content.decode()
    settings.LANGUAGE_CODE = "es"
    spanish = client.get(post.get_absolute_url(), headers={"If-None-Match": english["ETag"]})
    assert spanish.status_code == 200
    assert "Deja una respuesta" in spanish.content.decode()


def test_catalog_path_is_the_one_django_reads(settings):
    """LOCALE_PATHS names the folder the catalog is committed in."""
    assert [Path(p) for p in settings.LOCALE_PATHS] == [PO.parent.parent.parent]
