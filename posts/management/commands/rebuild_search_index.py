from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from posts.search import schema


class Command(BaseCommand):
    help = (
        "Recreate any missing search objects (triggers, indexes, FTS5 tables) and refill "
        "the search index from every post and comment. Database triggers keep it current; "
        "run this after restoring a database or loading data with triggers disabled."
    )

    def add_arguments(self, parser):
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, database, **options):
        connection = connections[database]
        if connection.vendor == "sqlite" and not schema.fts5_available():
            self.stdout.write("This SQLite has no FTS5: search matches text directly, no index.")
            return
        with transaction.atomic(using=database):
            schema.install(connection)
            schema.rebuild(connection)
        self.stdout.write(f"Search index rebuilt ({connection.vendor}).")
