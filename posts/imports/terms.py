"""Tags and categories an import needs, matched as WordPress matches terms: by slug.

A term whose slug the site has already is that term, spelled as the site spells it (a
re-import never renames one); a tag whose name the site has under another slug is that
tag. A new term takes the name its file gives it (posts.imports.wxr settles one name
per slug, whatever the order of the file). Categories keep their parents; a new
category is planned after its parent.
"""

from django.utils.text import slugify
from taggit.models import Tag

from posts.imports.records import SourceCategory
from posts.models import Category


class Terms:
    def __init__(self, new_tags: dict, new_categories: dict):
        self.tag_by_slug = dict(Tag.objects.values_list("slug", "name"))
        self.tag_by_name = {name: slug for slug, name in self.tag_by_slug.items()}
        self.category_slugs = set(Category.objects.values_list("slug", flat=True))
        self.new_tags = new_tags  # slug -> (name, slug), the plan's
        self.new_categories = new_categories  # slug -> SourceCategory, the plan's

    def tag_names(self, tags: list[tuple[str, str]]) -> list[str]:
        """The names of the tags ``tags`` ((name, slug hint) pairs) are, planning new ones."""
        names: list[str] = []
        for name, hint in tags:
            slug = slug_from(hint) or slugify(name)
            if slug in self.tag_by_slug:
                name = self.tag_by_slug[slug]
            elif name in self.tag_by_name:
                pass  # the same name under another slug: the same tag
            elif slug in self.new_tags:
                name = self.new_tags[slug][0]
            else:
                slug = self.free_tag_slug(slug)
                self.new_tags[slug] = (name, slug)
                self.tag_by_name[name] = slug
            if name not in names:
                names.append(name)
        return names

    def free_tag_slug(self, slug: str) -> str:
        base, n = (slug or "tag")[:100], 1
        slug = base
        while slug in self.tag_by_slug or slug in self.new_tags:
            n += 1
            slug = f"{base[:90]}-{n}"
        return slug

    def category_slugs_for(self, slugs: list[str], definitions: dict) -> list[str]:
        """``slugs`` as the post will carry them, planning new categories (and their
        parents, first) from the file's ``definitions``."""
        for slug in slugs:
            self.plan_category(slug, definitions, seen=set())
        return list(dict.fromkeys(slugs))

    def plan_category(self, slug: str, definitions: dict, *, seen: set) -> None:
        if slug in self.category_slugs or slug in self.new_categories or slug in seen:
            return
        seen.add(slug)
        definition = definitions.get(slug) or SourceCategory(slug=slug, name=slug)
        if definition.parent_slug:
            self.plan_category(definition.parent_slug, definitions, seen=seen)
        self.new_categories[slug] = definition


def slug_from(hint: str) -> str:
    """A source's own slug, when it is one this site's addresses can carry."""
    hint = hint.strip().lower()
    return hint[:100] if hint and slugify(hint) == hint else ""
