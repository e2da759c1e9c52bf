from django import forms
from django.utils.translation import gettext_lazy as _

from posts.search.terms import MAX_LENGTH


class SearchForm(forms.Form):
    SCOPES = [("", _("Posts and comments")), ("posts", _("Posts")), ("comments", _("Comments"))]

    q = forms.CharField(
        label=_("Search posts and comments"),
        max_length=MAX_LENGTH,
        required=False,
        widget=forms.SearchInput,
    )
    scope = forms.ChoiceField(label=_("Look in"), choices=SCOPES, required=False)
