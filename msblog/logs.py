"""Logging to stdout: one JSON object per line in production, readable lines in development.

Both Django (settings.LOGGING) and gunicorn (gunicorn.conf.py) configure logging with
``stdout_logging``, so an app server writes a single stream that a log collector can
parse line by line. No Django import here: gunicorn's master process loads this too.
"""

import datetime
import json
import logging
from collections.abc import Mapping

FORMATS = ("json", "text")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# gunicorn passes its access-log atoms as the record's args (see gunicorn.glogging).
ACCESS_ATOMS = {
    "remote_addr": "h",
    "method": "m",
    "path": "U",
    "query": "q",
    "status": "s",
    "bytes": "B",
    "referer": "f",
    "user_agent": "a",
    "forwarded_for": "{x-forwarded-for}i",
}


class JSONFormatter(logging.Formatter):
    """time, level, logger and message; for a gunicorn access line the request's fields;
    for Django's request warnings the method, path and status; and any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.name == "gunicorn.access" and isinstance(record.args, Mapping):
            entry.update(access_fields(record.args))
        request = getattr(record, "request", None)
        if hasattr(request, "method") and hasattr(request, "path"):
            entry.update(method=request.method, path=request.path)
        status = getattr(record, "status_code", None)
        if status is not None:
            entry["status"] = status
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def access_fields(atoms: Mapping) -> dict:
    fields = {}
    for name, atom in ACCESS_ATOMS.items():
        value = atoms.get(atom)
        if value not in (None, "", "-"):
            fields[name] = value
    if "status" in fields and str(fields["status"]).isdigit():
        fields["status"] = int(fields["status"])
    if isinstance(atoms.get("D"), int):
        fields["duration_ms"] = round(atoms["D"] / 1000, 1)
    return fields


def stdout_logging(log_format: str, *, level: str = "INFO", loggers: dict | None = None) -> dict:
    """A dictConfig sending every record to stdout in ``log_format`` ("json" or "text")."""
    if log_format not in FORMATS:
        raise ValueError(f"LOG_FORMAT must be json or text, not {log_format!r}")
    if log_format == "json":
        formatter = {"()": "msblog.logs.JSONFormatter"}
    else:
        formatter = {"format": TEXT_FORMAT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"stdout": formatter},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "stdout",
            }
        },
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": loggers or {},
    }
