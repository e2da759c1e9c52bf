from posts.imports.blogger import parse_blogger
from posts.imports.command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import posts, labels and threaded comments from Blogger export files (Atom). Every "
        "file is read before anything is written, in one transaction; re-running changes "
        "nothing."
    )
    format_name = "Blogger export (Atom)"

    def parse(self, path, *, progress):
        return parse_blogger(path, progress=progress)
