"""RSS 2.0 and Atom feeds of approved comments, site-wide and per post.

An item names its author and links to the comment on its post; the commenter's email
and IP address are never part of a feed.
"""

import datetime

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse_lazy
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext

from comments.models import Comment
from comments.privacy import shown_name
from posts.feeds import BaseFeed
from posts.models import Post
from posts.selectors import LINK_FIELDS


class LatestCommentsFeed(BaseFeed):
    link = reverse_lazy("posts:index")

    def title(self, obj):
        return gettext("Comments on %(site)s") % {"site": settings.SITE_NAME}

    def description(self, obj):
        return gettext("The latest comments on %(site)s") % {"site": settings.SITE_NAME}

    def comments(self, obj):
        return Comment.objects.readable()

    def items(self, obj):
        return (
            self.comments(obj)
            .select_related("post")
            .only("author_name", "body_html", "created_at", *(f"post__{f}" for f in LINK_FIELDS))
            .order_by("-created_at", "-pk")[: settings.FEED_ITEMS]
        )

    def item_title(self, comment):
        return gettext("Comment on %(title)s by %(name)s") % {
            "title": comment.post.title,
            "name": shown_name(comment.author_name),
        }

    def item_description(self, comment):
        # The same sanitised HTML the post page shows, stored when the comment was written.
        return comment.body_html

    def item_link(self, comment):
        return comment.get_absolute_url()

    def item_pubdate(self, comment):
        return comment.created_at

    def item_author_name(self, comment):
        return shown_name(comment.author_name)


class LatestCommentsAtomFeed(LatestCommentsFeed):
    feed_type = Atom1Feed
    subtitle = LatestCommentsFeed.description


class PostCommentsFeed(LatestCommentsFeed):
    def get_object(self, request, year, month, day, slug):
        try:
            date = datetime.date(year, month, day)
        except ValueError:
            raise Http404("No such date.") from None
        posts = Post.objects.published().unprotected()
        return get_object_or_404(posts, slug=slug, published_at__date=date)

    def title(self, post):
        return gettext("Comments on “%(title)s”") % {"title": post.title}

    def link(self, post):
        return post.get_absolute_url()

    def description(self, post):
        return gettext("Comments on “%(title)s”, %(site)s") % {
            "title": post.title,
            "site": settings.SITE_NAME,
        }

    def comments(self, post):
        return Comment.objects.readable().filter(post=post)

    def item_title(self, comment):
        return gettext("By: %(name)s") % {"name": shown_name(comment.author_name)}


class PostCommentsAtomFeed(PostCommentsFeed):
    feed_type = Atom1Feed
    subtitle = PostCommentsFeed.description
