"""What the benchmark scripts share: Django set up outside the test runner, a throwaway
database, medians, a printed table and a JSON file under benchmarks/results/."""

import datetime
import json
import os
import platform
import statistics
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


def setup_django(**env) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msblog.settings")
    os.environ.setdefault("DEBUG", "0")
    for name, value in env.items():
        os.environ.setdefault(name, value)
    import django

    django.setup()


@contextmanager
def throwaway_database(suffix: str):
    """A fresh, migrated database for one benchmark, dropped afterwards: a temporary
    SQLite file, or on PostgreSQL "<DATABASE_URL's name>_bench_<suffix>"."""
    from django.db import connection

    settings_dict = connection.settings_dict
    old_name = settings_dict["NAME"]
    with tempfile.TemporaryDirectory() as directory:
        if connection.vendor == "sqlite":
            name = str(Path(directory) / f"bench-{suffix}.sqlite3")
        else:
            name = f"{old_name}_bench_{suffix}"
        settings_dict["TEST"] = {**settings_dict.get("TEST", {}), "NAME": name}
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            yield name
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)


def median(values) -> float:
    return statistics.median(values) if values else float("nan")


def machine() -> dict:
    memory_kib = 0
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        memory_kib = int(meminfo.read_text().split("MemTotal:")[1].split()[0])
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def database_description() -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        return f"PostgreSQL {connection.pg_version // 10000}"
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"


def print_table(title: str, headers: list[str], rows: list[list]) -> None:
    cells = [[format_cell(value) for value in row] for row in rows]
    widths = [max(len(h), *(len(row[i]) for row in cells)) for i, h in enumerate(headers)]
    print(f"\n{title}")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells:
        print("| " + " | ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) + " |")


def format_cell(value) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if value < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def write_results(name: str, data: dict) -> Path:
    """benchmarks/results/<name>-<database>.json, with the date, machine and database."""
    from django.db import connection

    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}-{connection.vendor}.json"
    payload = {
        "benchmark": name,
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine(),
        "database": database_description(),
        **data,
    }
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    print(f"\nwrote {path.relative_to(ROOT)}")
    return path
