from django.conf import settings
from django.core.paginator import Paginator
from django.views.generic import TemplateView

from posts import search
from posts.search.forms import SearchForm
from posts.search.terms import MAX_LENGTH


class SearchView(TemplateView):
    """Posts and comments matching ``q``: the best few of each, or every match of one
    kind, page by page, with ``scope=posts`` or ``scope=comments``."""

    template_name = "posts/search.html"
    per_page = settings.POSTS_PER_PAGE

    def get_context_data(self, **kwargs):
        form = SearchForm(self.request.GET or None)
        # The header's search box is the page's only one: it shows what was searched for.
        typed = self.request.GET.get("q", "").strip()[:MAX_LENGTH]
        context = super().get_context_data(
            form=form, search_page=True, search_query=typed, **kwargs
        )
        if not form.is_valid() or not form.cleaned_data["q"].strip():
            return context
        query, scope = form.cleaned_data["q"], form.cleaned_data["scope"]
        page_number = self.request.GET.get("page") if scope else 1
        context.update(query=query, scope=scope)
        if scope in ("", "posts"):
            context["post_results"] = self.page(search.search_posts(query), query, page_number)
        if scope in ("", "comments"):
            context["comment_results"] = self.page(
                search.search_comments(query), query, page_number
            )
        return context

    def page(self, results, query, page_number):
        page = Paginator(results, self.per_page).get_page(page_number)
        page.object_list = list(page.object_list)
        search.add_snippets(page.object_list, query)
        return page
