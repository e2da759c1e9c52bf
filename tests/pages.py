"""The public pages that the browser, accessibility and HTML checks visit."""

from django.core.management import call_command
from django.urls import reverse

from comments import following
from comments.models import Comment, Subscription
from posts.models import Post
from tests.factories import comment_form_data

SEED_FIXTURE = "fixtures/seed.json"


FORMATTED = (
    "Two points on the <strong>EMA report</strong>, which <em>does</em> say it:\n\n"
    "<blockquote>Infusion reactions are common.\n\nMost are mild.</blockquote>\n"
    'See <a href="https://www.ema.europa.eu/en/medicines" title="EMA">the EMA pages</a> or '
    "https://clinicaltrials.gov/ and search for <code>alemtuzumab</code>."
)


def load_seed_site() -> None:
    call_command("loaddata", SEED_FIXTURE, verbosity=0)
    add_formatted_discussion()


def add_formatted_discussion() -> tuple[Comment, Comment]:
    """On the post with the "Other relevant posts" block: a comment using every piece of
    markup commenters may type, and a reply quoting it as the Quote link would."""
    from comments.markup import quote_markup
    from tests.factories import make_comment

    post = Post.objects.get(slug="good-news-alemtuzumab-gets-a-first-line-license-in-europe")
    ruth = make_comment(post, author_name="Ruth", body=FORMATTED)
    reply = quote_markup(ruth.body_html) + "Thank you, <b>that</b> helps."
    sam = make_comment(post, parent=ruth, author_name="Sam", body=reply)
    return ruth, sam


def public_pages() -> list[tuple[str, str]]:
    """(name, path) for each kind of page; the seed site must be loaded."""
    clinic = Post.objects.get(slug="clinicspeak-when-to-say-no-to-alemtuzumab-treatment")
    related = Post.objects.get(slug="good-news-alemtuzumab-gets-a-first-line-license-in-europe")
    replay = Post.objects.get(slug="alemtuzumab-replay")
    reply_target = Comment.objects.public().filter(post=clinic).first()
    quoted = Comment.objects.get(post=related, author_name="Ruth")
    return [
        ("home", "/"),
        ("post", clinic.get_absolute_url()),
        ("post-related-block", related.get_absolute_url()),
        ("post-missing-parent", replay.get_absolute_url()),
        ("comment-form-reply", f"{clinic.get_absolute_url()}?replytocom={reply_target.pk}"),
        ("comment-form-quote", f"{related.get_absolute_url()}?replytocom={quoted.pk}&quote=1"),
        ("tag", "/tag/msblog/"),
        ("archive-year", "/2014/"),
        ("archive-month", "/2014/08/"),
        ("archive-day", "/2014/08/01/"),
        ("author", "/author/prof-g/"),
        ("search", "/search/?q=alemtuzumab"),
        ("search-empty", "/search/?q=zzzznotfound"),
        ("search-no-query", "/search/"),
        ("month-list", "/archive/"),
        ("tag-list", "/tags/"),
    ]


def one_readers_pages(client) -> list[tuple[str, str]]:
    """(name, path) for the pages only one reader sees, after giving ``client`` that
    reader's state: a refused comment form, a comment in its edit window, and links
    from the follow emails. The seed site must be loaded."""
    clinic = Post.objects.get(slug="clinicspeak-when-to-say-no-to-alemtuzumab-treatment")
    replay = Post.objects.get(slug="alemtuzumab-replay")
    create = reverse("comments:create", args=[clinic.pk])
    client.post(create, comment_form_data(clinic, body="Words only I can change."))
    mine = Comment.objects.latest("pk")
    refused = comment_form_data(replay, author_email="reader@example", body="Kept for me.")
    client.post(reverse("comments:create", args=[replay.pk]), refused)
    subscription, _ = Subscription.objects.get_or_create(post=clinic, email="follower@example.org")
    token = following.confirm_token(subscription, mode="daily")
    return [
        ("comment-form-refused", replay.get_absolute_url()),
        ("own-comment", clinic.get_absolute_url()),
        ("comment-edit", reverse("comments:edit", args=[mine.pk])),
        ("comment-delete", reverse("comments:delete", args=[mine.pk])),
        ("follow", reverse("comments:follow", args=[clinic.pk])),
        ("follow-confirm", reverse("comments:follow-confirm", args=[token])),
        ("follow-stop", reverse("comments:follow-stop", args=[following.stop_token(subscription)])),
    ]
