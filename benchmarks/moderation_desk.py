"""How much work triaging 50 pending comments is in the admin, measured in Chromium.

For a checkout of msblog (this one, or an older one with --checkout DIR), the script makes
a throwaway SQLite database with 50 pending comments, serves it with `manage.py runserver`
and has a moderator decide them all (35 approve, 10 spam, 5 remove, in a fixed order):

* keyboard only: with the desk's shortcuts if the page has them (one key per decision),
  else by Tab to the first row's button and Enter, counting every key pressed;
* mouse: one click on the first row's button per decision, plus a sideways scroll
  whenever that button is outside the 1280 px window;
* the queue's page height at 1280 px with the 50 rows, and its sideways overflow at 1280
  and 1024 px.

    .venv/bin/python benchmarks/moderation_desk.py
    git archive d242a6b | tar -x -C /tmp/before
    .venv/bin/python benchmarks/moderation_desk.py --checkout /tmp/before
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from common import ROOT, print_table

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
DECISIONS = (["approve"] * 7 + ["spam"] * 2 + ["remove"]) * 5  # 35, 10 and 5 of 50
PASSWORD = "a-long-Benchmark-passphrase-9"  # noqa: S105 -- a throwaway local database
KEYS = {"approve": "a", "spam": "s", "remove": "d"}

MAKE_QUEUE = f"""
import datetime, random
from django.contrib.auth import get_user_model
from django.utils import timezone
from comments.models import Comment
from posts.models import Author, Post
get_user_model().objects.create_superuser("bench", "bench@example.org", {PASSWORD!r})
author = Author.objects.create(name="Prof G", slug="prof-g")
words = "alemtuzumab relapse MRI lesion neurologist trial disability treatment immune".split()
rng = random.Random(7)
posts = [Post.objects.create(title=title, slug=f"post-{{n}}", author=author, body="<p>Body</p>",
         status="published", published_at=timezone.now() - datetime.timedelta(days=1))
         for n, title in enumerate(["ClinicSpeak: when to say no to alemtuzumab treatment",
                                     "Good news: alemtuzumab gets a first-line license in Europe",
                                     "Alemtuzumab replay"])]
approved = [Comment.objects.create(post=p, body="An approved comment.", status="approved")
            for p in posts]
for i in range(50):
    parent = rng.choice(approved) if i % 3 == 0 else None
    body = " ".join(rng.choice(words) for _ in range(rng.choice((8, 25, 90)))) + "."
    Comment.objects.create(
        post=parent.post if parent else rng.choice(posts), parent=parent, status="pending",
        author_name=f"Reader {{i}}", author_email=f"reader.{{i}}@example-clinic.org",
        ip_address="192.0.2.9", body=body,
        moderation_reason="every new comment is held for moderation",
        created_at=timezone.now() - datetime.timedelta(minutes=50 - i))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(checkout: Path, database: Path, port: int):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_ENV": "development",
        "DEBUG": "1",
        "TASKS_BACKEND": "immediate",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    env.pop("REDIS_URL", None)
    manage = [sys.executable, "manage.py"]
    run = {"cwd": checkout, "env": env, "check": True, "capture_output": True}
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], **run)
    subprocess.run([*manage, "shell", "-c", MAKE_QUEUE], **run)
    server = subprocess.Popen(
        [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=checkout,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/admin/login/", timeout=2)
            return server
        except httpx.HTTPError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("runserver did not answer within 60 s")


def sign_in(page, base: str) -> None:
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", "bench")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("input[type=submit]")


def first_row_button(page, decision: str):
    """The first row's button for a decision: the desk names its actions, the old queue
    labelled its buttons."""
    desk = page.locator(f"#result_list tr.queue-row >> nth=0 >> [data-action={decision}]")
    if desk.count():
        return desk
    label = {"approve": "Approve", "spam": "Spam", "remove": "Remove"}[decision]
    row = page.locator("#result_list tbody tr").first
    return row.locator("button[formaction]", has_text=label)


def measure_layout(page, base: str, queue: str) -> dict:
    found = {}
    for width in (1280, 1024):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(base + queue)
        found[f"overflow_{width}"] = page.evaluate(
            """() => Math.max(
                document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth,
                (() => { const r = document.querySelector('#changelist-form .results');
                         return r ? r.scrollWidth - r.clientWidth : 0; })())"""
        )
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(base + queue)
    found["rows"] = page.locator("#result_list tbody tr").count()
    found["height_1280"] = page.evaluate("document.scrollingElement.scrollHeight")
    return found


def triage_by_keyboard(page, base: str, queue: str) -> int:
    page.goto(base + queue)
    shortcuts = page.locator("#keyboard-help").count() > 0
    pressed = 0
    for decision in DECISIONS:
        if shortcuts:
            with page.expect_navigation():
                page.keyboard.press(KEYS[decision])
            pressed += 1
            continue
        target = first_row_button(page, decision).element_handle()
        for _ in range(400):
            page.keyboard.press("Tab")
            pressed += 1
            if page.evaluate("(el) => document.activeElement === el", target):
                break
        else:
            raise SystemExit("Tab never reached the row's button")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        pressed += 1
    return pressed


def triage_by_mouse(page, base: str, queue: str) -> tuple[int, int]:
    clicks = scrolls = 0
    page.goto(base + queue)
    for decision in DECISIONS:
        button = first_row_button(page, decision)
        box = button.bounding_box()
        if box["x"] < 0 or box["x"] + box["width"] > 1280 or box["y"] + box["height"] > 900:
            scrolls += 1
            button.scroll_into_view_if_needed()
        with page.expect_navigation():
            button.click()
        clicks += 1
    return clicks, scrolls


def measure(checkout: Path) -> dict:
    from playwright.sync_api import sync_playwright

    results = {}
    with tempfile.TemporaryDirectory() as directory, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        for task in ("layout", "keyboard", "mouse"):
            port = free_port()
            server = serve(checkout, Path(directory) / f"{task}.sqlite3", port)
            try:
                base = f"http://127.0.0.1:{port}"
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                sign_in(page, base)
                queue = "/admin/comments/comment/?status__exact=pending"
                if task == "layout":
                    results.update(measure_layout(page, base, queue))
                elif task == "keyboard":
                    results["keys"] = triage_by_keyboard(page, base, queue)
                else:
                    results["clicks"], results["scrolls"] = triage_by_mouse(page, base, queue)
                page.close()
            finally:
                server.terminate()
                server.wait(timeout=30)
        browser.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the msblog to measure")
    args = parser.parse_args()
    found = measure(args.checkout.resolve())
    print_table(
        f"Triage of 50 pending comments in {args.checkout}",
        [
            "rows",
            "keys (keyboard only)",
            "clicks",
            "sideways scrolls",
            "height at 1280 px",
            "overflow 1280",
            "overflow 1024",
        ],
        [
            [
                found["rows"],
                found["keys"],
                found["clicks"],
                found["scrolls"],
                found["height_1280"],
                found["overflow_1280"],
                found["overflow_1024"],
            ]
        ],
    )


if __name__ == "__main__":
    main()
