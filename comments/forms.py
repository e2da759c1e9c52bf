import time

from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.validators import URLValidator
from django.forms.utils import ErrorDict
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from comments.models import Comment

TIMESTAMP_SALT = "comments.form-timestamp"
HONEYPOT_MESSAGE = _(
    "Your comment was not posted: a field that people cannot see was filled in, which "
    "robots do. If you are not a robot, please reload the page and try again."
)


class WebAddressField(forms.URLField):
    default_validators = [URLValidator(schemes=["http", "https"])]
    default_error_messages = {"invalid": _("Enter an http:// or https:// address.")}


def form_timestamp(post_id: int) -> str:
    return signing.dumps({"post": post_id, "at": time.time()}, salt=TIMESTAMP_SALT)


class CommentForm(forms.Form):
    author_name = forms.CharField(
        label=_("Name"),
        max_length=100,
        required=False,
        help_text=_('Leave empty to post as "Anonymous".'),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    author_email = forms.EmailField(
        label=_("Email"),
        required=False,
        help_text=_("Never published."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    author_url = WebAddressField(
        label=_("Website"),
        required=False,
        max_length=500,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"autocomplete": "url"}),
    )
    body = forms.CharField(
        label=_("Comment"),
        max_length=settings.COMMENTS_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 45}),
        error_messages={"required": _("Please type a comment.")},
        # What comments/markup.py allows, as WordPress lists it under its form.
        help_text=_(
            "Blank lines start new paragraphs and web addresses become links. You may use "
            '<b>, <i>, <strong>, <em>, <code>, <blockquote> and <a href="https://…">.'
        ),
    )
    # No ":" after a checkbox's label, which follows the box.
    notify_replies = forms.BooleanField(
        label=_("Email me when someone replies"), required=False, label_suffix=""
    )
    follow = forms.ChoiceField(
        label=_("Email me new comments on this post"),
        choices=[
            ("", _("No, thank you")),
            ("each", _("Yes, each new comment")),
            ("daily", _("Yes, in a daily digest")),
        ],
        required=False,
        help_text=_("We email you first to confirm; every email has a link to stop."),
    )
    remember = forms.BooleanField(
        label=_("Save my name, email, and website in this browser for the next time I comment."),
        required=False,
        label_suffix="",
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)
    ts = forms.CharField(required=False, widget=forms.HiddenInput)
    # The honeypot: hidden from people by the template, irresistible to form-filling bots.
    phone = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args, post=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.post = post
        if not self.is_bound:
            self.initial.setdefault("ts", form_timestamp(post.pk))
        if settings.COMMENTS_REQUIRE_NAME_EMAIL:
            self.fields["author_name"].required = True
            self.fields["author_name"].help_text = ""
            self.fields["author_email"].required = True

    @classmethod
    def restored(cls, *, post, data: dict, errors: dict) -> "CommentForm":
        """A form refused earlier, shown again with its values and errors (comments.refused)
        and a fresh timestamp; its errors are those it was refused for, not checked again
        (a flood or a duplicate is not a property of the values)."""
        form = cls({**data, "ts": form_timestamp(post.pk)}, post=post)
        form._errors = ErrorDict()  # errors as given, without running the checks
        form.cleaned_data = {"parent": form.parent_to_show(data.get("parent"))}
        for field, messages in errors.items():
            for error in messages:
                name = None if field == NON_FIELD_ERRORS else field
                form.add_error(name, forms.ValidationError(error["message"], code=error["code"]))
        return form

    def parent_to_show(self, value) -> Comment | None:
        """The comment a refused reply answered, if anyone may still read it."""
        if not str(value or "").isdigit() or len(str(value)) > 18:
            return None
        return Comment.objects.public().filter(pk=int(value), post=self.post).first()

    def visible_reader_fields(self):
        return [self[name] for name in ("author_name", "author_email", "author_url", "body")]

    def clean_parent(self):
        parent_id = self.cleaned_data.get("parent")
        if parent_id is None:
            return None
        parent = Comment.objects.public().filter(pk=parent_id, post=self.post).first()
        if parent is None:
            raise forms.ValidationError(
                gettext(
                    "The comment you are replying to is not available; reply to the post instead."
                )
            )
        return parent

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("phone"):
            raise forms.ValidationError(HONEYPOT_MESSAGE, code="honeypot")
        self.check_timestamp(cleaned.get("ts", ""))
        if cleaned.get("notify_replies") and not cleaned.get("author_email"):
            self.add_error(
                "author_email", gettext("Give your email address to be told of replies.")
            )
        if cleaned.get("follow") and not cleaned.get("author_email"):
            self.add_error(
                "author_email", gettext("Give your email address to follow this discussion.")
            )
        return cleaned

    def check_timestamp(self, token: str) -> None:
        try:
            stamp = signing.loads(token, salt=TIMESTAMP_SALT)
        except signing.BadSignature:
            stamp = None
        if not isinstance(stamp, dict) or stamp.get("post") != getattr(self.post, "pk", None):
            raise forms.ValidationError(
                gettext(
                    "This form could not be verified. Your text is kept below: please post it "
                    "again."
                ),
                code="forged",
            )
        age = time.time() - stamp.get("at", 0)
        if age > settings.COMMENTS_FORM_MAX_AGE:
            raise forms.ValidationError(
                gettext(
                    "This form was loaded too long ago. Your text is kept below: please post it "
                    "again."
                ),
                code="stale",
            )
        if age < settings.COMMENTS_MIN_SUBMIT_SECONDS:
            raise forms.ValidationError(
                gettext("That was very quick. Please check your comment and post it again."),
                code="too_fast",
            )

    def refresh_timestamp(self) -> None:
        """Give a re-displayed form a new timestamp so it can be sent again."""
        self.data = self.data.copy()
        self.data["ts"] = form_timestamp(self.post.pk)


class KeptCommentForm(CommentForm):
    """The reader's form sent back as it came, unchecked: when the database is down even
    checking it (the reply's parent) would fail, and the text must not be lost."""

    def full_clean(self):
        self._errors, self.cleaned_data = ErrorDict(), {}


class AuthorEditForm(forms.Form):
    """The author's edit of their own comment (comments.edit_window)."""

    body = forms.CharField(
        label=_("Comment"),
        max_length=settings.COMMENTS_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 45}),
        error_messages={"required": _("Please type a comment.")},
    )


class FollowForm(forms.Form):
    """Follow a post's discussion by email without commenting (comments.following)."""

    email = forms.EmailField(
        label=_("Your email address"),
        help_text=_("We email you a link to confirm first; nothing is sent until you do."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    mode = forms.ChoiceField(
        label=_("Email me"),
        choices=[
            ("each", _("each new comment")),
            ("daily", _("a daily digest of new comments")),
        ],
        initial="each",
        widget=forms.RadioSelect,
    )
