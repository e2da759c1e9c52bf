"""sitemap.xml: the home page, every published post and page (less password-protected
ones), the tag, category, author and archive pages that list them, and the lists of
months and tags. Each section is one query (plus the paginator's count)."""

import datetime

from django.contrib.sitemaps import Sitemap
from django.db.models import Max
from django.db.models.functions import TruncMonth
from django.urls import reverse
from taggit.models import Tag

from msblog.siteurl import site_host, site_is_secure
from posts.models import Author, Category, Post
from posts.selectors import LINK_FIELDS


class SiteSitemap(Sitemap):
    """Locations on SITE_URL, whatever host and scheme the sitemap was requested with."""

    def get_protocol(self, protocol=None):
        return "https" if site_is_secure() else "http"

    def get_domain(self, site=None):
        return site_host()


class HomeSitemap(SiteSitemap):
    changefreq = "daily"
    priority = 1.0

    def items(self):
        return ["posts:index"]

    def location(self, name):
        return reverse(name)


class BrowseSitemap(HomeSitemap):
    """The lists of months and of tags."""

    priority = 0.5

    def items(self):
        return ["posts:archives", "posts:tags"]


class PostSitemap(SiteSitemap):
    priority = 0.8

    def items(self):
        return Post.objects.published().unprotected().only(*LINK_FIELDS, "updated_at")

    def lastmod(self, post):
        return post.updated_at


class PageSitemap(PostSitemap):
    priority = 0.6

    def items(self):
        # Three levels of parents in the same query, for the pages' addresses.
        pages = Post.objects.pages().unprotected().select_related("parent__parent__parent")
        return pages.order_by("pk")


class CategorySitemap(SiteSitemap):
    def items(self):
        return (
            Category.objects.filter(posts__in=Post.objects.published())
            .annotate(lastmod=Max("posts__updated_at"))
            .select_related("parent__parent__parent")
            .order_by("slug")
        )

    def lastmod(self, category):
        return category.lastmod


class TagSitemap(SiteSitemap):
    def items(self):
        # filter() before annotate(): the latest change among published posts only.
        return (
            Tag.objects.filter(post__in=Post.objects.published())
            .annotate(lastmod=Max("post__updated_at"))
            .order_by("name")
        )

    def location(self, tag):
        return reverse("posts:tag", kwargs={"slug": tag.slug})

    def lastmod(self, tag):
        return tag.lastmod


class AuthorSitemap(SiteSitemap):
    def items(self):
        return (
            Author.objects.filter(posts__in=Post.objects.published())
            .annotate(lastmod=Max("posts__updated_at"))
            .order_by("name")
        )

    def lastmod(self, author):
        return author.lastmod


class ArchiveSitemap(SiteSitemap):
    """Year and month archives that have published posts."""

    def items(self):
        months = (
            Post.objects.published()
            .annotate(month=TruncMonth("published_at"))
            .values("month")
            .annotate(lastmod=Max("updated_at"))
            .order_by("month")
        )
        items: dict[tuple, datetime.datetime] = {}
        for row in months:
            month, lastmod = row["month"], row["lastmod"]
            items[(month.year, month.month)] = lastmod
            year = (month.year,)
            items[year] = max(lastmod, items.get(year, lastmod))
        return sorted(items.items())

    def location(self, item):
        period, _ = item
        name = "posts:archive-year" if len(period) == 1 else "posts:archive-month"
        return reverse(name, args=period)

    def lastmod(self, item):
        return item[1]


SITEMAPS = {
    "home": HomeSitemap,
    "browse": BrowseSitemap,
    "posts": PostSitemap,
    "pages": PageSitemap,
    "tags": TagSitemap,
    "categories": CategorySitemap,
    "authors": AuthorSitemap,
    "archives": ArchiveSitemap,
}
