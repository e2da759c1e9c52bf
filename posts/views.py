from functools import partial

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.cache import add_never_cache_headers
from django.views.generic import (
    DateDetailView,
    DayArchiveView,
    ListView,
    MonthArchiveView,
    YearArchiveView,
)
from taggit.models import Tag

from comments.selectors import discussion_for
from posts import selectors
from posts.caching import placeholder
from posts.models import Author, Post, attach_comment_counts
from posts.pagecache import CSRF_PLACEHOLDER, TIMESTAMP_PLACEHOLDER, serve_public_page

THREAD_MARKER = placeholder("thread")


class CommentCountsOnPage:
    """List views: each post on the page gets its comment count, counted after paging."""

    def paginate_queryset(self, queryset, page_size):
        paginator, page, posts, is_paginated = super().paginate_queryset(queryset, page_size)
        page.object_list = attach_comment_counts(list(posts))
        return paginator, page, page.object_list, is_paginated


class PostListView(CommentCountsOnPage, ListView):
    template_name = "posts/post_list.html"
    context_object_name = "posts"
    paginate_by = settings.POSTS_PER_PAGE

    def get_queryset(self):
        return Post.objects.published().select_related("author").prefetch_related("tags")


class TagPostListView(PostListView):
    template_name = "posts/tag_post_list.html"
    # A tag used only on drafts must not reveal itself.
    allow_empty = False

    def get_queryset(self):
        self.tag = get_object_or_404(Tag, slug=self.kwargs["slug"])
        return super().get_queryset().filter(tags=self.tag)

    def get_context_data(self, **kwargs):
        return super().get_context_data(tag=self.tag, **kwargs)


class AuthorPostListView(PostListView):
    template_name = "posts/author_post_list.html"
    # An author whose posts are all drafts has no public page yet.
    allow_empty = False

    def get_queryset(self):
        self.author = get_object_or_404(Author, slug=self.kwargs["slug"])
        return super().get_queryset().filter(author=self.author)

    def get_context_data(self, **kwargs):
        return super().get_context_data(author=self.author, **kwargs)


class PostArchiveMixin(CommentCountsOnPage):
    """What the year, month and day archives share: the permalink's date parts, the
    home page's summaries and paging, and a 404 for a period with nothing published."""

    date_field = "published_at"
    month_format = "%m"
    day_format = "%d"
    paginate_by = settings.POSTS_PER_PAGE
    context_object_name = "posts"
    allow_empty = False

    def get_queryset(self):
        # Lean, because the views also use it to find the neighbouring periods.
        return Post.objects.published().select_related("author")

    def get_dated_items(self):
        date_list, posts, extra_context = super().get_dated_items()
        return date_list, posts.prefetch_related("tags"), extra_context


class PostYearArchiveView(PostArchiveMixin, YearArchiveView):
    make_object_list = True


class PostMonthArchiveView(PostArchiveMixin, MonthArchiveView):
    pass


class PostDayArchiveView(PostArchiveMixin, DayArchiveView):
    pass


class PostDetailView(DateDetailView):
    template_name = "posts/post_detail.html"
    page_cacheable = False
    date_field = "published_at"
    month_format = "%m"
    day_format = "%d"

    def can_preview(self) -> bool:
        """Staff who may edit posts also see drafts and scheduled posts."""
        return self.request.user.has_perm("posts.change_post")

    def get_object(self, queryset=None):
        """The post with its author, tags and "Other relevant posts" (three queries)."""
        kwargs = self.kwargs
        post = selectors.post_for_page(
            kwargs["year"],
            kwargs["month"],
            kwargs["day"],
            kwargs["slug"],
            preview=self.can_preview(),
        )
        if post is None:
            raise Http404("No post at this address.")
        return selectors.attach_tags_and_entries(post)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page_number = self.kwargs.get("cpage", 1)
        discussion = discussion_for(self.request, self.object, page_number=page_number)
        if discussion is None:
            raise Http404("This post has no such page of comments.")
        context.update(discussion)
        # A long thread is megabytes of HTML: the template draws a marker in its place and
        # the rendered page gets the thread then (splice_thread), so that the template
        # engine never copies it from node to node and block to block.
        self.thread_html = context["thread_html"]
        context["thread_html"] = THREAD_MARKER
        if self.page_cacheable:
            context.update(
                page_cacheable=True,
                csrf_placeholder=CSRF_PLACEHOLDER,
                ts_placeholder=TIMESTAMP_PLACEHOLDER,
            )
        context["previous_post"], context["next_post"] = selectors.adjacent_posts(self.object)
        context["related_posts"] = selectors.related_posts(self.object)
        return context

    def get(self, request, *args, **kwargs):
        if kwargs.get("cpage") == 1:  # page 1 of the comments is the post's own address
            kwargs.pop("cpage")
            return redirect("posts:detail", permanent=True, **kwargs)
        return serve_public_page(request, partial(self.render_page, request, *args, **kwargs))

    def render_page(self, request, cacheable, *args, **kwargs):
        self.page_cacheable = cacheable
        response = super().get(request, *args, **kwargs)
        response.add_post_render_callback(self.splice_thread)
        if not self.object.is_published:
            add_never_cache_headers(response)
        response.form_post_id = self.object.pk
        return response

    def splice_thread(self, response):
        thread = self.thread_html.encode()
        response.content = response.content.replace(THREAD_MARKER.encode(), thread, 1)
