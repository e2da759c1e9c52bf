from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "msblog administration"
admin.site.site_title = "msblog admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("comments/", include("comments.urls")),
    path("", include("posts.urls")),
]
