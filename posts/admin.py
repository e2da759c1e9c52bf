from django.contrib import admin
from django.db import models
from django.utils import timezone
from taggit.admin import TagAdmin
from taggit.models import Tag

from msblog.adminlists import ForgivingListMixin
from posts.caching import content_changed
from posts.models import Author, OriginalURL, Post, RelatedEntry

HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}


class UnderlinedLinks:
    """Links in text underlined on these pages (static/css/admin.css)."""

    class Media:
        css = {"all": ["css/admin.css"]}


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
class PostAdmin(ForgivingListMixin, UnderlinedLinks, RetiresCachedPages, admin.ModelAdmin):
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
class AuthorAdmin(ForgivingListMixin, UnderlinedLinks, RetiresCachedPages, admin.ModelAdmin):
    list_display = ("name", "slug", "user")
    search_fields = ("name", "bio")
    prepopulated_fields = {"slug": ("name",)}

    # An author's login is an account: only those who may see accounts see it.
    def get_list_display(self, request):
        return self.list_display if sees_accounts(request) else ("name", "slug")

    def get_exclude(self, request, obj=None):
        return super().get_exclude(request, obj) if sees_accounts(request) else ("user",)


def sees_accounts(request) -> bool:
    return request.user.has_perm("auth.view_user")


admin.site.unregister(Tag)


@admin.register(Tag)
class CacheAwareTagAdmin(RetiresCachedPages, TagAdmin):
    """taggit's admin, retiring cached pages when a tag is renamed or deleted."""
