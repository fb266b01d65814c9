"""Rows as plain named tuples, and a lean way to run the hot read statements.

Two costs of SQLAlchemy 2.1 dominated a page of statuses once its JSON was cached
(BENCHMARKS.md, "A fast request path"):

- `row.column` takes ~1.2 µs on a `Row`: before looking the name up it checks that no class
  in its MRO has an attribute of that name, and the miss walks ten classes. A page reads its
  rows' columns by name thousands of times (deciding, matching filters, rendering). A named
  tuple answers in ~30 ns, is a tuple (unpacking, `tuple(row)`, equality work as with `Row`),
  and satisfies the Protocols of `pnyx.core.rows` as well.
- Running a prebuilt statement costs ~30 µs of Python on top of SQLite's ~10 µs for these
  indexed lookups (execution context, events, result metadata), and a page runs a dozen.
  `run` compiles each statement once and then hands its SQL and the processed parameters
  straight to the driver (sqlite3, or psycopg 3, which parses dates and JSON itself),
  applying the same bind and result processors SQLAlchemy would. On PostgreSQL that took
  a query from ~140 to ~55 µs of CPU (`status_tags` of 20 posts), ~270 to ~75 for 20 rows
  of `statuses`. Whenever someone listens to the engine's cursor events (tests counting
  queries), it goes through SQLAlchemy as usual. tests/api/test_render_cache.py checks
  both ways give the same rows, on both databases.

Only for statements whose column names are distinct identifiers not starting with "_" (a
table's columns, labelled expressions): a named tuple class cannot be made otherwise.
"""

from __future__ import annotations

import collections
import functools
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Connection, CursorResult, Dialect
from sqlalchemy.sql.base import Executable

from pnyx.db.types import UTCDateTime


@functools.lru_cache(maxsize=512)
def row_class(fields: tuple[str, ...]) -> Any:
    """The named tuple class of rows with these columns (one per shape, made once)."""
    cls = collections.namedtuple("PlainRow", fields)  # type: ignore[misc]  # noqa: PYI024
    # What code written against `Row` may still ask for.
    cls._mapping = property(lambda self: dict(zip(self._fields, self, strict=True)))  # type: ignore[attr-defined]
    return cls


def plain(result: CursorResult) -> list[Any]:
    """All rows of `result` as named tuples."""
    make = row_class(tuple(result.keys()))._make
    return [make(row) for row in result]


def plain_rows(rows: Iterable[Any], fields: tuple[str, ...]) -> list[Any]:
    """Rows (or tuples) with these columns as named tuples."""
    make = row_class(fields)._make
    return [make(row) for row in rows]


def _utc_reader(dialect_name: str, usual: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`UTCDateTime`'s result processor in one step. SQLAlchemy chains three Python calls
    for it (the decorator's wrapper, the dialect's parser, `process_result_value`), ~2 µs
    a value, and a page reads ~120 dates. SQLite stores them as text in ISO form, which
    `datetime.fromisoformat` reads in C; any other form goes the usual way."""
    if dialect_name != "sqlite":
        return usual

    def read(value: Any) -> Any:
        if value is None:
            return None
        try:
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        except (TypeError, ValueError):
            return usual(value)

    return read


@dataclass(frozen=True)
class Prepared:
    """A statement compiled once for the driver: its SQL, its parameters in order (with the
    values bound in the statement itself, and their processors), its columns' processors."""

    sql: str
    names: tuple[str, ...]
    positional: bool  # SQLite's `?` in `names` order; else PostgreSQL's `%(name)s`
    defaults: Mapping[str, Any]
    binds: tuple[Callable[[Any], Any] | None, ...]
    make: Callable[[Iterable[Any]], Any]
    results: tuple[tuple[int, Callable[[Any], Any]], ...]  # (column index, processor)


# (id of the statement, dialect) -> the statement (kept alive, so its id stays its own) and
# how to run it.
# Where the driver is handed the SQL directly: SQLite (sqlite3) and PostgreSQL (psycopg 3).
LEAN_DIALECTS = ("sqlite", "postgresql")

_prepared: dict[tuple[int, str], tuple[Executable, Prepared | None]] = {}
_lock = threading.Lock()


def _prepare(statement: Executable, dialect: Dialect) -> Prepared | None:
    """How to run `statement` on the driver, or None when its SQL is only complete at run time
    (an expanding `IN`, literal-rendered values): SQLAlchemy runs those."""
    compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    if compiled.post_compile_params or compiled.literal_execute_params:
        return None
    positional = compiled.positiontup is not None
    names = (
        tuple(compiled.positiontup)
        if positional
        else tuple(dict.fromkeys(compiled.bind_names.values()))
    )
    processors = compiled._bind_processors
    columns = compiled._result_columns
    results = []
    for index, column in enumerate(columns):
        processor = column.type._cached_result_processor(dialect, None)
        if isinstance(column.type, UTCDateTime) and processor is not None:
            processor = _utc_reader(dialect.name, processor)
        if processor is not None:
            results.append((index, processor))
    return Prepared(
        sql=compiled.string,
        names=names,
        positional=positional,
        defaults=compiled.construct_params(_check=False),
        binds=tuple(processors.get(name) for name in names),
        make=row_class(tuple(column.keyname for column in columns))._make,
        results=tuple(results),
    )


def run(conn: Connection, statement: Executable, params: Mapping[str, Any] | None) -> list[Any]:
    """The rows of a prebuilt SELECT as named tuples, the lean way where it applies."""
    dialect = conn.dialect
    if dialect.name not in LEAN_DIALECTS or conn.dispatch.before_cursor_execute:
        return plain(conn.execute(statement, params))
    key = (id(statement), dialect.name)
    entry = _prepared.get(key)
    if entry is not None and entry[0] is statement:
        prepared = entry[1]
    else:
        prepared = _prepare(statement, dialect)
        with _lock:
            # Statements run this way are built once (functools.cache): the bound only keeps
            # a statement built per call by mistake from growing the dict for ever.
            if len(_prepared) < 1024:
                _prepared[key] = (statement, prepared)
    if prepared is None:
        return plain(conn.execute(statement, params))
    given = params or {}
    defaults = prepared.defaults
    values = []
    for name, bind in zip(prepared.names, prepared.binds, strict=True):
        value = given[name] if name in given else defaults[name]
        values.append(bind(value) if bind is not None else value)
    bound: Any = values if prepared.positional else dict(zip(prepared.names, values, strict=True))
    # The driver's own cursor; under asyncio, SQLAlchemy's adapter of it, whose calls wait
    # for the driver's coroutines (the read runs in a greenlet: `Database.read`).
    raw = conn.connection
    cursor = (raw.dbapi_connection if dialect.is_async else raw.driver_connection).cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(prepared.sql, bound)
        fetched = cursor.fetchall()
    finally:
        cursor.close()
    make = prepared.make
    if not prepared.results:
        return [make(row) for row in fetched]
    out = []
    for row in fetched:
        items = list(row)
        for index, processor in prepared.results:
            items[index] = processor(items[index])
        out.append(make(items))
    return out
