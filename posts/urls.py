from django.urls import path, register_converter

from comments import feeds as comment_feeds
from posts import converters, feeds, views
from posts.search.views import SearchView

register_converter(converters.Year, "yyyy")
register_converter(converters.TwoDigits, "mm")
register_converter(converters.TwoDigits, "dd")
register_converter(converters.TagSlug, "tag")

app_name = "posts"

urlpatterns = [
    path("", views.PostListView.as_view(), name="index"),
    path("feed/", feeds.LatestPostsFeed(), name="feed"),
    path("feed/atom/", feeds.LatestPostsAtomFeed(), name="feed-atom"),
    path("comments/feed/", comment_feeds.LatestCommentsFeed(), name="comments-feed"),
    path("comments/feed/atom/", comment_feeds.LatestCommentsAtomFeed(), name="comments-feed-atom"),
    path("search/", SearchView.as_view(), name="search"),
    path("tag/<tag:slug>/", views.TagPostListView.as_view(), name="tag"),
    path("tag/<tag:slug>/feed/", feeds.TagFeed(), name="tag-feed"),
    path("tag/<tag:slug>/feed/atom/", feeds.TagAtomFeed(), name="tag-feed-atom"),
    path("author/<slug:slug>/", views.AuthorPostListView.as_view(), name="author"),
    path("<yyyy:year>/", views.PostYearArchiveView.as_view(), name="archive-year"),
    path("<yyyy:year>/<mm:month>/", views.PostMonthArchiveView.as_view(), name="archive-month"),
    path(
        "<yyyy:year>/<mm:month>/<dd:day>/",
        views.PostDayArchiveView.as_view(),
        name="archive-day",
    ),
    path(
        "<yyyy:year>/<mm:month>/<dd:day>/<slug:slug>/",
        views.PostDetailView.as_view(),
        name="detail",
    ),
    path(
        "<yyyy:year>/<mm:month>/<dd:day>/<slug:slug>/feed/",
        comment_feeds.PostCommentsFeed(),
        name="post-comments-feed",
    ),
    path(
        "<yyyy:year>/<mm:month>/<dd:day>/<slug:slug>/feed/atom/",
        comment_feeds.PostCommentsAtomFeed(),
        name="post-comments-feed-atom",
    ),
]
