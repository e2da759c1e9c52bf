from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from posts.imports.export import export_wxr


class Command(BaseCommand):
    help = (
        "Write every post (drafts too), tag and comment as a WordPress export file (WXR 1.2) "
        "that WordPress's importer and import_wxr read."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "-o", "--output", type=Path, help="file to write (default: standard output)"
        )
        parser.add_argument(
            "--site-url",
            default=settings.SITE_URL,
            help="the site's address, for permalinks, short links and site-relative links "
            "(default: SITE_URL, %(default)s)",
        )

    def handle(self, *args, output, site_url, **options):
        kwargs = {"site_url": site_url, "title": settings.SITE_NAME}
        kwargs["description"] = settings.SITE_TAGLINE
        if output is None:
            # Every chunk export_wxr writes ends with a newline, so OutputWrapper adds none.
            export_wxr(self.stdout, **kwargs)
            return
        with output.open("w", encoding="utf-8") as out:
            counts = export_wxr(out, **kwargs)
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {counts['posts']} posts and {counts['comments']} comments to {output}."
            )
        )
