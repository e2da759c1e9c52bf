"""The test suite on a busy machine: waits that outlast a slow start, and runs that never
share a database or a Redis with another run."""

import os
import sys
from pathlib import Path

import httpx
import pytest
from django.db import connection

from tests import servers

pytestmark = pytest.mark.django_db


def test_a_server_slow_to_answer_is_waited_for(tmp_path):
    """A server that accepts connections but answers late (its reads time out while it
    starts) is polled until it answers, not given up on at the first timeout."""
    script = str(servers.ROOT / "tests" / "data" / "slow_server.py")
    process, base = servers.start_listening(
        lambda port: [sys.executable, script, str(port), "2"],
        env=dict(os.environ),
        log=lambda port: tmp_path / f"slow-{port}.log",
        ready=lambda base: httpx.get(f"{base}/robots.txt", timeout=1).status_code == 200,
        what="slow server",
    )
    try:
        assert httpx.get(f"{base}/", timeout=10).text == "ok"
    finally:
        process.stop()


def test_each_run_has_a_test_database_of_its_own():
    """Two runs at once, even on one DATABASE_URL or in one checkout, use two databases."""
    assert str(os.getpid()) in Path(connection.settings_dict["NAME"]).name


def test_no_test_uses_the_shared_redis():
    """Tests that need Redis start a private redis-server: nothing flushes another run's."""
    shared = [
        path.name
        for path in (servers.ROOT / "tests").glob("*.py")
        if ":6379" in path.read_text() and path.name != "test_harness.py"
    ]
    assert shared == []
