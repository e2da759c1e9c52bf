"""What the import commands share: options, the parse-plan-apply sequence, the report."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from posts.importers import ImportFailed
from posts.imports.apply import apply_plan
from posts.imports.plan import plan_import
from posts.imports.report import report_lines


class ImportCommand(BaseCommand):
    """Parse every file first, plan against the database, then write in one transaction."""

    format_name = ""

    def parse(self, path: Path, *, progress: bool):
        raise NotImplementedError

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, help=f"{self.format_name} files")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="print what would be created, updated and skipped; write nothing",
        )
        parser.add_argument(
            "--skip-bad",
            action="store_true",
            help="leave out bad items (each is listed) instead of refusing the whole import",
        )
        parser.add_argument(
            "--default-author",
            default="Prof G",
            help="author of posts whose file names none (default: %(default)s)",
        )

    def handle(self, *args, files, dry_run, skip_bad, default_author, verbosity, **options):
        progress = self.stdout.isatty()
        try:
            parsed = [self.parse(path, progress=progress) for path in files]
            plan = plan_import(parsed, skip_bad=skip_bad, default_author=default_author)
            if not dry_run:
                apply_plan(plan, progress=progress)
        except ImportFailed as exc:
            hint = "" if skip_bad else " (--skip-bad leaves bad items out)"
            raise CommandError(f"{exc}\nNothing was imported{hint}.") from None
        for line in report_lines(plan, dry_run=dry_run, verbosity=verbosity):
            self.stdout.write(line)
        if not dry_run:
            self.stdout.write(self.style.SUCCESS(f"Imported {', '.join(map(str, files))}."))
