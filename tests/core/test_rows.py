"""The row shapes of core.rows say what the tables hold: every column, its type, its None."""

from __future__ import annotations

import types
import typing

import pytest
import sqlalchemy as sa

from pnyx.core import rows
from pnyx.db import tables

SHAPES = [
    (rows.StatusRow, tables.statuses),
    (rows.AccountRow, tables.accounts),
    (rows.UserRow, tables.users),
    (rows.PollRow, tables.polls),
    (rows.AppRow, tables.oauth_apps),
]


def _declared(shape: type) -> dict[str, tuple[type, bool]]:
    """name -> (type without None, whether None is allowed)."""
    declared = {}
    for name, hint in typing.get_type_hints(shape).items():
        args = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        kinds = [a for a in args if a is not type(None)]
        assert len(kinds) == 1, f"{shape.__name__}.{name}: one type, or it and None"
        base = typing.get_origin(kinds[0]) or kinds[0]
        declared[name] = (base, len(kinds) < len(args))
    return declared


def _column_type(column: sa.Column) -> type:
    if isinstance(column.type, sa.JSON):
        return list
    if isinstance(column.type, sa.types.TypeDecorator):  # UTCDateTime, the ID type
        return column.type.impl_instance.python_type
    return column.type.python_type


@pytest.mark.parametrize(("shape", "table"), SHAPES, ids=[t.name for _, t in SHAPES])
def test_shape_matches_table(shape, table):
    declared = _declared(shape)
    assert set(declared) == {c.name for c in table.columns}
    for column in table.columns:
        base, nullable = declared[column.name]
        assert nullable == column.nullable, column.name
        assert base is _column_type(column), column.name
