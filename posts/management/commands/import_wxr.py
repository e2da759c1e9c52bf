from posts.imports.command import ImportCommand
from posts.imports.wxr import parse_wxr


class Command(ImportCommand):
    help = (
        "Import posts, tags and threaded comments from WordPress export files (WXR 1.0-1.2). "
        "Every file is read before anything is written, in one transaction; re-running "
        "changes nothing."
    )
    format_name = "WordPress export (WXR)"

    def parse(self, path, *, progress):
        return parse_wxr(path, progress=progress)
