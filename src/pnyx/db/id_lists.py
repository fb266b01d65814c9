"""`column IN (ids)` with the whole list bound as one parameter.

SQLAlchemy's `expanding` parameters rewrite the SQL for every call: one placeholder per id,
so a statement with seven lists of forty ids spent more time being re-rendered than SQLite
spent running it (the home timeline's profile, BENCHMARKS.md). Here the SQL text never changes:

- SQLite: `column IN (SELECT value FROM json_each(?))`, the ids sent as one JSON array;
- PostgreSQL: `column = ANY(%s)`, the ids sent as one bigint[] array.

Both planners probe the column's index once per id, as they do for a literal `IN` list.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeDecorator, TypeEngine


class IdList(TypeDecorator):
    """A list of integer ids: a JSON array on SQLite, a bigint[] on PostgreSQL."""

    impl = sa.String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.ARRAY(sa.BigInteger))
        return dialect.type_descriptor(sa.String())

    def process_bind_param(self, value: Iterable[int] | None, dialect: Dialect) -> list[int] | str:
        ids = [int(v) for v in value or ()]
        if dialect.name == "postgresql":
            return ids
        return orjson.dumps(ids).decode()


class InIds(ColumnElement[bool]):
    """`column IN (the ids bound to param)`; build it with `in_ids`."""

    type = sa.Boolean()
    inherit_cache = True
    # A predicate in its own right: without this, SQLite's compiler appends "= 1".
    _is_implicitly_boolean = True
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("param", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: sa.ColumnElement[int], param: sa.BindParameter[Any]) -> None:
        self.column = column
        self.param = param


def id_list(name: str) -> sa.BindParameter:
    """A bound parameter holding a list of ids; pass a list (or any iterable) of ints."""
    return sa.bindparam(name, type_=IdList())


def in_ids(column: sa.ColumnElement[int], name_or_param: str | sa.BindParameter) -> InIds:
    """`column IN (ids)` where the ids are bound, as one value, under `name_or_param`."""
    param = id_list(name_or_param) if isinstance(name_or_param, str) else name_or_param
    return InIds(column, param)


@compiles(InIds)
def _compile_json_each(element: InIds, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"{column} IN (SELECT value FROM json_each({compiler.process(element.param, **kw)}))"


@compiles(InIds, "postgresql")
def _compile_any(element: InIds, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"{column} = ANY({compiler.process(element.param, **kw)})"
