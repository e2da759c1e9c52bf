"""The public pages that the browser, accessibility and HTML checks visit."""

from django.core.management import call_command

from comments.models import Comment
from posts.models import Post

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
    ]
