"""The short cuts the post page takes give exactly what Django's own paths give: prepared
queries, the form renderer, the CSP header built once, the thread spliced into the page."""

import datetime

import pytest
from csp.constants import HEADER
from csp.utils import build_policy
from django import forms
from django.db import connection
from django.forms.renderers import DjangoTemplates
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from comments.forms import CommentForm
from comments.models import Comment
from msblog import csp
from msblog.forms import FormRenderer
from msblog.prepared import PreparedQuery
from posts import selectors
from posts.models import Post
from tests.factories import make_comment, make_post, make_thread

pytestmark = pytest.mark.django_db


def recent(now, status):
    return Post.objects.filter(status=status, published_at__lte=now).values_list(
        "id", "title", "published_at"
    )


def test_a_prepared_query_returns_what_its_queryset_returns():
    """Same rows, same types (datetimes aware, booleans), for each call's parameters."""
    make_post(title="Old", published_at=timezone.now() - datetime.timedelta(days=2))
    make_post(title="Draft", status="draft")
    query = PreparedQuery(Post, recent, now=datetime.datetime, status=str)
    for now, status in [
        (timezone.now(), "published"),
        (timezone.now() - datetime.timedelta(days=3), "published"),
        (timezone.now(), "draft"),
    ]:
        assert query.rows(now=now, status=status) == list(recent(now, status))
    comments = PreparedQuery(
        Comment, lambda pk: Comment.objects.filter(pk=pk).values_list("placeholder"), pk=int
    )
    assert comments.rows(pk=make_comment(make_post()).pk) == [(False,)]


def test_prepared_timestamps_are_the_orms_to_the_microsecond():
    """Whole seconds, microseconds and no time at all (SQLite's text timestamps are read by
    a faster converter) come back as the ORM gives them, aware and equal."""
    post = make_post()
    moments = [
        timezone.now().replace(microsecond=0),
        timezone.now().replace(microsecond=123456),
        timezone.now() - datetime.timedelta(days=400, microseconds=1),
    ]
    for moment in moments:
        comment = make_comment(post)
        Comment.objects.filter(pk=comment.pk).update(created_at=moment, edited_at=None)
    Comment.objects.filter(pk=comment.pk).update(edited_at=moments[1])

    def build(pk):
        return (
            Comment.objects.filter(pk__gte=pk).order_by("pk").values_list("created_at", "edited_at")
        )

    query = PreparedQuery(Comment, build, pk=int)
    rows = query.rows(pk=0)
    assert rows == list(build(0))
    assert [row[0] for row in rows] == moments
    assert all(row[0].utcoffset() == datetime.timedelta(0) for row in rows)


def test_a_prepared_query_compiles_once_per_connection():
    """The SQL is built on the first call; later calls only run it."""
    built = []

    def build(pk):
        built.append(pk)
        return Post.objects.filter(pk=pk).values_list("title")

    query = PreparedQuery(Post, build, pk=int)
    post = make_post(title="Once")
    assert query.rows(pk=post.pk) == [("Once",)]
    with CaptureQueriesContext(connection) as queries:
        assert query.rows(pk=post.pk + 1000) == []
    assert len(built) == 1 and len(queries) == 1


def test_a_prepared_query_refuses_what_it_cannot_prepare():
    """A parameter the SQL does not take as a parameter, or rows that are not tuples, is an
    error when the SQL is compiled, never a wrong answer."""
    ignored = PreparedQuery(Post, lambda pk: Post.objects.values_list("pk"), pk=int)
    with pytest.raises(TypeError, match="do not reach the SQL"):
        ignored.rows(pk=1)
    objects = PreparedQuery(Post, lambda pk: Post.objects.filter(pk=pk), pk=int)
    with pytest.raises(TypeError, match="values_list"):
        objects.rows(pk=1)
    with pytest.raises(TypeError):
        PreparedQuery(Post, lambda ids: Post.objects.none(), ids=list)


def test_post_page_reads_give_what_the_orm_gives():
    """The post page's prepared reads find what the plain QuerySets find."""
    posts = [make_post(tags=["MSBlog", "Other"] if n % 2 else ["MSBlog"]) for n in range(6)]
    make_post(status="draft", tags=["MSBlog"])
    for post in posts:
        make_comment(post)
    post = posts[3]
    kwargs = post.permalink_kwargs()
    found = selectors.post_for_page(
        kwargs["year"], kwargs["month"], kwargs["day"], kwargs["slug"], preview=False
    )
    assert found == post and found.author.name == post.author.name
    selectors.attach_tags_and_entries(found)
    assert [t.name for t in found.tag_list] == [t.name for t in post.tags.all()]
    older = Post.objects.published().filter(published_at__lt=post.published_at).first()
    assert selectors.adjacent_posts(found)[0] == older
    related = selectors.related_posts(found)
    assert related and all(set(p.tags.names()) & {"MSBlog", "Other"} for p in related)
    assert [c.pk for c in selectors.recent_comments()] == list(
        Comment.objects.readable().order_by("-created_at", "-pk").values_list("pk", flat=True)[:5]
    )


def test_the_form_renderer_draws_what_djangos_templates_draw():
    """Every field of the comment form, empty and refused, in the same markup."""
    post = make_post()
    forms = [
        CommentForm(post=post, initial={"body": '<blockquote>a "quote" & more</blockquote>'}),
        CommentForm(
            {
                "body": "<b>x</b>",
                "author_email": "bad",
                "notify_replies": "on",
                "ts": "x",
                "follow": "daily",
            },
            post=post,
        ),
    ]
    for form in forms:
        form.is_bound and form.is_valid()
        for name in form.fields:
            ours = (str(form[name]), form[name].label_tag())
            form.renderer = DjangoTemplates()
            djangos = (str(form[name]), form[name].label_tag())
            form.renderer = FormRenderer()
            assert ours == djangos


def test_the_csp_header_is_built_once(client, monkeypatch):
    """Every response carries the policy django-csp builds, built on the first one only."""
    csp.site_policy.cache_clear()
    calls = []
    monkeypatch.setattr(csp, "build_policy", lambda **kw: calls.append(kw) or build_policy(**kw))
    for _ in range(3):
        response = client.get("/")
        assert response[HEADER] == build_policy()
    assert len(calls) == 2  # the policy and its report-only twin, once


def test_a_long_thread_is_spliced_into_the_page_whole(client, page_soup, settings):
    """The thread the template engine never touches arrives whole, once, in its place."""
    settings.COMMENTS_PER_PAGE = 0
    post = make_post()
    make_thread(post, 300)
    for caching in (0, 86400):
        settings.PAGE_CACHE_SECONDS = caching
        content = client.get(post.get_absolute_url()).content.decode()
        soup = page_soup(client.get(post.get_absolute_url()))
        assert len(soup.select("#comments li.comment")) == 300
        assert "msblog-thread-" not in content
        assert content.index('id="comments"') < content.index("comment-list")
        assert content.index("comment-list") < content.index('id="respond"')


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.postgres
@pytest.mark.parametrize("prepared", [True, False])
def test_page_reads_are_prepared_statements_on_postgresql(client, settings, prepared):
    """On PostgreSQL the reads every page makes are prepared statements, planned once per
    connection (DATABASE_PREPARED_STATEMENTS); Django's other queries never are."""
    settings.DATABASE_PREPARED_STATEMENTS = prepared
    post = make_post(tags=["MSBlog"])
    make_comment(post)
    for _ in range(3):
        assert client.get(post.get_absolute_url()).status_code == 200
    statements = prepared_statements()
    assert any("posts_contentversion" in sql for sql in statements) == prepared
    assert any('FROM "comments_comment"' in sql for sql in statements) == prepared
    assert not any("django_session" in sql or "auth_user" in sql for sql in statements)


def test_the_form_renderer_draws_grouped_and_multiple_selects_as_django_does():
    """Option groups, several selected options and escaped labels, as Django's templates."""
    choices = [("Trials", [("a&b", "A <&> B"), ("c", "C")]), ("d", 'D "quoted"')]
    for widget in (forms.Select(choices=choices), forms.SelectMultiple(choices=choices)):
        value = ["a&b", "d"] if widget.allow_multiple_selected else "c"
        ours = widget.render("pick", value, attrs={"id": "id_pick"}, renderer=FormRenderer())
        djangos = widget.render("pick", value, attrs={"id": "id_pick"}, renderer=DjangoTemplates())
        assert ours == djangos
