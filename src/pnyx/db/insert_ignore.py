"""Inserting a row unless an equal one (same unique key) is already there, on both databases.

Follows, favourites, bookmarks, mentions, tags ... are all "at most one": two requests racing
to create the same one must not both succeed, nor fail with a uniqueness error a client would
see as a 500. The loser simply finds nothing to do, and the caller learns which one it was.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

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
