"""Full-text search objects: a weighted tsvector with GIN indexes on PostgreSQL, FTS5
tables on SQLite, each kept current by database triggers. They are derived data, so
the DDL lives in one place, posts/search/schema.py, shared with the rebuild command
and the post-migrate repair.
"""

from django.db import migrations

from posts.search import schema


def install(apps, schema_editor):
    schema.install(schema_editor.connection)
    schema.rebuild(schema_editor.connection)


def uninstall(apps, schema_editor):
    schema.uninstall(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ("posts", "0002_originalurl_path"),
        ("comments", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
    ]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
