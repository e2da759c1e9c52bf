"""Small builders for test data; each returns saved objects with sensible defaults."""

import datetime
import itertools
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from comments.bulk import NewComment, bulk_create_threads
from comments.markup import render_comment_html
from comments.models import Comment
from posts.models import Author, Post

_sequence = itertools.count(1)


def local_datetime(year, month, day, hour=12, minute=0) -> datetime.datetime:
    """An aware datetime in the site's time zone, as permalinks and archives read it."""
    return timezone.make_aware(datetime.datetime(year, month, day, hour, minute))


def make_author(name=None, **fields) -> Author:
    n = next(_sequence)
    name = name or f"Author {n}"
    return Author.objects.create(name=name, slug=f"author-{n}", **fields)


def make_post(*, title=None, tags=(), author=None, **fields) -> Post:
    n = next(_sequence)
    defaults = {
        "title": title or f"Post number {n}",
        "slug": f"post-number-{n}",
        "author": author or make_author(),
        "body": f"<p>Body of post {n}.</p>",
        "lede": f"Lede of post {n}.",
        "status": Post.Status.PUBLISHED,
        "published_at": timezone.now() - datetime.timedelta(days=1),
    }
    post = Post.objects.create(**{**defaults, **fields})
    if tags:
        post.tags.set(list(tags))
    return post


def make_comment(post, *, parent=None, status=Comment.Status.APPROVED, **fields) -> Comment:
    n = next(_sequence)
    defaults = {"author_name": f"Reader {n}", "body": f"Comment number {n}."}
    comment = Comment(post=post, parent=parent, status=status, **{**defaults, **fields})
    comment.body_html = render_comment_html(comment.body)  # as every write path stores it
    comment.save()
    return comment


def make_staff(username="moderator", *, superuser=False, **fields):
    User = get_user_model()
    maker = User.objects.create_superuser if superuser else User.objects.create_user
    return maker(username=username, password="unused-test-password", is_staff=True, **fields)


def make_thread(
    post, count: int, *, seed: int = 1, top_level_share=0.3, max_depth=8, body_size=(300, 600)
):
    """A realistic thread: ~30% top-level, replies to random earlier comments."""
    rng = random.Random(seed)
    items: list[NewComment] = []
    depths: list[int] = []
    start = timezone.now() - datetime.timedelta(days=30)
    for index in range(count):
        candidates = [i for i in range(max(0, index - 200), index) if depths[i] < max_depth]
        parent = None
        if index and candidates and rng.random() > top_level_share:
            parent = rng.choice(candidates)
        depths.append(0 if parent is None else depths[parent] + 1)
        words = rng.randint(*body_size) // 6
        body = " ".join(rng.choice(WORDS) for _ in range(words))
        items.append(
            NewComment(
                fields={
                    "author_name": f"Reader {index % 97}",
                    "author_email": f"reader{index % 97}@example.org",
                    "body": body,
                    "status": Comment.Status.APPROVED,
                    "created_at": start + datetime.timedelta(minutes=index),
                },
                parent=parent,
            )
        )
    return bulk_create_threads(post, items)


WORDS = [
    "alemtuzumab",
    "relapse",
    "MRI",
    "lesion",
    "neurologist",
    "trial",
    "disability",
    "treatment",
    "immune",
    "ocrelizumab",
    "cladribine",
    "risk",
    "benefit",
    "evidence",
    "patients",
    "data",
    "years",
    "study",
    "EDSS",
    "NEDA",
    "question",
    "thanks",
    "agree",
    "think",
    "really",
    "early",
    "effective",
]


def signed_form_timestamp(post, *, seconds_ago: float = 60) -> str:
    """The form's hidden timestamp, as if the page had been loaded ``seconds_ago``."""
    import time

    from django.core import signing

    from comments.forms import TIMESTAMP_SALT

    return signing.dumps({"post": post.pk, "at": time.time() - seconds_ago}, salt=TIMESTAMP_SALT)


def comment_form_data(post, **fields) -> dict:
    """A valid public comment form submission for ``post``, overridable field by field."""
    data = {
        "author_name": "Jane",
        "author_email": "jane@example.org",
        "author_url": "",
        "body": "Hello there.",
        "ts": signed_form_timestamp(post),
        "phone": "",
    }
    return {**data, **fields}


def make_moderation_queue(count: int, *, seed: int = 7) -> list[Comment]:
    """``count`` pending comments as a moderator meets them: on a few posts, some replying
    to approved comments, short and long texts, long addresses and unbroken links."""
    rng = random.Random(seed)
    posts = [
        make_post(title=title)
        for title in (
            "ClinicSpeak: when to say no to alemtuzumab treatment",
            "Good news: alemtuzumab gets a first-line license in Europe",
            "Alemtuzumab replay",
        )
    ]
    approved = [make_comment(post, body=f"An approved comment on {post.title}.") for post in posts]
    pending = []
    for index in range(count):
        parent = rng.choice(approved) if index % 3 == 0 else None
        post = parent.post if parent else rng.choice(posts)
        words = rng.choice((8, 25, 90))
        body = " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."
        if index % 7 == 3:
            body += " See https://example.org/" + "a-very-long-path-segment/" * 6
        name = f"Reader {index}" if index % 5 else "Anonymous Commenter With A Long Name"
        ip = f"2001:db8:85a3::8a2e:370:{7000 + index:x}" if index % 2 else "192.0.2.9"
        pending.append(
            make_comment(
                post,
                parent=parent,
                status="pending",
                author_name=name,
                author_email=f"reader.{index}.with.a.longer.address@example-clinic.org",
                author_url="https://www.example-research-blog.org/about" if index % 4 == 0 else "",
                ip_address=ip,
                body=body,
                moderation_reason="every new comment is held for moderation",
                created_at=timezone.now() - datetime.timedelta(minutes=count - index),
            )
        )
    return pending


def follow_refusal(client, response):
    """What a browser shows after sending the comment form: a refusal answers 303 to the
    form on the post page, whose GET carries the refusal's status (400, 429…); anything
    else (a 302 to the new comment, a 503) is returned as it is."""
    if response.status_code != 303:
        return response
    assert response["Location"].endswith("#comment-errors"), response["Location"]
    return client.get(response["Location"])
