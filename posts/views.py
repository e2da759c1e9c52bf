import re
from functools import partial

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext
from django.views.decorators.http import require_POST
from django.views.generic import (
    DateDetailView,
    DayArchiveView,
    ListView,
    MonthArchiveView,
    TemplateView,
    YearArchiveView,
)
from taggit.models import Tag

from comments import remember
from comments.selectors import discussion_for
from posts import protection, selectors
from posts.caching import placeholder
from posts.models import Author, Category, Post, attach_comment_counts
from posts.pagecache import CSRF_PLACEHOLDER, TIMESTAMP_PLACEHOLDER, serve_public_page
from posts.selectors import with_categories

COMMENT_PAGE = re.compile(r"comment-page-(\d+)")
THREAD_MARKER = placeholder("thread")
# The query parameters a post page reads (posts.pagecache keys pages on them alone).
POST_PAGE_READS = ("replytocom", "quote")


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
        posts = Post.objects.published().select_related("author").prefetch_related("tags")
        return with_categories(posts)


class TagPostListView(PostListView):
    template_name = "posts/tag_post_list.html"
    # A tag used only on drafts must not reveal itself.
    allow_empty = False

    def get_queryset(self):
        self.tag = get_object_or_404(Tag, slug=self.kwargs["slug"])
        return super().get_queryset().filter(tags=self.tag)

    def get_context_data(self, **kwargs):
        return super().get_context_data(tag=self.tag, **kwargs)


class CategoryPostListView(PostListView):
    """A category's posts, and those of the categories under it (as in WordPress)."""

    template_name = "posts/category_post_list.html"
    allow_empty = False

    def get(self, request, *args, **kwargs):
        slugs = kwargs["path"].split("/")
        self.category = get_object_or_404(
            Category.objects.select_related("parent__parent__parent"), slug=slugs[-1]
        )
        if self.category.get_absolute_url() != request.path:
            return redirect(self.category.get_absolute_url(), permanent=True)
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        family = descendants(self.category)
        return super().get_queryset().filter(categories__in=family).distinct()

    def get_context_data(self, **kwargs):
        return super().get_context_data(category=self.category, **kwargs)


def descendants(category: Category) -> list[int]:
    """The ids of a category and every category under it, from one query."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Category.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    family, queue = [], [category.pk]
    while queue:
        pk = queue.pop()
        if pk not in family:
            family.append(pk)
            queue.extend(children.get(pk, []))
    return family


class AuthorPostListView(PostListView):
    template_name = "posts/author_post_list.html"
    # An author whose posts are all drafts has no public page yet.
    allow_empty = False

    def get_queryset(self):
        self.author = get_object_or_404(Author, slug=self.kwargs["slug"])
        return super().get_queryset().filter(author=self.author)

    def get_context_data(self, **kwargs):
        return super().get_context_data(author=self.author, **kwargs)


class ArchiveIndexView(TemplateView):
    """Every month with published posts and how many, by year: WordPress's Archives."""

    template_name = "posts/archive_index.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(years=selectors.archive_years(), **kwargs)


class TagIndexView(TemplateView):
    """Every tag on a published post, with its number of posts."""

    template_name = "posts/tag_index.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(tags=selectors.tags_with_post_counts(), **kwargs)


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
        return date_list, with_categories(posts.prefetch_related("tags")), extra_context


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
        """The post with its author, tags, categories and "Other relevant posts"."""
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

    def get_template_names(self):
        return ["posts/post_locked.html"] if self.locked else [self.template_name]

    def get_context_data(self, **kwargs):
        self.locked = not protection.can_read(self.request, self.object)
        if self.locked:
            return self.locked_context(super().get_context_data(**kwargs))
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
            remember.form_with_placeholders(context["comment_form"])
        else:
            remember.prefill(self.request, context["comment_form"])
        if self.object.kind == Post.Kind.POST:
            context["previous_post"], context["next_post"] = selectors.adjacent_posts(self.object)
            context["related_posts"] = selectors.related_posts(self.object)
        return context

    def locked_context(self, context):
        """A protected post before its password: the title and a form, nothing else."""
        if self.page_cacheable:
            context.update(page_cacheable=True, csrf_placeholder=CSRF_PLACEHOLDER)
        return context

    def get(self, request, *args, **kwargs):
        if kwargs.get("cpage") == 1:  # page 1 of the comments is the post's own address
            kwargs.pop("cpage")
            return redirect("posts:detail", permanent=True, **kwargs)
        render = partial(self.render_page, request, *args, **kwargs)
        return serve_public_page(request, render, reads=POST_PAGE_READS)

    def render_page(self, request, cacheable, *args, **kwargs):
        self.page_cacheable = cacheable
        response = super().get(request, *args, **kwargs)
        response.add_post_render_callback(self.splice_thread)
        # A refused comment form shown again answers with its refusal's status (400, 409,
        # 429), as the POST would have (comments.refused). A locked page has no form.
        form = response.context_data.get("comment_form")
        refused_status = getattr(form, "refusal_status", None)
        if refused_status:
            response.status_code = refused_status
        # A draft, or a moderator's page showing held comments: stored by no cache at all.
        if not self.object.is_published or response.context_data.get("moderating"):
            add_never_cache_headers(response)
        response.form_post_id = self.object.pk
        if request.GET.get("replytocom") and response.context_data.get("reply_to") is None:
            response.page_cache_store = False  # the plain page, under a name of its own
        return response

    def splice_thread(self, response):
        if getattr(self, "thread_html", None) is None:  # a locked page draws no thread
            return
        thread = self.thread_html.encode()
        response.content = response.content.replace(THREAD_MARKER.encode(), thread, 1)


class PageDetailView(PostDetailView):
    """A page at its WordPress address, "/about/our-team/", with its comments."""

    def http_method_not_allowed(self, request, *args, **kwargs):
        # The address catches any path of slugs: only an existing page may answer 405.
        self.get_object()
        return super().http_method_not_allowed(request, *args, **kwargs)

    def get_queryset(self):
        posts = Post.objects.select_related("author")
        return posts.filter(kind=Post.Kind.PAGE) if self.can_preview() else posts.pages()

    def get_object(self, queryset=None):
        slugs = self.kwargs["page_path"].split("/")
        page = get_object_or_404(self.get_queryset(), slug=slugs[-1])
        if page.page_path() != "/".join(slugs):
            raise Http404("No page has this address.")
        return selectors.attach_tags_and_entries(page)

    def get(self, request, *args, **kwargs):
        path = kwargs["page_path"]
        head, _, last = path.rpartition("/")
        number = COMMENT_PAGE.fullmatch(last)
        if number and head:
            kwargs["page_path"], kwargs["cpage"] = head, int(number[1])
            if kwargs["cpage"] == 1:
                return redirect(f"/{head}/", permanent=True)
        self.kwargs = kwargs
        render = partial(self.render_page, request, *args, **kwargs)
        return serve_public_page(request, render, reads=POST_PAGE_READS)


@require_POST
def unlock(request, pk):
    """The password form of a protected post: right, the post opens for this browser."""
    post = get_object_or_404(Post.objects.visible().exclude(password=""), pk=pk)
    if protection.password_matches(post, request.POST.get("password", "")):
        response = redirect(post.get_absolute_url())
        protection.remember_unlock(request, response, post)
        return response
    context = {"post": post, "object": post, "unlock_error": gettext("That password is not right.")}
    response = render(request, "posts/post_locked.html", context, status=403)
    add_never_cache_headers(response)
    return response
