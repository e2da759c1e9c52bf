"""Reads whose SQL is compiled once per database connection, not once per query.

For the small reads around a post page, Django spends ten to twenty times longer building
and compiling a QuerySet's SQL than the database spends answering it (0.2–1 ms against
0.02–0.06 ms each; benchmarks/README.md). A PreparedQuery compiles its QuerySet once per
connection, with stand-in values where the parameters go, and then runs that SQL with
each call's values. The QuerySet stays the one statement of the query, so visibility
rules are still written once, in QuerySet methods (``Post.objects.published()``).

Rules, checked when the SQL is compiled:
* the QuerySet ends in ``values_list()``; rows come back as tuples, converted exactly as
  ``values_list()`` converts them;
* parameters are ints, strings or aware datetimes, and the SQL must not depend on their
  values (never None, never a list): each stand-in must reach the SQL as a parameter.
Reads go where the database router sends them (the replica, or the primary for a reader
who just wrote), like any other read. On PostgreSQL they run as prepared statements
(settings.DATABASE_PREPARED_STATEMENTS), so the database plans them once per connection too.
"""

from __future__ import annotations

import datetime
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.db import connections, router
from django.db.models import Model, QuerySet

KINDS = (int, str, datetime.datetime)


def stand_in(kind: type, index: int):
    """A value of ``kind`` that no real parameter or constant of these queries equals."""
    if kind is int:
        # In range for any integer column: Django compiles a comparison with a value out of
        # a field's range to no condition at all, or to no rows.
        return 2_127_270_001 + index
    if kind is str:
        return f"\x1fstand-in {index}\x1f"
    return datetime.datetime(1901, 2, 3, 4, 5, 6, 123_000 + index, tzinfo=datetime.UTC)


def adapt(value, connection):
    """A parameter as Django hands it to the database driver."""
    if isinstance(value, datetime.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


@dataclass(frozen=True)
class Slot:
    """Where a parameter goes in the SQL, and the type the backend wraps it in there (on
    PostgreSQL, an integer compared with an integer column travels as psycopg's Int4)."""

    name: str
    wrap: type | None = None


@dataclass
class Compiled:
    sql: str
    slots: list  # per SQL parameter: a Slot, or a constant in a 1-tuple
    compiler: object
    converters: dict

    def params(self, values: dict, connection) -> list:
        params = []
        for slot in self.slots:
            if isinstance(slot, Slot):
                value = adapt(values[slot.name], connection)
                params.append(slot.wrap(value) if slot.wrap else value)
            else:
                params.append(slot[0])
        return params

    def convert(self, rows: list) -> list[tuple]:
        if not self.converters:
            return rows
        return [tuple(row) for row in self.compiler.apply_converters(rows, self.converters)]


class PreparedQuery:
    """``PreparedQuery(Post, build, slug=str)``; ``query.rows(slug="x")`` runs
    ``build(slug="x")``'s SQL, compiled on the first call on each connection."""

    def __init__(self, model: type[Model], build: Callable[..., QuerySet], **params: type):
        if any(kind not in KINDS for kind in params.values()):
            raise TypeError(f"parameters must be int, str or datetime: {params}")
        self.model, self.build, self.kinds = model, build, params
        self.compiled: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def rows(self, **values) -> list[tuple]:
        if values.keys() != self.kinds.keys():
            raise TypeError(f"expected {sorted(self.kinds)}, got {sorted(values)}")
        connection = connections[router.db_for_read(self.model)]
        compiled = self.compiled.get(connection) or self.compile(connection)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql" and settings.DATABASE_PREPARED_STATEMENTS:
                prepare_on_server(cursor)
            cursor.execute(compiled.sql, compiled.params(values, connection))
            return compiled.convert(cursor.fetchall())

    def compile(self, connection) -> Compiled:
        stand_ins = {name: stand_in(kind, i) for i, (name, kind) in enumerate(self.kinds.items())}
        queryset = self.build(**stand_ins)
        if queryset.model is not self.model or not queryset._fields:
            raise TypeError("a PreparedQuery's QuerySet must end in values_list()")
        compiler = queryset.query.get_compiler(connection=connection)
        sql, sql_params = compiler.as_sql()
        adapted = {name: adapt(value, connection) for name, value in stand_ins.items()}
        slots = [slot_for(param, adapted) for param in sql_params]
        missing = set(self.kinds) - {slot.name for slot in slots if isinstance(slot, Slot)}
        if missing:
            raise TypeError(f"parameters {sorted(missing)} do not reach the SQL as parameters")
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        converters = faster_converters(compiler.get_converters(fields), connection)
        compiled = Compiled(sql, slots, compiler, converters)
        self.compiled[connection] = compiled
        return compiled


def faster_converters(converters: dict, connection) -> dict:
    """The converters, with SQLite's datetime one swapped for a faster one giving the same
    values: Django parses each timestamp with a regular expression (~5 µs), which for a
    thread of 1,000 comments was a sixth of the page."""
    if connection.vendor != "sqlite":
        return converters
    slow = connection.ops.convert_datetimefield_value
    return {
        index: ([sqlite_datetime if c == slow else c for c in functions], expression)
        for index, (functions, expression) in converters.items()
    }


def sqlite_datetime(value, expression, connection):
    """Django's SQLite datetime converter, for the values Django stores there (ISO 8601
    text, naive in the connection's time zone)."""
    if value is None:
        return None
    if not isinstance(value, datetime.datetime):
        value = datetime.datetime.fromisoformat(value)
    if settings.USE_TZ and value.tzinfo is None:
        value = value.replace(tzinfo=connection.timezone)
    return value


def prepare_on_server(cursor) -> None:
    """Have Django's cursor run its statement as a PostgreSQL prepared statement.

    Django binds parameters on the client and leaves prepared statements off, so each
    query is parsed and planned again: for the small reads around a post page the
    planning alone cost 0.1-0.4 ms a query, about 2 ms a page (benchmarks/README.md). The
    wrapper keeps everything Django does around a query (its error handling, query logs
    and execute wrappers); only the driver's cursor under it is swapped for one that binds
    on the server and prepares, which psycopg then keeps per connection.
    """
    client_side = cursor.cursor
    driver = client_side.connection
    if driver.prepare_threshold is None:
        # Django switches psycopg's prepared statements off; client-side binding cursors,
        # which Django's own queries use, never prepare whatever this says.
        driver.prepare_threshold = 5  # psycopg's default
    cursor.cursor = preparing_cursor_class()(driver)
    client_side.close()


@cache
def preparing_cursor_class():
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparingCursor(ServerBindingCursor):
        def execute(self, query, params=None, **options):
            super().execute(query, params, **{**options, "prepare": True})
            # What Django logs for a query (connection.queries, CaptureQueriesContext)
            # is read from here, which psycopg fills for client-side cursors only.
            self._query = self._convert_query(query, params)
            return self

    return PreparingCursor


def slot_for(param, adapted: dict):
    """The Slot of the stand-in ``param`` is, or ``param`` itself: a constant."""
    for name, value in adapted.items():
        if isinstance(param, type(value)) and param == value:
            return Slot(name, None if type(param) is type(value) else type(param))
    return (param,)


def instance(model: type[Model], attnames: tuple[str, ...], values):
    """A model instance from some of its columns (the others deferred), as the ORM builds
    them from a row. It belongs to the database reads of ``model`` come from, as an
    instance the ORM read would: one that belongs nowhere is taken for a new object, and
    relating another to it asks the router for a write. ``from_db`` takes the values in
    the model's field order, whatever order the columns were read in."""
    by_name = dict(zip(attnames, values, strict=True))
    names = [field.attname for field in model._meta.concrete_fields if field.attname in by_name]
    return model.from_db(router.db_for_read(model), names, [by_name[name] for name in names])
