"""A short run of benchmarks/load.py: the site under load, with its database, worker and
Redis failing, loses nothing."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def load_arguments() -> list[str]:
    small = ["--readers", "6", "--commenters", "3", "--duration", "10"]
    small += ["--workers", "2", "--threads", "2"]
    if connection.vendor != "postgresql":
        return [*small, "--database", "sqlite"]
    # The run creates and drops its own database through the server's maintenance one.
    server = urlsplit(os.environ["DATABASE_URL"])._replace(path="/postgres").geturl()
    return [*small, "--database", "postgres", "--postgres", server]


def test_short_load_run_with_faults_loses_nothing():
    """Readers and commenters against gunicorn for a few seconds while the database's
    connections are killed and refused (PostgreSQL), the worker is killed and Redis
    restarted: 5xx only during faults, every accepted comment stored once and emailed once,
    a valid tree, and no reader shown a pending comment."""
    done = subprocess.run(
        [sys.executable, "benchmarks/load.py", *load_arguments()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "fault: worker killed" in output and "fault: Redis restarted" in output
    if connection.vendor == "postgresql":
        assert "fault: database refusing connections" in output
    for line in ("not emailed: 0", "emailed twice or more: 0", "duplicates: 0"):
        assert line in output.splitlines(), output
    assert "leaks: 0" in output and "tree valid: True" in output
    assert "OK: nothing lost" in output
