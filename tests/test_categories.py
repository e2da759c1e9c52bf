"""WordPress categories stay categories (hierarchical, shown apart from tags); terms are
matched by their slug, and the spelling kept does not depend on the order of the file."""

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from taggit.models import Tag

from posts.models import Category, Post

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent / "data"
TERMS = DATA / "wxr-terms.xml"


def run(path):
    call_command("import_wxr", str(path), stdout=io.StringIO())


def reversed_items(tmp_path) -> Path:
    """The same export with its items in the opposite order and no term definitions."""
    text = TERMS.read_text()
    head, _, rest = text.partition("\t<item>")
    items = ["\t<item>" + part for part in rest.split("\t<item>")]
    items[-1], tail = items[-1].split("</channel>")
    head = re.sub(r"\t<wp:(category|tag)>.*\n", "", head)
    path = tmp_path / "reversed.xml"
    path.write_text(head + "".join(reversed(items)) + "</channel>" + tail)
    return path


def main(response) -> str:
    """The page's content, without the sidebar's recent posts."""
    return response.content.decode().split("<main", 1)[1].split("</main>", 1)[0]


def terms() -> list[tuple]:
    return sorted(
        (p.slug, sorted(c.slug for c in p.categories.all()), sorted(p.tags.names()))
        for p in Post.objects.all()
    )


def test_categories_and_tags_are_kept_apart_with_their_hierarchy():
    """Categories become categories (Trials under Research), tags stay tags; a category
    and a tag with the same name do not merge; "Uncategorized" is left out."""
    run(TERMS)
    assert terms() == [
        ("filed-nowhere", [], []),
        ("phase-three-begins", ["trials"], ["MSBlog", "news"]),
        ("what-the-society-announced", ["news", "research"], ["MSBlog"]),
    ]
    trials = Category.objects.get(slug="trials")
    assert (trials.name, trials.parent.slug) == ("Trials", "research")
    assert trials.description == "Clinical trials, phase by phase."
    assert not Category.objects.filter(slug="uncategorized").exists()
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["MSBlog", "news"]


def test_the_spelling_kept_does_not_depend_on_the_order_of_the_file(tmp_path):
    """Tags spelled msblog, MSBLOG and MSBlog are one tag (one slug), spelled as the
    first post in date order spells it when the file does not define it."""
    run(reversed_items(tmp_path))
    first = terms()
    Post.objects.all().delete()
    Tag.objects.all().delete()
    Category.objects.all().delete()
    run(reversed_items(tmp_path))
    assert terms() == first
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["msblog", "news"]


def test_category_pages_list_their_posts_and_their_subcategories_posts(client):
    """/category/research/ lists posts filed under Research or Trials; /category/trials/
    moves to its full address /category/research/trials/."""
    run(TERMS)
    research = main(client.get("/category/research/"))
    assert "Phase three begins" in research and "What the society announced" in research
    assert "Filed nowhere" not in research
    trials = client.get("/category/research/trials/")
    assert trials.status_code == 200 and "Phase three begins" in main(trials)
    moved = client.get("/category/trials/")
    assert (moved.status_code, moved["Location"]) == (301, "/category/research/trials/")
    assert client.get("/category/nothing/").status_code == 404


def test_a_post_shows_its_categories_apart_from_its_tags(client, page_soup):
    """As WordPress themes do: "Posted in" categories, then the tags."""
    run(TERMS)
    soup = page_soup(client.get("/2024/01/05/phase-three-begins/"))
    categories = [a.get_text() for a in soup.select(".category-list a")]
    tags = [a.get_text() for a in soup.select(".tag-list a")]
    assert categories == ["Trials"] and tags == ["#MSBlog", "#news"]
    assert soup.select_one(".category-list a")["href"] == "/category/research/trials/"


def test_category_pages_are_in_the_sitemap(client):
    """Each category with published posts is listed at its full address."""
    run(TERMS)
    sitemap = client.get("/sitemap.xml").content.decode()
    assert f"{settings.SITE_URL}/category/research/trials/</loc>" in sitemap
    assert f"{settings.SITE_URL}/category/news/</loc>" in sitemap
