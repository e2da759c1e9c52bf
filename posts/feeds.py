"""RSS 2.0 and Atom feeds of posts, site-wide and per tag.

Every feed of the site (comments/feeds.py too) derives from BaseFeed, which sets the
headers they share. Each Atom feed is its RSS feed with another generator.
"""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse, reverse_lazy
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext
from taggit.models import Tag

from msblog.siteurl import SiteRequest
from posts.models import Post


class BaseFeed(Feed):
    # Browser-based feed readers on other origins may fetch feeds. Caching headers come
    # from posts.pagecache, which serves every feed (public, revalidated by ETag).

    def __call__(self, request, *args, **kwargs):
        response = super().__call__(request, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        return response

    def get_feed(self, obj, request):
        # Django makes every link absolute with the request's host and scheme; feeds are
        # cached for everyone, so they must come from SITE_URL (msblog.siteurl).
        return super().get_feed(obj, SiteRequest(request))


class LatestPostsFeed(BaseFeed):
    title = settings.SITE_NAME
    link = reverse_lazy("posts:index")
    description = settings.SITE_TAGLINE
    description_template = "posts/feed_post_description.html"

    def posts(self, obj):
        posts = Post.objects.published().unprotected()
        return posts.select_related("author").prefetch_related("tags")

    def items(self, obj):
        return self.posts(obj)[: settings.FEED_ITEMS]

    def item_title(self, post):
        return post.title

    def item_pubdate(self, post):
        return post.published_at

    def item_updateddate(self, post):
        return post.updated_at

    def item_author_name(self, post):
        return post.author.name

    def item_categories(self, post):
        return [tag.name for tag in post.tags.all()]


class LatestPostsAtomFeed(LatestPostsFeed):
    feed_type = Atom1Feed
    subtitle = LatestPostsFeed.description


class TagFeed(LatestPostsFeed):
    def get_object(self, request, slug):
        # Like the tag page: a tag carried only by drafts does not exist yet.
        tags = Tag.objects.filter(post__in=Post.objects.published()).distinct()
        return get_object_or_404(tags, slug=slug)

    def title(self, tag):
        return f"{settings.SITE_NAME}: #{tag.name}"

    def link(self, tag):
        return reverse("posts:tag", kwargs={"slug": tag.slug})

    def description(self, tag):
        return gettext("Posts tagged #%(tag)s on %(site)s") % {
            "tag": tag.name,
            "site": settings.SITE_NAME,
        }

    def posts(self, tag):
        return super().posts(tag).filter(tags=tag)


class TagAtomFeed(TagFeed):
    feed_type = Atom1Feed
    subtitle = TagFeed.description
