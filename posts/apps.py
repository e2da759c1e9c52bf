from django.apps import AppConfig
from django.db import connections, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

SEARCH_MIGRATION = ("posts", "0003_search")


def repair_search_index(sender, *, using, **kwargs):
    """SQLite drops a table's triggers when Django rebuilds the table to alter it (any
    later migration of posts, comments or taggit may); put them back after migrate."""
    from posts.search import schema

    connection = connections[using]
    if SEARCH_MIGRATION in MigrationRecorder(connection).applied_migrations():
        schema.repair(connection)


def retire_cached_pages(sender, *, using, **kwargs):
    """A deploy runs migrate: pages cached by the old code must not be served again."""
    from posts.caching import content_changed
    from posts.models import ContentVersion

    if ContentVersion._meta.db_table in connections[using].introspection.table_names():
        with transaction.atomic(using=using):
            content_changed()


class PostsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "posts"
    verbose_name = _("Posts")

    def ready(self):
        post_migrate.connect(repair_search_index, sender=self)
        post_migrate.connect(retire_cached_pages, sender=self)
