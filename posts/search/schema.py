"""The database objects search reads, kept up to date by the database itself.

The indexes hold text only. Whether a post is published or a comment approved is read
from the live tables at query time (Post.objects.published(), Comment.objects.public()),
so moderation, which changes a comment's status with a bulk UPDATE, never has to touch
the index, and a hidden item can never be found through a stale entry.

PostgreSQL
    * posts_post.search_document: a tsvector weighted title A, tags and lede B, body C
      (the database parser skips HTML tags), with a GIN index. It is not a model field:
      a BEFORE trigger on posts_post fills it, and triggers on taggit's tables refresh it
      when a post's tags or a tag's name change.
    * posts_search_comment (comment_id, document): a tsvector per comment with a GIN index,
      written by triggers when a comment is created or its text changes, and never by
      django-mptt's lft/rght shifts.

SQLite (when the library has FTS5)
    * posts_search_post (title, tags, lede, body) and posts_search_comment (body):
      FTS5 tables whose rowid is the post's or comment's id, filled by triggers on
      posts_post, taggit's tables and comments_comment.

Migration posts.0003_search installs these objects; the rebuild_search_index command
refills them. SQLite drops a table's triggers when Django rebuilds the table for an
ALTER it cannot do in place, so after every migrate (posts.apps) any missing object is
put back and the index refilled.
"""

import sqlite3
from functools import cache

CONFIG = "english"

# ---------------------------------------------------------------------------- PostgreSQL

PG_POST_DOCUMENT = f"""
CREATE OR REPLACE FUNCTION posts_search_document(bigint, text, text, text)
RETURNS tsvector LANGUAGE sql STABLE AS $$
    SELECT setweight(to_tsvector('{CONFIG}', coalesce($2, '')), 'A')
        || setweight(to_tsvector('{CONFIG}', coalesce((
               SELECT string_agg(tag.name, ' ')
               FROM taggit_taggeditem item
               JOIN taggit_tag tag ON tag.id = item.tag_id
               JOIN django_content_type type ON type.id = item.content_type_id
               WHERE type.app_label = 'posts' AND type.model = 'post'
                 AND item.object_id = $1
           ), '') || ' ' || coalesce($3, '')), 'B')
        || setweight(to_tsvector('{CONFIG}', coalesce($4, '')), 'C')
$$;
"""

PG_ADD_COLUMN = "ALTER TABLE posts_post ADD COLUMN search_document tsvector"
PG_HAS_COLUMN = """
    SELECT 1 FROM information_schema.columns
    WHERE table_name = 'posts_post' AND column_name = 'search_document'
"""

PG_INSTALL = [
    PG_POST_DOCUMENT,
    """
    CREATE OR REPLACE FUNCTION posts_search_post_refresh() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_document := posts_search_document(NEW.id, NEW.title, NEW.lede, NEW.body);
        RETURN NEW;
    END $$;
    """,
    """
    CREATE OR REPLACE FUNCTION posts_search_refresh_post(bigint) RETURNS void
    LANGUAGE sql AS $$
        UPDATE posts_post
        SET search_document = posts_search_document(id, title, lede, body)
        WHERE id = $1
    $$;
    """,
    """
    CREATE OR REPLACE FUNCTION posts_search_tagged_refresh() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        post_type integer := (
            SELECT id FROM django_content_type WHERE app_label = 'posts' AND model = 'post'
        );
    BEGIN
        IF TG_OP <> 'DELETE' THEN
            IF NEW.content_type_id = post_type THEN
                PERFORM posts_search_refresh_post(NEW.object_id);
            END IF;
        END IF;
        IF TG_OP <> 'INSERT' THEN
            IF OLD.content_type_id = post_type THEN
                PERFORM posts_search_refresh_post(OLD.object_id);
            END IF;
        END IF;
        RETURN NULL;
    END $$;
    """,
    """
    CREATE OR REPLACE FUNCTION posts_search_tag_renamed() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE posts_post
        SET search_document = posts_search_document(id, title, lede, body)
        WHERE id IN (
            SELECT item.object_id FROM taggit_taggeditem item
            JOIN django_content_type type ON type.id = item.content_type_id
            WHERE item.tag_id = NEW.id AND type.app_label = 'posts' AND type.model = 'post'
        );
        RETURN NULL;
    END $$;
    """,
    "DROP TRIGGER IF EXISTS posts_search_post ON posts_post",
    # On every update, not "UPDATE OF title, lede, body": a column list would stop
    # migrations from altering those columns' types.
    """
    CREATE TRIGGER posts_search_post BEFORE INSERT OR UPDATE
    ON posts_post FOR EACH ROW EXECUTE FUNCTION posts_search_post_refresh()
    """,
    "DROP TRIGGER IF EXISTS posts_search_tagged ON taggit_taggeditem",
    """
    CREATE TRIGGER posts_search_tagged AFTER INSERT OR UPDATE OR DELETE
    ON taggit_taggeditem FOR EACH ROW EXECUTE FUNCTION posts_search_tagged_refresh()
    """,
    "DROP TRIGGER IF EXISTS posts_search_tag ON taggit_tag",
    """
    CREATE TRIGGER posts_search_tag AFTER UPDATE OF name
    ON taggit_tag FOR EACH ROW EXECUTE FUNCTION posts_search_tag_renamed()
    """,
    """
    CREATE INDEX IF NOT EXISTS posts_post_search_document
    ON posts_post USING gin (search_document)
    """,
    # Comments' documents live in a table of their own, written only when a comment is
    # created or its text changes: a reply in a long thread makes django-mptt rewrite
    # lft/rght on thousands of rows, and an index over the comments table itself would
    # recompute every one of those documents.
    "DROP INDEX IF EXISTS posts_comment_body_search",
    """
    CREATE TABLE IF NOT EXISTS posts_search_comment (
        comment_id bigint PRIMARY KEY,
        document tsvector NOT NULL
    )
    """,
    """
    CREATE INDEX IF NOT EXISTS posts_search_comment_document
    ON posts_search_comment USING gin (document)
    """,
    f"""
    CREATE OR REPLACE FUNCTION posts_search_comment_refresh() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            DELETE FROM posts_search_comment WHERE comment_id = OLD.id;
        ELSE
            INSERT INTO posts_search_comment (comment_id, document)
            VALUES (NEW.id, to_tsvector('{CONFIG}'::regconfig, COALESCE(NEW.body, '')))
            ON CONFLICT (comment_id) DO UPDATE SET document = EXCLUDED.document;
        END IF;
        RETURN NULL;
    END $$;
    """,
    "DROP TRIGGER IF EXISTS posts_search_comment_insert ON comments_comment",
    """
    CREATE TRIGGER posts_search_comment_insert AFTER INSERT
    ON comments_comment FOR EACH ROW EXECUTE FUNCTION posts_search_comment_refresh()
    """,
    "DROP TRIGGER IF EXISTS posts_search_comment_update ON comments_comment",
    # WHEN, not a function call per row: django-mptt's shifts update many rows and must
    # not pay for this trigger at all.
    """
    CREATE TRIGGER posts_search_comment_update AFTER UPDATE
    ON comments_comment FOR EACH ROW WHEN (OLD.body IS DISTINCT FROM NEW.body)
    EXECUTE FUNCTION posts_search_comment_refresh()
    """,
    "DROP TRIGGER IF EXISTS posts_search_comment_delete ON comments_comment",
    """
    CREATE TRIGGER posts_search_comment_delete AFTER DELETE
    ON comments_comment FOR EACH ROW EXECUTE FUNCTION posts_search_comment_refresh()
    """,
]

PG_UNINSTALL = [
    "DROP TRIGGER IF EXISTS posts_search_comment_delete ON comments_comment",
    "DROP TRIGGER IF EXISTS posts_search_comment_update ON comments_comment",
    "DROP TRIGGER IF EXISTS posts_search_comment_insert ON comments_comment",
    "DROP FUNCTION IF EXISTS posts_search_comment_refresh()",
    "DROP TABLE IF EXISTS posts_search_comment",
    "DROP INDEX IF EXISTS posts_comment_body_search",
    "DROP INDEX IF EXISTS posts_post_search_document",
    "DROP TRIGGER IF EXISTS posts_search_tag ON taggit_tag",
    "DROP TRIGGER IF EXISTS posts_search_tagged ON taggit_taggeditem",
    "DROP TRIGGER IF EXISTS posts_search_post ON posts_post",
    "DROP FUNCTION IF EXISTS posts_search_tag_renamed()",
    "DROP FUNCTION IF EXISTS posts_search_tagged_refresh()",
    "DROP FUNCTION IF EXISTS posts_search_refresh_post(bigint)",
    "DROP FUNCTION IF EXISTS posts_search_post_refresh()",
    "DROP FUNCTION IF EXISTS posts_search_document(bigint, text, text, text)",
    "ALTER TABLE posts_post DROP COLUMN IF EXISTS search_document",
]

PG_REBUILD = [
    "UPDATE posts_post SET search_document = posts_search_document(id, title, lede, body)",
    "TRUNCATE posts_search_comment",
    f"""
    INSERT INTO posts_search_comment (comment_id, document)
    SELECT id, to_tsvector('{CONFIG}'::regconfig, COALESCE(body, '')) FROM comments_comment
    """,
]

PG_TRIGGERS = {
    "posts_search_post",
    "posts_search_tagged",
    "posts_search_tag",
    "posts_search_comment_insert",
    "posts_search_comment_update",
    "posts_search_comment_delete",
}
PG_INDEXES = {"posts_post_search_document", "posts_search_comment_document"}

# -------------------------------------------------------------------------------- SQLite

TOKENIZER = "porter unicode61 remove_diacritics 2"


def sqlite_tags_of(post_id: str) -> str:
    """SQL for the space-separated tag names of the post whose id is ``post_id``."""
    return f"""coalesce((
        SELECT group_concat(tag.name, ' ')
        FROM taggit_taggeditem item JOIN taggit_tag tag ON tag.id = item.tag_id
        WHERE item.object_id = {post_id} AND item.content_type_id = ({SQLITE_POST_TYPE})
    ), '')"""


SQLITE_POST_TYPE = "SELECT id FROM django_content_type WHERE app_label = 'posts' AND model = 'post'"

SQLITE_TABLES = {"posts_search_post", "posts_search_comment"}

SQLITE_INSTALL = [
    f"""
    CREATE VIRTUAL TABLE IF NOT EXISTS posts_search_post
    USING fts5(title, tags, lede, body, tokenize = '{TOKENIZER}')
    """,
    # A copy of each comment's text rather than an external-content table: a copy that
    # ever fell out of step only gives a stale hit, never a corrupt index.
    f"""
    CREATE VIRTUAL TABLE IF NOT EXISTS posts_search_comment
    USING fts5(body, tokenize = '{TOKENIZER}')
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS posts_search_post_insert AFTER INSERT ON posts_post BEGIN
        INSERT INTO posts_search_post (rowid, title, tags, lede, body)
        VALUES (new.id, new.title, {sqlite_tags_of("new.id")}, new.lede, new.body);
    END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS posts_search_post_update
    AFTER UPDATE OF title, lede, body ON posts_post BEGIN
        DELETE FROM posts_search_post WHERE rowid = old.id;
        INSERT INTO posts_search_post (rowid, title, tags, lede, body)
        VALUES (new.id, new.title, {sqlite_tags_of("new.id")}, new.lede, new.body);
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS posts_search_post_delete AFTER DELETE ON posts_post BEGIN
        DELETE FROM posts_search_post WHERE rowid = old.id;
    END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS posts_search_tagged_insert AFTER INSERT ON taggit_taggeditem
    WHEN new.content_type_id = ({SQLITE_POST_TYPE}) BEGIN
        UPDATE posts_search_post SET tags = {sqlite_tags_of("new.object_id")}
        WHERE rowid = new.object_id;
    END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS posts_search_tagged_delete AFTER DELETE ON taggit_taggeditem
    WHEN old.content_type_id = ({SQLITE_POST_TYPE}) BEGIN
        UPDATE posts_search_post SET tags = {sqlite_tags_of("old.object_id")}
        WHERE rowid = old.object_id;
    END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS posts_search_tag_rename AFTER UPDATE OF name ON taggit_tag
    BEGIN
        UPDATE posts_search_post SET tags = {sqlite_tags_of("posts_search_post.rowid")}
        WHERE rowid IN (
            SELECT object_id FROM taggit_taggeditem
            WHERE tag_id = new.id AND content_type_id = ({SQLITE_POST_TYPE})
        );
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS posts_search_comment_insert AFTER INSERT ON comments_comment
    BEGIN
        INSERT INTO posts_search_comment (rowid, body) VALUES (new.id, new.body);
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS posts_search_comment_update
    AFTER UPDATE OF body ON comments_comment BEGIN
        DELETE FROM posts_search_comment WHERE rowid = old.id;
        INSERT INTO posts_search_comment (rowid, body) VALUES (new.id, new.body);
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS posts_search_comment_delete AFTER DELETE ON comments_comment
    BEGIN
        DELETE FROM posts_search_comment WHERE rowid = old.id;
    END
    """,
]

SQLITE_TRIGGERS = {
    "posts_search_post_insert",
    "posts_search_post_update",
    "posts_search_post_delete",
    "posts_search_tagged_insert",
    "posts_search_tagged_delete",
    "posts_search_tag_rename",
    "posts_search_comment_insert",
    "posts_search_comment_update",
    "posts_search_comment_delete",
}

SQLITE_UNINSTALL = [
    *(f"DROP TRIGGER IF EXISTS {name}" for name in sorted(SQLITE_TRIGGERS)),
    "DROP TABLE IF EXISTS posts_search_comment",
    "DROP TABLE IF EXISTS posts_search_post",
]

SQLITE_REBUILD = [
    "DELETE FROM posts_search_post",
    f"""
    INSERT INTO posts_search_post (rowid, title, tags, lede, body)
    SELECT id, title, {sqlite_tags_of("posts_post.id")}, lede, body FROM posts_post
    """,
    "DELETE FROM posts_search_comment",
    "INSERT INTO posts_search_comment (rowid, body) SELECT id, body FROM comments_comment",
]


@cache
def fts5_available() -> bool:
    """Whether this Python's SQLite library was built with FTS5 (asked once, in memory)."""
    try:
        with sqlite3.connect(":memory:") as probe:
            probe.execute("CREATE VIRTUAL TABLE probe USING fts5(text)")
    except sqlite3.OperationalError:
        return False
    return True


# ------------------------------------------------------------------------------ commands


def statements(connection, *, pg: list[str], sqlite: list[str]) -> list[str]:
    if connection.vendor == "postgresql":
        return pg
    if connection.vendor == "sqlite" and fts5_available():
        return sqlite
    return []


def run(connection, sql: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in sql:
            cursor.execute(statement)


def install(connection) -> None:
    """Create the search objects (idempotent); does not fill the index."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(PG_HAS_COLUMN)
            if cursor.fetchone() is None:
                cursor.execute(PG_ADD_COLUMN)
    run(connection, statements(connection, pg=PG_INSTALL, sqlite=SQLITE_INSTALL))


def uninstall(connection) -> None:
    run(connection, statements(connection, pg=PG_UNINSTALL, sqlite=SQLITE_UNINSTALL))


def rebuild(connection) -> None:
    """Refill the index from the posts and comments tables."""
    run(connection, statements(connection, pg=PG_REBUILD, sqlite=SQLITE_REBUILD))


def missing_objects(connection) -> set[str]:
    """Names of search objects the database lacks (empty where search has none)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'posts_search_%'")
            present = {row[0] for row in cursor.fetchall()}
            cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'posts_%'")
            present |= {row[0] for row in cursor.fetchall()}
            return (PG_TRIGGERS | PG_INDEXES) - present
        if connection.vendor == "sqlite" and fts5_available():
            cursor.execute("SELECT name FROM sqlite_master WHERE name LIKE 'posts_search_%'")
            present = {row[0] for row in cursor.fetchall()}
            return (SQLITE_TRIGGERS | SQLITE_TABLES) - present
    return set()


def repair(connection) -> set[str]:
    """Put back whatever search objects are missing and refill the index if any were."""
    missing = missing_objects(connection)
    if missing:
        install(connection)
        rebuild(connection)
    return missing
