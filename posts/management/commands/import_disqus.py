from posts.imports.command import ImportCommand
from posts.imports.disqus import parse_disqus


class Command(ImportCommand):
    help = (
        "Import threaded comments from Disqus export files onto the posts their threads "
        "link to (a post's address or one of its original URLs). Every file is read "
        "before anything is written, in one transaction; re-running changes nothing."
    )
    format_name = "Disqus export (XML)"

    def parse(self, path, *, progress):
        return parse_disqus(path, progress=progress)
