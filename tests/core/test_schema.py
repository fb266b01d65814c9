"""The migrations build exactly the schema `db/tables/` describes, on both databases: a
column added to one and not the other fails here, not in production."""

from __future__ import annotations

import warnings

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from pnyx.db.migrate import upgrade
from pnyx.db.tables import metadata


def _not_the_search_index(name, kind, _parent) -> bool:
    return not (kind == "table" and name and name.startswith("status_search"))


def test_migrations_match_the_tables(database_url):
    engine = sa.create_engine(database_url)
    try:
        upgrade(engine)
        with engine.connect() as conn, warnings.catch_warnings():
            # SQLite cannot reflect expression indexes (lower(username)): alembic says so.
            warnings.simplefilter("ignore", UserWarning)
            warnings.simplefilter("ignore", sa.exc.SAWarning)
            # The full-text index is no plain table (FTS5 on SQLite, a tsvector table on
            # PostgreSQL): core.search_index describes it, not the metadata.
            context = MigrationContext.configure(conn, opts={"include_name": _not_the_search_index})
            differences = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert differences == []
