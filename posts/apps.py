from django.apps import AppConfig
from django.db import connections
from django.db.migrations.recorder import MigrationRecorder
from django.db.models.signals import post_migrate

SEARCH_MIGRATION = ("posts", "0003_search")


def repair_search_index(sender, *, using, **kwargs):
    """SQLite drops a table's triggers when Django rebuilds the table to alter it (any
    later migration of posts, comments or taggit may); put them back after migrate."""
    from posts.search import schema

    connection = connections[using]
    if SEARCH_MIGRATION in MigrationRecorder(connection).applied_migrations():
        schema.repair(connection)


class PostsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "posts"

    def ready(self):
        post_migrate.connect(repair_search_index, sender=self)
