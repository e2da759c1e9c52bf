"""Reading numbers and switches from the environment, with one clear line when a value
cannot be read. Used by msblog/settings.py for every numeric and boolean variable, and
by gunicorn.conf.py, which must not import the settings (it runs before wsgi.py chooses
production)."""

import os
from typing import TypeVar

from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T", bool, int, float)

TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")


def env_value(name: str, default: T, *, minimum: float | None = None) -> T:
    """The variable ``name`` read as the type of ``default`` (a switch, a whole number or
    a number), or ``default`` when it is not set. A value that is empty, cannot be read
    or is below ``minimum`` raises ImproperlyConfigured naming the variable, what it
    expects, and what it got."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = parse(raw.strip(), type(default))
    if value is None or (minimum is not None and value < minimum):
        expected = expectation(type(default), minimum)
        got = f"{raw!r} (empty: unset it to use the default)" if not raw.strip() else repr(raw)
        raise ImproperlyConfigured(
            f"{name} must be {expected} (default {display(default)}), not {got}"
        )
    return value


def parse(raw: str, kind: type) -> bool | int | float | None:
    if kind is bool:
        lowered = raw.lower()
        return True if lowered in TRUE else False if lowered in FALSE else None
    try:
        return kind(raw) if raw.lstrip("-").replace(".", "", kind is float).isdigit() else None
    except ValueError:
        return None


def expectation(kind: type, minimum: float | None) -> str:
    if kind is bool:
        return "on or off (1/0, true/false, yes/no, on/off)"
    what = "a whole number" if kind is int else "a number"
    return what if minimum is None else f"{what} of at least {display(minimum)}"


def display(value) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return f"{value:g}" if isinstance(value, float) else str(value)
