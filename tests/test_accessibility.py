"""axe-core in Chromium finds no serious or critical violation on the public pages."""

import pytest

from tests.pages import load_seed_site, public_pages

pytestmark = pytest.mark.django_db(transaction=True)


def serious_violations(page, axe_path):
    page.add_script_tag(path=str(axe_path))
    result = page.evaluate("async () => await axe.run(document)")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_no_serious_accessibility_violations(new_page, live_server, node_tools):
    """Home, posts, tag page and the reply form pass axe at serious and critical level."""
    load_seed_site()
    axe = node_tools / "axe-core" / "axe.min.js"
    found = {}
    for width in (1280, 375):
        page = new_page(width=width, bypass_csp=True)
        for name, path in public_pages():
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
