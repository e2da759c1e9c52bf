from django.urls import path, register_converter

from posts import converters, views

register_converter(converters.Year, "yyyy")
register_converter(converters.TwoDigits, "mm")
register_converter(converters.TwoDigits, "dd")

app_name = "posts"

urlpatterns = [
    path("", views.PostListView.as_view(), name="index"),
    path("tag/<slug:slug>/", views.TagPostListView.as_view(), name="tag"),
    path(
        "<yyyy:year>/<mm:month>/<dd:day>/<slug:slug>/",
        views.PostDetailView.as_view(),
        name="detail",
    ),
]
