"""The moderator's side in Spanish: the desk, a comment's pages and the posts list show no
English from the admin's own files, counts take Spanish plurals, the desk still fits in
Chromium, English stays the default, and the label migrations change labels only."""

import ast
import io
import json
import re
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.conf import settings as django_settings
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import AlterField, AlterModelOptions
from django.test import Client
from django.urls import reverse
from django.utils import translation

from comments import services
from comments.models import Comment, CommentEvent
from tests.conftest import TEST_OUTPUT, vnu_errors
from tests.factories import (
    make_author,
    make_comment,
    make_moderation_queue,
    make_post,
    make_staff,
)
from tests.test_accessibility import serious_violations
from tests.test_browser_moderation import desk_pages, overflow, sign_in

LOCALE = Path(django_settings.BASE_DIR) / "msblog" / "locale"
CATALOG = LOCALE / "es" / "LC_MESSAGES" / "django.po"
QUEUE = reverse("admin:comments_comment_changelist")
# The files whose strings this side of the translation owns (see the catalog's "#:" lines).
ADMIN_FILES = (
    "comments/admin.py",
    "comments/admin_filters.py",
    "comments/admin_records.py",
    "comments/inplace.py",
    "comments/queue.py",
    "comments/models.py",
    "comments/apps.py",
    "posts/admin.py",
    "posts/models.py",
    "posts/apps.py",
    "msblog/adminlists.py",
    "templates/admin/",
)
LABEL_MIGRATIONS = [("comments", "0009_translatable_labels"), ("posts", "0008_translatable_labels")]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
TAG = re.compile(r"<[^>]+>")


@pytest.fixture
def spanish(settings):
    """The deployment's language set to Spanish, as LANGUAGE_CODE=es would set it."""
    settings.LANGUAGE_CODE = "es"
    settings.LOCALE_PATHS = [LOCALE]
    with translation.override("es"):
        yield


@pytest.fixture
def moderator_client(db):
    client = Client()
    client.force_login(make_staff("mod", superuser=True, first_name="Mara"))
    return client


def unquote(line: str) -> str:
    return ast.literal_eval(line)


def catalog_entries() -> list[dict]:
    """The catalog's entries: references, msgids (singular and plural) and msgstrs."""
    entries = []
    for block in CATALOG.read_text(encoding="utf-8").split("\n\n")[1:]:
        entry = {"refs": [], "ids": [], "strs": []}
        field = None
        for line in block.splitlines():
            if line.startswith("#:"):
                entry["refs"] += line[2:].split()
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                entry[field][-1] += unquote(line)
            else:
                key, rest = line.split(" ", 1)
                field = (
                    "ids"
                    if key.startswith("msgid")
                    else "strs"
                    if key.startswith("msgstr")
                    else "ctx"
                )
                entry.setdefault(field, []).append(unquote(rest))
        entries.append(entry)
    return entries


def words(text: str) -> set[str]:
    return set(re.findall(r"[^\W\d_]+", TAG.sub(" ", PLACEHOLDER.sub(" ", text)).lower()))


def english_patterns() -> dict[str, re.Pattern]:
    """What would betray an untranslated admin string: each English msgid from the admin's
    files whose translation differs, as a pattern over visible text (placeholders match
    anything). A msgid made only of words the Spanish uses too ("spam") proves nothing."""
    entries = [e for e in catalog_entries() if any(r.startswith(ADMIN_FILES) for r in e["refs"])]
    spanish_words = set().union(*(words(text) for e in catalog_entries() for text in e["strs"]))
    patterns = {}
    for entry in entries:
        for msgid in entry["ids"]:
            if msgid in entry["strs"] or not words(msgid) - spanish_words:
                continue
            parts = [" ".join(TAG.sub("", part).split()) for part in PLACEHOLDER.split(msgid)]
            body = r"\s*.+?\s*".join(re.escape(part) for part in parts if part)
            patterns[msgid] = re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)
    return patterns


def visible_text(html: str) -> str:
    """What a moderator reads or hears: text, titles, labels and button values."""
    soup = BeautifulSoup(html, "html.parser")
    for hidden in soup(["script", "style", "template"]):
        hidden.decompose()
    said = [
        element[name]
        for name in ("title", "aria-label", "alt", "placeholder")
        for element in soup.find_all(attrs={name: True})
    ]
    said += [element["value"] for element in soup.find_all("input", type="submit")]
    return " ".join([soup.get_text(" "), *said])


def stored_reasons() -> list[str]:
    """Reasons the services and moderation rules store with a comment or an event: data
    written in English when it happened, not text of the admin's files."""
    reasons = {*CommentEvent.objects.values_list("reason", flat=True)}
    reasons |= {*Comment.objects.values_list("moderation_reason", flat=True)}
    return sorted(filter(None, reasons), key=len, reverse=True)


def page_text(html: str) -> str:
    text = " ".join(visible_text(html).split())
    for reason in stored_reasons():
        text = text.replace(" ".join(reason.split()), " ")
    return text


def english_left(html: str) -> list[str]:
    text = page_text(html)
    return sorted(msgid for msgid, pattern in english_patterns().items() if pattern.search(text))


def english_context(html: str) -> list[str]:
    """Where each English msgid was found, to read in a failure."""
    text = page_text(html)
    found = []
    for pattern in english_patterns().values():
        if match := pattern.search(text):
            found.append(text[max(0, match.start() - 40) : match.end() + 40])
    return found


def moderation_scene(moderator) -> dict:
    """A queue with a pending comment, an approved one, a spam one, a reply and a team
    reply, a bulk action to undo, and a comment with a history."""
    post = make_post(
        title="Sobre los ensayos clínicos",
        author=make_author("Marta"),
        lede="Una entradilla.",
        body="<p>El texto.</p>",
    )
    approved = make_comment(
        post, author_name="Ana", author_email="ana@ejemplo.es", body="Gracias por la entrada."
    )
    pending = make_comment(
        post,
        status="pending",
        author_name="Luis",
        author_email="luis@ejemplo.es",
        ip_address="192.0.2.7",
        moderation_reason="2 enlaces",
        body="¿Y los datos de 2025?",
    )
    spam = make_comment(
        post, status="spam", author_name="Oferta", moderation_reason="lista", body="Compra ya."
    )
    reply = make_comment(post, parent=approved, author_name="Eva", body="Estoy de acuerdo.")
    services.comment_reply_as_team(parent=reply, body="Buena pregunta.", user=moderator)
    batch_mates = [make_comment(post, status="pending", body=f"Hola {n}.") for n in range(3)]
    services.comments_moderate(comments=[pending], action="approve", actor=moderator)
    services.comments_moderate(comments=[pending], action="unapprove", actor=moderator)
    services.comments_moderate(comments=batch_mates, action="spam", actor=moderator)
    return {"post": post, "pending": pending, "spam": spam, "reply": reply}


@pytest.mark.django_db
def test_admin_pages_in_spanish_show_no_english_from_the_admin_files(spanish):
    """The queue, a comment's page and history, the audit log, the actions list and the
    posts list, rendered in Spanish, contain no English msgid of the admin's files."""
    moderator = make_staff("mod", superuser=True, first_name="Mara")
    client = Client()
    client.force_login(moderator)
    scene = moderation_scene(moderator)
    pending = scene["pending"].pk
    pages = {
        "queue": QUEUE,
        "pending queue": f"{QUEUE}?status__exact=pending",
        "one sender": f"{QUEUE}?author_email=luis@ejemplo.es",
        "change page": reverse("admin:comments_comment_change", args=[pending]),
        "history": reverse("admin:comments_comment_history", args=[pending]),
        "thread": reverse("admin:comments_comment_context", args=[scene["reply"].pk]),
        "audit log": reverse("admin:comments_commentevent_changelist"),
        "actions": reverse("admin:comments_moderationbatch_changelist"),
        "posts": reverse("admin:posts_post_changelist"),
        "post page": reverse("admin:posts_post_change", args=[scene["post"].pk]),
    }
    assert english_patterns(), "no English msgid found in the catalog for the admin files"
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, name
        html = response.content.decode()
        assert english_left(html) == [], (name, english_context(html))
    queue = client.get(QUEUE).content.decode()
    assert "Moderar comentarios" in queue and "Aprobar" in queue
    assert "Marcados como spam 3 comentarios." in visible_text(queue)


@pytest.mark.django_db
def test_the_check_finds_english_when_nothing_is_translated(moderator_client):
    """The same check, run on the English queue, finds the English it looks for."""
    moderation_scene(make_staff("other", first_name="Otto"))
    html = moderator_client.get(QUEUE).content.decode()
    assert {"Moderate comments", "Approve", "In response to"} <= set(english_left(html))


@pytest.mark.django_db
def test_bulk_action_message_in_spanish_with_a_plural_count(spanish, moderator_client):
    """Marking three comments as spam in bulk says so in Spanish, with the plural form;
    one comment takes the singular."""
    post = make_post(title="Entrada")
    three = [make_comment(post, status="pending", body=f"Hola {n}.") for n in range(3)]
    ids = [str(c.pk) for c in three]
    response = moderator_client.post(
        QUEUE, {"action": "mark_spam", ACTION_CHECKBOX_NAME: ids}, follow=True
    )
    said = [str(message) for message in response.context["messages"]]
    assert said == ["Marcados como spam 3 comentarios."]
    response = moderator_client.post(
        QUEUE, {"action": "approve", ACTION_CHECKBOX_NAME: ids[:1]}, follow=True
    )
    said = [str(message) for message in response.context["messages"]]
    assert said == [f"Aprobado el comentario n.º {three[0].pk} de {three[0].author_name}."]


@pytest.mark.django_db
def test_in_place_moderation_summary_takes_spanish_plurals(spanish, moderator_client):
    """The note above a post's thread counts held comments in Spanish: 1 and 2."""
    post = make_post(title="Entrada")
    make_comment(post, status="pending", body="Uno.")
    page = moderator_client.get(post.get_absolute_url()).content.decode()
    assert "1 comentario de esta entrada espera moderación" in page
    make_comment(post, status="pending", body="Dos.")
    page = moderator_client.get(post.get_absolute_url()).content.decode()
    assert "2 comentarios de esta entrada esperan moderación" in page
    assert "Abrir en la administración" in page


@pytest.mark.django_db(transaction=True)
def test_spanish_desk_fits_at_1280_and_375_px(spanish, new_page, live_server):
    """In Spanish (longer words) the queue and a comment's page scroll no sideways at 1280
    and 375 px, the first row's buttons stay in view, and the quick editor speaks Spanish."""
    pending = make_moderation_queue(12)
    page = sign_in(new_page, live_server)
    services.comments_moderate(comments=pending[:2], action="spam", actor=page.moderator)
    shots = TEST_OUTPUT / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    change = reverse("admin:comments_comment_change", args=[pending[2].pk])
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}{QUEUE}?status__exact=pending")
        assert page.locator("html").get_attribute("lang") == "es"
        assert "Marcados como spam 2 comentarios" in page.locator(".undo-bar").inner_text()
        assert overflow(page) == {"page": 0, "list": 0}, width
        first = page.locator("#result_list tr.queue-row").first
        assert first.locator("[data-key=a]").inner_text().startswith("Aprobar")
        for button in first.locator(".row-actions > .button").all():
            box = button.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, (width, box)
        first.locator(".more-actions summary").click()  # the longest labels, opened
        assert first.locator(".more-menu").is_visible()
        assert overflow(page) == {"page": 0, "list": 0}, width
        page.screenshot(path=str(shots / f"moderation-queue-es-{width}.png"), full_page=True)
        page.goto(f"{live_server.url}{change}")
        assert overflow(page)["page"] <= 0, width
    page.goto(f"{live_server.url}{QUEUE}?status__exact=pending")
    page.keyboard.press("q")
    editor = page.locator(".quick-edit")
    assert editor.locator("label").inner_text().startswith("Texto del comentario n.º")
    assert "Ctrl+Intro guarda" in editor.inner_text()


@pytest.mark.django_db(transaction=True)
def test_spanish_desk_pages_pass_axe_at_375(spanish, new_page, live_server, node_tools):
    """Every desk page in Spanish, at the narrowest width, has no serious or critical axe
    violation and says lang="es"."""
    page = sign_in(new_page, live_server, width=375, bypass_csp=True)
    axe = node_tools / "axe-core" / "axe.min.js"
    found = {}
    for name, path in desk_pages(page.moderator):
        page.goto(f"{live_server.url}{path}")
        if not path.startswith("/admin/"):
            continue  # the post page is the reader side's
        assert page.locator("html").get_attribute("lang") == "es", name
        if problems := serious_violations(page, axe):
            found[name] = problems
    (TEST_OUTPUT / "axe-moderation-es.json").write_text(json.dumps(found, indent=2))
    assert found == {}


@pytest.mark.django_db
def test_spanish_desk_pages_are_valid_html(spanish, moderator_client, node_tools):
    """Every desk page in Spanish is valid HTML to the Nu checker, in one run."""
    folder = TEST_OUTPUT / "html-moderation-es"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    files = []
    for name, path in desk_pages(make_staff("molly", first_name="Molly")):
        response = moderator_client.get(path, follow=True)
        assert response.status_code == 200, path
        files.append(folder / f"{name}.html")
        files[-1].write_bytes(response.content)
    errors = vnu_errors(node_tools, files)
    assert errors == []


@pytest.mark.django_db
def test_english_stays_the_default(moderator_client):
    """Without LANGUAGE_CODE the admin is English: the queue's title, row actions and the
    bulk message read as before."""
    assert django_settings.LANGUAGE_CODE == "en-gb"
    post = make_post(title="On trials")
    two = [make_comment(post, status="pending") for _ in range(2)]
    ids = [str(c.pk) for c in two]
    response = moderator_client.post(
        QUEUE, {"action": "approve", ACTION_CHECKBOX_NAME: ids}, follow=True
    )
    assert [str(m) for m in response.context["messages"]] == ["Approved 2 comments."]
    html = response.content.decode()
    assert '<html lang="en-gb"' in html and "Moderate comments" in html
    assert ">Unapprove<" in html and english_left(html)


@pytest.mark.django_db
def test_label_migrations_change_labels_only():
    """The translation migrations alter only field and model labels, choices' labels and
    help texts, and no model change is left without a migration."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    label_only = {"verbose_name", "verbose_name_plural", "help_text", "choices"}
    for key in LABEL_MIGRATIONS:
        migration = loader.get_migration(*key)
        before = loader.project_state(key, at_end=False)
        for operation in migration.operations:
            assert isinstance(operation, (AlterField, AlterModelOptions)), (key, operation)
            if isinstance(operation, AlterModelOptions):
                assert set(operation.options) <= label_only | {"ordering", "get_latest_by"}
                model = before.models[key[0], operation.name_lower]
                for name in set(operation.options) - label_only:
                    assert model.options.get(name) == operation.options[name], (key, name)
                continue
            old = before.models[key[0], operation.model_name_lower].fields[operation.name]
            _, _, old_args, old_kwargs = old.deconstruct()
            _, _, new_args, new_kwargs = operation.field.deconstruct()
            assert old_args == new_args
            changed = {
                name
                for name in old_kwargs.keys() | new_kwargs.keys()
                if old_kwargs.get(name) != new_kwargs.get(name)
            }
            assert changed <= label_only, (key, operation.name, changed)
            if "choices" in changed:
                assert [v for v, _ in old_kwargs["choices"]] == [
                    v for v, _ in new_kwargs["choices"]
                ]
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_label_migrations_write_no_sql():
    """The label migrations run no SQL statement on this database."""
    for app, name in LABEL_MIGRATIONS:
        out = io.StringIO()
        call_command("sqlmigrate", app, name, stdout=out)
        lines = [line.strip() for line in out.getvalue().splitlines()]
        statements = [line for line in lines if line and not line.startswith("--")]
        assert set(statements) <= {"BEGIN;", "COMMIT;"}, (app, name, statements)
