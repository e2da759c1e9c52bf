"""The search index stays current with every write, can be rebuilt and repairs itself,
and PostgreSQL can answer searches from its GIN indexes."""

import io

import pytest
from django.core.management import call_command
from django.db import connection

from comments import services
from comments.models import Comment
from posts.apps import repair_search_index
from posts.models import Post
from posts.search import postgres, schema
from posts.search.postgres import POST_DOCUMENT, search_query
from tests.factories import make_comment, make_post, make_staff
from tests.search_helpers import comment_link, needs_index, results

pytestmark = pytest.mark.django_db


def test_comment_edits_and_moderation_are_seen_at_once(client, page_soup, any_backend):
    """Bulk updates from the comment services (approve, edit, spam) change what is found."""
    post = make_post()
    staff = make_staff()
    comment = services.comment_create(post=post, body="Original zanzibar words.")
    assert results(client, page_soup, "zanzibar")[1] == []  # pending
    services.comment_set_status(comment=comment, status="approved", actor=staff)
    assert results(client, page_soup, "zanzibar")[1] == [comment_link(comment)]
    services.comment_edit(comment=comment, body="Edited timbuktu words.", actor=staff)
    assert results(client, page_soup, "zanzibar")[1] == []
    assert results(client, page_soup, "timbuktu")[1] == [comment_link(comment)]
    services.comment_set_status(comment=comment, status="spam", actor=staff)
    assert results(client, page_soup, "timbuktu")[1] == []


def test_post_edits_and_tag_changes_are_seen_at_once(client, page_soup, any_backend):
    """Saving a post, tagging it, renaming its tag and publishing it change what is found."""
    post = make_post(title="Plain title", status="draft")
    assert results(client, page_soup, "plain")[0] == []
    Post.objects.filter(pk=post.pk).update(status="published")
    assert results(client, page_soup, "plain")[0] == ["Plain title"]
    post.refresh_from_db()
    post.title = "Zanzibar title"
    post.save()
    assert results(client, page_soup, "plain")[0] == []
    assert results(client, page_soup, "zanzibar")[0] == ["Zanzibar title"]
    post.tags.add("Timbuktu")
    assert results(client, page_soup, "timbuktu")[0] == ["Zanzibar title"]
    tag = post.tags.get()
    tag.name = "Kathmandu"
    tag.save()
    assert results(client, page_soup, "kathmandu")[0] == ["Zanzibar title"]
    assert results(client, page_soup, "timbuktu")[0] == []
    post.tags.clear()
    assert results(client, page_soup, "kathmandu")[0] == []


@needs_index
@pytest.mark.django_db(transaction=True)  # the command's DDL runs in its own transaction
def test_rebuild_command_refills_the_index(client, page_soup):
    """rebuild_search_index restores an index emptied behind the triggers' back."""
    make_post(title="Zanzibar", body="<p>x</p>")
    make_comment(make_post(), body="Timbuktu.")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # as after a load with triggers disabled
            cursor.execute("ALTER TABLE posts_post DISABLE TRIGGER posts_search_post")
            cursor.execute("UPDATE posts_post SET search_document = NULL")
            cursor.execute("ALTER TABLE posts_post ENABLE TRIGGER posts_search_post")
        else:
            cursor.execute("DELETE FROM posts_search_post")
            cursor.execute("DELETE FROM posts_search_comment")
    assert results(client, page_soup, "zanzibar")[0] == []
    out = io.StringIO()
    call_command("rebuild_search_index", stdout=out)
    assert f"Search index rebuilt ({connection.vendor})." in out.getvalue()
    assert results(client, page_soup, "zanzibar")[0] == ["Zanzibar"]
    assert len(results(client, page_soup, "timbuktu")[1]) == 1


@needs_index
def test_migrations_leave_every_search_object_in_place():
    """After migrate, no trigger, index or table of the search index is missing."""
    assert schema.missing_objects(connection) == set()


@needs_index
@pytest.mark.django_db(transaction=True)  # as after migrate: no transaction left open
def test_missing_triggers_are_put_back_after_migrate(client, page_soup):
    """When a table rebuild dropped a trigger, post-migrate repair restores it and
    refills what the index missed meanwhile."""
    trigger, table = (
        ("posts_search_post", "posts_post")
        if connection.vendor == "postgresql"
        else ("posts_search_post_insert", "")
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER {trigger}" + (f" ON {table}" if table else ""))
    make_post(title="Zanzibar")
    assert results(client, page_soup, "zanzibar")[0] == []
    assert schema.missing_objects(connection) == {trigger}
    repair_search_index(sender=None, using=connection.alias)
    assert schema.missing_objects(connection) == set()
    assert results(client, page_soup, "zanzibar")[0] == ["Zanzibar"]
    make_post(title="Timbuktu")
    assert results(client, page_soup, "timbuktu")[0] == ["Timbuktu"]


@pytest.mark.postgres
def test_postgres_searches_use_the_gin_indexes():
    """Both searches can be answered from their GIN indexes."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    query = search_query("alemtuzumab")
    comments = postgres.search_comments(Comment.objects.all(), "alemtuzumab")
    posts = Post.objects.alias(document=POST_DOCUMENT).filter(document=query)
    assert "posts_search_comment_document" in comments.explain()
    assert "posts_post_search_document" in posts.explain()


@pytest.mark.postgres
def test_moving_comments_in_the_tree_leaves_their_search_documents_alone():
    """django-mptt's lft/rght shifts do not rewrite comments' search documents."""
    post = make_post()
    first = make_comment(post, body="Alemtuzumab first.")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ctid::text FROM posts_search_comment WHERE comment_id = %s", [first.pk]
        )
        before = cursor.fetchone()[0]
        for n in range(3):
            make_comment(post, parent=first, body=f"Reply {n}.")  # rewrites first's row
        cursor.execute(
            "SELECT ctid::text FROM posts_search_comment WHERE comment_id = %s", [first.pk]
        )
        assert cursor.fetchone()[0] == before
    Comment.objects.filter(pk=first.pk).update(body="Cladribine now.")
    assert [c.pk for c in postgres.search_comments(Comment.objects.all(), "cladribine")] == [
        first.pk
    ]
