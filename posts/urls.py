from django.urls import path, re_path, register_converter

from comments import feeds as comment_feeds
from posts import converters, feeds, views
from posts.pagecache import public_page
from posts.search.views import SearchView

register_converter(converters.Year, "yyyy")
register_converter(converters.TwoDigits, "mm")
register_converter(converters.TwoDigits, "dd")
register_converter(converters.TagSlug, "tag")

app_name = "posts"
LISTS_READ = ("page",)  # the only query parameter a list page reads (posts.pagecache)

urlpatterns = [
    path("", public_page(views.PostListView.as_view(), reads=LISTS_READ), name="index"),
    path("feed/", public_page(feeds.LatestPostsFeed()), name="feed"),
    path("feed/atom/", public_page(feeds.LatestPostsAtomFeed()), name="feed-atom"),
    path("comments/feed/", public_page(comment_feeds.LatestCommentsFeed()), name="comments-feed"),
    path(
        "comments/feed/atom/",
        public_page(comment_feeds.LatestCommentsAtomFeed()),
        name="comments-feed-atom",
    ),
    path("search/", SearchView.as_view(), name="search"),
    path(
        "archive/", public_page(views.ArchiveIndexView.as_view(), reads=LISTS_READ), name="archives"
    ),
    path("tags/", public_page(views.TagIndexView.as_view(), reads=LISTS_READ), name="tags"),
    path(
        "tag/<tag:slug>/",
        public_page(views.TagPostListView.as_view(), reads=LISTS_READ),
        name="tag",
    ),
    path("tag/<tag:slug>/feed/", public_page(feeds.TagFeed()), name="tag-feed"),
    path("tag/<tag:slug>/feed/atom/", public_page(feeds.TagAtomFeed()), name="tag-feed-atom"),
    path(
        "author/<slug:slug>/",
        public_page(views.AuthorPostListView.as_view(), reads=LISTS_READ),
        name="author",
    ),
    re_path(
        r"^category/(?P<path>[-\w]+(?:/[-\w]+)*)/$",
        public_page(views.CategoryPostListView.as_view(), reads=LISTS_READ),
        name="category",
    ),
    path("unlock/<int:pk>/", views.unlock, name="unlock"),
    path(
        "<yyyy:year>/",
        public_page(views.PostYearArchiveView.as_view(), reads=LISTS_READ),
        name="archive-year",
    ),
    path(
        "<yyyy:year>/<mm:month>/",
        public_page(views.PostMonthArchiveView.as_view(), reads=LISTS_READ),
        name="archive-month",
    ),
    path(
        "<yyyy:year>/<mm:month>/<dd:day>/",
        public_page(views.PostDayArchiveView.as_view(), reads=LISTS_READ),
        name="archive-day",
    ),
    path(
        "<yyyy:year>/<mm:month>/<dd:day>/<slug:slug>/",
        views.PostDetailView.as_view(),
        name="detail",
    ),
    path(
        "<yyyy:year>/<mm:month>/<dd:day>/<slug:slug>/comment-page-<int:cpage>/",
        views.PostDetailView.as_view(),
        name="detail-comment-page",
    ),
    path(
        "<yyyy:year>/<mm:month>/<dd:day>/<slug:slug>/feed/",
        public_page(comment_feeds.PostCommentsFeed()),
        name="post-comments-feed",
    ),
    path(
        "<yyyy:year>/<mm:month>/<dd:day>/<slug:slug>/feed/atom/",
        public_page(comment_feeds.PostCommentsAtomFeed()),
        name="post-comments-feed-atom",
    ),
    # Last: a page at its WordPress address ("/about/", "/about/our-team/"), slugs only.
    re_path(r"^(?P<page_path>[-\w]+(?:/[-\w]+)*)/$", views.PageDetailView.as_view(), name="page"),
]
