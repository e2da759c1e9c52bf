from django import forms
from django.conf import settings
from django.core.validators import URLValidator

from comments.models import Comment


class WebAddressField(forms.URLField):
    default_validators = [URLValidator(schemes=["http", "https"])]
    default_error_messages = {"invalid": "Enter an http:// or https:// address."}


class CommentForm(forms.Form):
    author_name = forms.CharField(
        label="Name",
        max_length=100,
        required=False,
        help_text='Leave empty to post as "Anonymous".',
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    author_email = forms.EmailField(
        label="Email",
        required=False,
        help_text="Never published.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    author_url = WebAddressField(
        label="Website",
        required=False,
        max_length=500,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"autocomplete": "url"}),
    )
    body = forms.CharField(
        label="Comment",
        max_length=settings.COMMENTS_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 45}),
        error_messages={"required": "Please type a comment."},
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, post=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.post = post

    def clean_parent(self):
        parent_id = self.cleaned_data.get("parent")
        if parent_id is None:
            return None
        parent = Comment.objects.public().filter(pk=parent_id, post=self.post).first()
        if parent is None:
            raise forms.ValidationError(
                "The comment you are replying to is not available; reply to the post instead."
            )
        return parent
