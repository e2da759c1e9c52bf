"""Comments' search documents move from an expression index on comments_comment to a
table of their own (see posts/search/schema.py), so that django-mptt's lft/rght shifts
no longer recompute them."""

from django.db import migrations

from posts.search import schema


def install(apps, schema_editor):
    schema.install(schema_editor.connection)
    schema.rebuild(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0004_taggeditem_post_index"),
        ("comments", "0004_hiding_nodes_index"),
    ]

    operations = [migrations.RunPython(install, migrations.RunPython.noop, elidable=False)]
