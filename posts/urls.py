from django.urls import path, register_converter

from posts import converters, views

register_converter(converters.Year, "yyyy")
register_converter(converters.TwoDigits, "mm")
register_converter(converters.TwoDigits, "dd")

app_name = "posts"

urlpatterns = [
    path("", views.PostListView.as_view(), name="index"),
    path("tag/<slug:slug>/", views.TagPostListView.as_view(), name="tag"),
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
]
