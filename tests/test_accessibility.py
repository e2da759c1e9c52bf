"""axe-core in Chromium finds no serious or critical violation on the public pages."""

import pytest
from django.test import Client

from tests.pages import load_seed_site, one_readers_pages, public_pages

pytestmark = pytest.mark.django_db(transaction=True)


def serious_violations(page, axe_path):
    page.add_script_tag(path=str(axe_path))
    result = page.evaluate("async () => await axe.run(document)")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_no_serious_accessibility_violations(new_page, live_server, node_tools, settings):
    """Home, posts, tag page, the reply form and each page only one reader sees (a refused
    form, the edit window, following) pass axe at serious and critical level."""
    settings.COMMENTS_FLOOD_LIMIT = 0  # one reader's state is made twice, from one address
    load_seed_site()
    axe = node_tools / "axe-core" / "axe.min.js"
    found = {}
    for width in (1280, 375):
        page = new_page(width=width, bypass_csp=True)
        reader = Client()
        own = one_readers_pages(reader)
        page.context.add_cookies(
            [
                {"name": name, "value": morsel.value, "url": live_server.url}
                for name, morsel in reader.cookies.items()
            ]
        )
        for name, path in [*public_pages(), *own]:
            page.goto(f"{live_server.url}{path}")
            if problems := serious_violations(page, axe):
                found[f"{name}@{width}"] = problems
    assert found == {}


def test_keyboard_focus_is_visible(new_page, live_server, node_tools):
    """Tabbing to a link shows a focus outline."""
    load_seed_site()
    page = new_page()
    page.goto(f"{live_server.url}/")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", "")
