from django import forms

from posts.search.terms import MAX_LENGTH


class SearchForm(forms.Form):
    SCOPES = [("", "Posts and comments"), ("posts", "Posts"), ("comments", "Comments")]

    q = forms.CharField(
        label="Search posts and comments",
        max_length=MAX_LENGTH,
        required=False,
        widget=forms.SearchInput,
    )
    scope = forms.ChoiceField(label="Look in", choices=SCOPES, required=False)
