from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from posts.importers import ImportFailed, import_pages

SEEDS = Path(settings.BASE_DIR) / "fixtures" / "seeds"


class Command(BaseCommand):
    help = (
        "Import captured post pages (plain text) into posts, tags and comment threads. "
        "All pages are parsed before anything is written, in one transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "files", nargs="*", type=Path, help="capture files (default: every seed page)"
        )
        parser.add_argument(
            "--sources",
            type=Path,
            default=None,
            help="sources.json with URLs, dates and slugs (default: beside the first file)",
        )
        parser.add_argument(
            "--default-author",
            default="Prof G",
            help="author of pages without an author box or byline (default: %(default)s)",
        )

    def handle(self, *args, files, sources, default_author, **options):
        files = files or sorted(SEEDS.glob("*.txt"))
        if not files:
            raise CommandError("No capture files given and none found in fixtures/seeds/.")
        sources = sources or files[0].parent / "sources.json"
        try:
            reports = import_pages(files, sources, default_author=default_author)
        except ImportFailed as exc:
            raise CommandError(f"{exc}\nNothing was imported.") from None
        for report in reports:
            for line in report.lines():
                self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"Imported {len(reports)} pages."))
