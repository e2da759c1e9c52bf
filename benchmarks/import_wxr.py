"""Time import_wxr on a generated export of a big blog, and report its peak memory.

    .venv/bin/python benchmarks/import_wxr.py [--posts 5000] [--comments 200000]

Writes a realistic WXR file (threads several levels deep, every comment status, tags,
pingbacks, drafts) to a temporary directory, imports it into a throwaway test database
(SQLite by default, PostgreSQL with DATABASE_URL), then imports it again (nothing to
change). Prints sizes, wall times and the process's peak resident memory (max RSS,
which includes Python and Django themselves). Numbers, not assertions.
"""

import argparse
import io
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msblog.settings")
os.environ.setdefault("DEBUG", "0")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

STATUSES = ["1"] * 85 + ["0"] * 6 + ["spam"] * 6 + ["trash"] * 3
WORDS = [
    "alemtuzumab",
    "relapse",
    "MRI",
    "lesion",
    "trial",
    "disability",
    "treatment",
    "immune",
    "risk",
    "data",
]
TAGS = ["MSBlog", "MSResearch", "ClinicSpeak", "ResearchSpeak", "NeuroSpeak", "Ocrelizumab"]


def peak_rss_mib() -> float:
    # ru_maxrss is KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cdata(text: str) -> str:
    return f"<![CDATA[{text}]]>"


def write_export(path: Path, posts: int, comments: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    per_post = comments // posts
    comment_id = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0" '
            'xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n'
            "<title>Bench</title><link>https://bench.example</link>"
            "<wp:wxr_version>1.2</wp:wxr_version>"
            "<wp:base_blog_url>https://bench.example</wp:base_blog_url>\n"
            "<wp:author><wp:author_login>profg</wp:author_login>"
            "<wp:author_display_name>Prof G</wp:author_display_name></wp:author>\n"
        )
        for n in range(1, posts + 1):
            day = f"20{10 + n % 14:02d}-{1 + n % 12:02d}-{1 + n % 28:02d}"
            body = "\n\n".join(
                " ".join(rng.choice(WORDS) for _ in range(60)) for _ in range(rng.randint(3, 8))
            )
            tags = "".join(
                f'<category domain="post_tag" nicename="{t.lower()}">{cdata(t)}</category>'
                for t in rng.sample(TAGS, 2)
            )
            out.write(
                f"<item><title>{cdata(f'Post {n}')}</title>"
                f"<link>https://bench.example/{day.replace('-', '/')}/post-{n}/</link>"
                f"<dc:creator>profg</dc:creator><content:encoded>{cdata(body)}</content:encoded>"
                f"<excerpt:encoded>{cdata(f'Lede {n} #MSBlog')}</excerpt:encoded>"
                f"<wp:post_id>{n}</wp:post_id><wp:post_date_gmt>{day} 12:00:00</wp:post_date_gmt>"
                f"<wp:comment_status>open</wp:comment_status><wp:post_name>post-{n}</wp:post_name>"
                f"<wp:status>{'draft' if n % 50 == 0 else 'publish'}</wp:status>"
                f"<wp:post_type>post</wp:post_type>{tags}\n"
            )
            first, depths = comment_id + 1, {}
            for index in range(per_post):
                comment_id += 1
                parent = 0
                if index and rng.random() > 0.3:
                    candidate = rng.randint(max(first, comment_id - 40), comment_id - 1)
                    if depths[candidate] < 8:
                        parent = candidate
                depths[comment_id] = 0 if not parent else depths[parent] + 1
                text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 90)))
                out.write(
                    f"<wp:comment><wp:comment_id>{comment_id}</wp:comment_id>"
                    f"<wp:comment_author>{cdata(f'Reader {comment_id % 97}')}</wp:comment_author>"
                    f"<wp:comment_author_email>reader{comment_id % 97}@example.org"
                    f"</wp:comment_author_email><wp:comment_author_IP>192.0.2.{comment_id % 250}"
                    f"</wp:comment_author_IP><wp:comment_date_gmt>{day} 13:00:00"
                    f"</wp:comment_date_gmt><wp:comment_content>{cdata(text)}</wp:comment_content>"
                    f"<wp:comment_approved>{rng.choice(STATUSES)}</wp:comment_approved>"
                    f"<wp:comment_type>comment</wp:comment_type>"
                    f"<wp:comment_parent>{parent}</wp:comment_parent></wp:comment>\n"
                )
            if n % 10 == 0:
                out.write(
                    "<wp:comment><wp:comment_id>0</wp:comment_id>"
                    "<wp:comment_type>pingback</wp:comment_type></wp:comment>\n"
                )
            out.write("</item>\n")
        out.write("</channel>\n</rss>\n")


def timed_import(path: Path) -> tuple[float, str]:
    out = io.StringIO()
    start = time.perf_counter()
    call_command("import_wxr", str(path), stdout=out)
    return time.perf_counter() - start, out.getvalue()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--comments", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.xml"
        start = time.perf_counter()
        write_export(path, args.posts, args.comments)
        written = time.perf_counter() - start
        size = path.stat().st_size / 2**20
        setup_test_environment()
        old_name = connection.settings_dict["NAME"]
        connection.creation.create_test_db(verbosity=0, autoclobber=True)
        rss_before = peak_rss_mib()
        try:
            first, report = timed_import(path)
            rss_first = peak_rss_mib()
            again, report_again = timed_import(path)
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
    print(f"import_wxr benchmark, {connection.vendor}")
    print(f"export: {args.posts} posts, {args.comments} comments, {size:.1f} MiB ({written:.1f} s)")
    print(f"first import:  {first:7.1f} s   peak RSS {rss_first:7.0f} MiB")
    print(f"second import: {again:7.1f} s   (nothing to change)")
    print(f"peak RSS before importing {rss_before:.0f} MiB, at the end {peak_rss_mib():.0f} MiB")
    summary = ("Posts:", "Comments:", "Tags:", "Categories:", "Redirects:", "Not imported")
    for line in report.splitlines():
        if line.startswith(summary):
            print(f"  {line}")
    posts_again = next(line for line in report_again.splitlines() if line.startswith("Posts:"))
    print(f"  second run: {posts_again}")


if __name__ == "__main__":
    main()
