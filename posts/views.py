from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils.cache import add_never_cache_headers
from django.views.generic import DateDetailView, ListView
from taggit.models import Tag

from comments.selectors import discussion_for
from posts.models import Post


class PostListView(ListView):
    template_name = "posts/post_list.html"
    context_object_name = "posts"
    paginate_by = settings.POSTS_PER_PAGE

    def get_queryset(self):
        return (
            Post.objects.published()
            .with_comment_count()
            .select_related("author")
            .prefetch_related("tags")
        )


class TagPostListView(PostListView):
    template_name = "posts/tag_post_list.html"
    # A tag used only on drafts must not reveal itself.
    allow_empty = False

    def get_queryset(self):
        self.tag = get_object_or_404(Tag, slug=self.kwargs["slug"])
        return super().get_queryset().filter(tags=self.tag)

    def get_context_data(self, **kwargs):
        return super().get_context_data(tag=self.tag, **kwargs)


class PostDetailView(DateDetailView):
    template_name = "posts/post_detail.html"
    date_field = "published_at"
    month_format = "%m"
    day_format = "%d"

    def can_preview(self) -> bool:
        """Staff who may edit posts also see drafts and scheduled posts."""
        return self.request.user.has_perm("posts.change_post")

    def get_allow_future(self):
        return self.can_preview()

    def get_queryset(self):
        posts = Post.objects.select_related("author").prefetch_related("tags", "related_entries")
        return posts if self.can_preview() else posts.published()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(discussion_for(self.request, self.object))
        return context

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if not self.object.is_published:
            add_never_cache_headers(response)
        return response
