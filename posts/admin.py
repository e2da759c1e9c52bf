from django.contrib import admin
from django.db import models
from django.utils import timezone
from taggit.admin import TagAdmin
from taggit.models import Tag

from msblog.siteurl import ViewOnSiteURL
from posts.caching import content_changed
from posts.models import Author, OriginalURL, Post, RelatedEntry

HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}


class RelatedEntryInline(admin.TabularInline):
    model = RelatedEntry
    extra = 0
    formfield_overrides = HTTPS_URLS


class OriginalURLInline(admin.TabularInline):
    model = OriginalURL
    extra = 0
    formfield_overrides = HTTPS_URLS


class RetiresCachedPages:
    """Admin edits change what readers see: bump the content version first thing in the
    edit's transaction and again after writing (as posts.caching asks), so the change and
    the version commit together."""

    def save_model(self, request, obj, form, change):
        content_changed()
        super().save_model(request, obj, form, change)
        content_changed()

    def delete_model(self, request, obj):
        content_changed()
        super().delete_model(request, obj)
        content_changed()

    def delete_queryset(self, request, queryset):
        content_changed()
        super().delete_queryset(request, queryset)
        content_changed()


@admin.register(Post)
class PostAdmin(ViewOnSiteURL, RetiresCachedPages, admin.ModelAdmin):
    list_display = ("title", "author", "status", "published_at", "comments_open")
    list_filter = ("status", "comments_open", "author", "tags", "published_at")
    search_fields = ("title", "lede", "body")
    prepopulated_fields = {"slug": ("title",)}
    date_hierarchy = "published_at"
    list_select_related = ("author",)
    inlines = [RelatedEntryInline, OriginalURLInline]
    fieldsets = [
        (
            None,
            {"fields": ["title", "slug", "author", "lede", "body", "coi", "postscript", "tags"]},
        ),
        ("Publishing", {"fields": ["status", "published_at", "comments_open"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("tags")

    def save_model(self, request, obj, form, change):
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)


@admin.register(Author)
class AuthorAdmin(ViewOnSiteURL, RetiresCachedPages, admin.ModelAdmin):
    list_display = ("name", "slug", "user")
    search_fields = ("name", "bio")
    prepopulated_fields = {"slug": ("name",)}


admin.site.unregister(Tag)


@admin.register(Tag)
class CacheAwareTagAdmin(RetiresCachedPages, TagAdmin):
    """taggit's admin, retiring cached pages when a tag is renamed or deleted."""
