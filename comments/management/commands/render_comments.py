from django.core.management.base import BaseCommand

from comments.services import comments_render


class Command(BaseCommand):
    help = (
        "Render every comment's stored HTML again from its text. Run it after an upgrade "
        "that changed how comments are rendered (comments/markup.py, comments/links.py) and "
        "after loading a dump made by an older msblog; it is safe to run at any time, while "
        "the site is serving, and changes only comments whose HTML differs."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000, help="comments per transaction")

    def handle(self, *args, batch_size, **options):
        read, changed = comments_render(batch_size=batch_size)
        self.stdout.write(
            self.style.SUCCESS(f"Read {read} comments; rendered {changed} of them again.")
        )
