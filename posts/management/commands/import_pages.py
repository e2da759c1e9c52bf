from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

from posts.imports.captured import parse_captured
from posts.imports.command import ImportCommand

SEEDS = Path(settings.BASE_DIR) / "fixtures" / "seeds"


class Command(ImportCommand):
    help = (
        "Import captured post pages (plain text) into posts, tags and comment threads. "
        "All pages are parsed before anything is written, in one transaction; re-running "
        "changes nothing."
    )
    format_name = "captured page (plain text)"

    def add_files_argument(self, parser):
        parser.add_argument(
            "files", nargs="*", type=Path, help="capture files (default: every seed page)"
        )
        parser.add_argument(
            "--sources",
            type=Path,
            default=None,
            help="sources.json with URLs, dates and slugs (default: beside the first file)",
        )

    def handle(self, *args, files, **options):
        files = files or sorted(SEEDS.glob("*.txt"))
        if not files:
            raise CommandError("No capture files given and none found in fixtures/seeds/.")
        return super().handle(*args, files=files, **options)

    def parse_files(self, files, *, progress, sources=None, **options):
        return parse_captured(files, sources or files[0].parent / "sources.json")
