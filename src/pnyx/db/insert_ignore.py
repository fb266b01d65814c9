"""Inserting a row unless an equal one (same unique key) is already there, on both databases.

Follows, favourites, bookmarks, mentions, tags ... are all "at most one": two requests racing
to create the same one must not both succeed, nor fail with a uniqueness error a client would
see as a 500. The loser simply finds nothing to do, and the caller learns which one it was.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row

from pnyx.db.engine import Tx


def insert_ignore(tx: Tx, table: sa.Table, values: dict) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True if the row really went in.

    RETURNING tells us, rather than the row count: psycopg reports none for such inserts.
    """
    dialect = postgresql if tx.is_postgres else sqlite
    statement = (
        dialect.insert(table)
        .values(**values)
        .on_conflict_do_nothing()
        .returning(*table.primary_key.columns)
    )
    return tx.execute(statement).first() is not None


# Built once per database kind and table: the paths that store every incoming post run them,
# and building a statement costs about as much as running it.
_PREBUILT: dict[tuple[str, str, bool], sa.Executable] = {}


def _prebuilt(tx: Tx, table: sa.Table, whole_row: bool) -> sa.Executable:
    key = (tx.conn.dialect.name, table.name, whole_row)
    statement = _PREBUILT.get(key)
    if statement is None:
        dialect = postgresql if tx.is_postgres else sqlite
        returned = table.columns if whole_row else table.primary_key.columns
        statement = dialect.insert(table).on_conflict_do_nothing().returning(*returned)
        _PREBUILT[key] = statement
    return statement


def insert_plain_ignore(tx: Tx, table: sa.Table, values: dict) -> bool:
    """`insert_ignore` for values that are plain data (no SQL expressions), with a statement
    built once."""
    return tx.execute(_prebuilt(tx, table, False), values).first() is not None


def insert_ignore_returning(tx: Tx, table: sa.Table, values: dict) -> Row | None:
    """`insert_ignore` of plain data that returns the whole row as stored (defaults filled),
    or None when an equal one was already there: no second query to read it back."""
    return tx.execute(_prebuilt(tx, table, True), values).first()
