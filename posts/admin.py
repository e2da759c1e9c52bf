from django.contrib import admin
from django.db import models
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from taggit.admin import TagAdmin
from taggit.models import Tag

from msblog.adminlists import ForgivingListMixin
from msblog.siteurl import ViewOnSiteURL
from posts.caching import content_changed
from posts.html import clean_post_html
from posts.models import Author, Category, OriginalURL, Post, RelatedEntry

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
class PostAdmin(
    ForgivingListMixin, ViewOnSiteURL, UnderlinedLinks, RetiresCachedPages, admin.ModelAdmin
):
    list_display = ("title", "kind", "author", "status", "published_at", "comments_open")
    list_filter = (
        "kind",
        "status",
        "comments_open",
        "author",
        "categories",
        "tags",
        "published_at",
    )
    search_fields = ("title", "lede", "body")
    prepopulated_fields = {"slug": ("title",)}
    date_hierarchy = "published_at"
    list_select_related = ("author",)
    inlines = [RelatedEntryInline, OriginalURLInline]
    readonly_fields = ("source_texts",)
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "title",
                    "slug",
                    "author",
                    "lede",
                    "body",
                    "coi",
                    "postscript",
                    "categories",
                    "tags",
                ]
            },
        ),
        (
            _("Publishing"),
            {"fields": ["status", "password", "published_at", "comments_open", "kind", "parent"]},
        ),
        (_("Imported"), {"fields": ["source_texts"], "classes": ["collapse"]}),
    ]
    filter_horizontal = ("categories",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("tags")

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "kind" in form.base_fields:
            form.base_fields["kind"].required = False  # left out: a post (the default)
        return form

    @admin.display(description=_("source as imported"))
    def source_texts(self, post):
        """What an import repaired (mojibake), as the source had it: kept, read only."""
        texts = post.source_texts.all() if post.pk else []
        return (
            format_html_join(
                "",
                "<p><strong>{}</strong> ({})</p><pre>{}</pre>",
                ((t.repair, t.imported_at, t.text) for t in texts),
            )
            or "—"
        )

    def save_model(self, request, obj, form, change):
        obj.updated_at = timezone.now()
        # Stored as shown (see posts.html), so an export read back in is the same row.
        obj.body, obj.postscript = clean_post_html(obj.body), clean_post_html(obj.postscript)
        super().save_model(request, obj, form, change)


@admin.register(Category)
class CategoryAdmin(RetiresCachedPages, admin.ModelAdmin):
    list_display = ("name", "slug", "parent")
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    list_select_related = ("parent",)


@admin.register(Author)
class AuthorAdmin(
    ForgivingListMixin, ViewOnSiteURL, UnderlinedLinks, RetiresCachedPages, admin.ModelAdmin
):
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
