"""Let PostgreSQL find a post's tag rows from the post's id.

taggit's object_id is an integer and Post.id a bigint, so Django joins them as
"posts_post"."id" = ("taggit_taggeditem"."object_id")::bigint, which taggit's own
(content_type_id, object_id) index cannot serve: every tag page then read every tag row
of its tag and every post (364 ms for a tag on all of 100,000 posts; benchmarks/lists.py).
An index on the cast expression lets the planner walk posts newest first and stop after
one page. PostgreSQL only: SQLite stores both as plain integers.
"""

from django.db import migrations

INDEX = "posts_taggeditem_post_tag"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} "
            "ON taggit_taggeditem (((object_id)::bigint), tag_id)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0003_search"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
    ]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
