"""What the import commands share: options, the parse-plan-apply sequence, the report."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from posts.imports.apply import apply_plan
from posts.imports.plan import plan_import
from posts.imports.progress import EVERY_SECONDS, Progress
from posts.imports.records import ImportRefused, ParsedFile
from posts.imports.report import report_lines


class ImportCommand(BaseCommand):
    """Parse every file first, plan against the database, then write in one transaction.

    A format is a parser: a subclass names it and implements ``parse`` (one file) or
    ``parse_files`` (files that are read together).
    """

    format_name = ""

    def parse(self, path: Path, *, progress: Progress | None) -> ParsedFile:
        raise NotImplementedError

    def parse_files(
        self, files: list[Path], *, progress: Progress | None, **options
    ) -> list[ParsedFile]:
        return [self.parse(path, progress=progress) for path in files]

    def add_files_argument(self, parser):
        parser.add_argument("files", nargs="+", type=Path, help=f"{self.format_name} files")

    def add_arguments(self, parser):
        self.add_files_argument(parser)
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
            "--progress-every",
            type=float,
            default=EVERY_SECONDS,
            metavar="SECONDS",
            help="when the output is not a terminal, print a progress line this often "
            "(default: %(default)s)",
        )
        parser.add_argument(
            "--default-author",
            default="Prof G",
            help="author of posts whose file names none (default: %(default)s)",
        )

    def handle(
        self, *args, files, dry_run, skip_bad, default_author, progress_every, verbosity, **options
    ):
        progress = Progress(self.stderr, every=progress_every) if verbosity else None
        try:
            parsed = self.parse_files(files, progress=progress, **options)
            plan = plan_import(parsed, skip_bad=skip_bad, default_author=default_author)
            if not dry_run:
                apply_plan(plan, progress=progress)
        except ImportRefused as exc:
            hint = " (--skip-bad leaves bad items out)" if exc.skippable and not skip_bad else ""
            raise CommandError(f"{exc}\nNothing was imported{hint}.") from None
        for line in report_lines(plan, dry_run=dry_run, verbosity=verbosity):
            self.stdout.write(line)
        if not dry_run:
            self.stdout.write(self.style.SUCCESS(f"Imported {', '.join(map(str, files))}."))
