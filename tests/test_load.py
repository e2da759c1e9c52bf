"""A short run of benchmarks/load.py: the site under load loses nothing."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def load_arguments() -> list[str]:
    small = ["--readers", "6", "--commenters", "3", "--duration", "5"]
    small += ["--workers", "2", "--threads", "2"]
    if connection.vendor != "postgresql":
        return [*small, "--database", "sqlite"]
    # The run creates and drops its own database through the server's maintenance one.
    server = urlsplit(os.environ["DATABASE_URL"])._replace(path="/postgres").geturl()
    return [*small, "--database", "postgres", "--postgres", server]


def test_short_load_run_loses_nothing():
    """Readers and commenters against gunicorn for a few seconds: no 5xx, every accepted
    comment stored once, a valid tree, and no reader shown a pending comment."""
    done = subprocess.run(
        [sys.executable, "benchmarks/load.py", *load_arguments()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5xx: 0;" in done.stdout
    assert "leaks: 0" in done.stdout
    assert "tree valid: True" in done.stdout
    assert "OK: nothing lost" in done.stdout
