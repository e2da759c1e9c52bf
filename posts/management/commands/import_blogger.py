from posts.imports.blogger import parse_blogger
from posts.imports.command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import posts, pages, labels and threaded comments from Blogger export files (the "
        "classic backup, or Google Takeout's feed.atom). Every file is read before "
        "anything is written, in one transaction; re-running changes nothing."
    )
    format_name = "Blogger export (Atom)"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--blog-url",
            default="",
            help="the Blogger blog's address (https://NAME.blogspot.com): Takeout files "
            "give old addresses as paths only",
        )

    def parse_files(self, files, *, progress, blog_url="", **options):
        return [parse_blogger(path, progress=progress, blog_url=blog_url) for path in files]
