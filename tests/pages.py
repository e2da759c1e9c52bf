"""The public pages that the browser, accessibility and HTML checks visit."""

from django.core.management import call_command

from comments.models import Comment
from posts.models import Post

SEED_FIXTURE = "fixtures/seed.json"


def load_seed_site() -> None:
    call_command("loaddata", SEED_FIXTURE, verbosity=0)


def public_pages() -> list[tuple[str, str]]:
    """(name, path) for each kind of page; the seed site must be loaded."""
    clinic = Post.objects.get(slug="clinicspeak-when-to-say-no-to-alemtuzumab-treatment")
    related = Post.objects.get(slug="good-news-alemtuzumab-gets-a-first-line-license-in-europe")
    replay = Post.objects.get(slug="alemtuzumab-replay")
    reply_target = Comment.objects.public().filter(post=clinic).first()
    return [
        ("home", "/"),
        ("post", clinic.get_absolute_url()),
        ("post-related-block", related.get_absolute_url()),
        ("post-missing-parent", replay.get_absolute_url()),
        ("comment-form-reply", f"{clinic.get_absolute_url()}?replytocom={reply_target.pk}"),
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
