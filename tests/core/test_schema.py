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


def test_a_downgrade_and_upgrade_keep_the_rows(db):
    """Going back to 0016 and up again rebuilds `accounts` on SQLite (columns of 0017 and
    0018 are dropped by copying the table): the posts and follows pointing at it stay, on
    both databases, and foreign keys are enforced again afterwards."""
    from alembic import command

    from pnyx.core import accounts, follows, statuses
    from pnyx.db.migrate import alembic_config
    from pnyx.db.tables import follows as follows_table
    from pnyx.db.tables import statuses as statuses_table

    def world(tx):
        alice = accounts.create_local(tx, "alice", "alice@example.com", "correct horse battery")[0]
        bob = accounts.create_local(tx, "bob", "bob@example.com", "correct horse battery")[0]
        statuses.create(tx, alice, statuses.StatusInput(text="still here"))
        follows.follow(tx, bob, alice)
        return alice

    alice = db.run_sync(world)
    command.downgrade(alembic_config(db.engine), "0016")
    command.upgrade(alembic_config(db.engine), "head")

    def count(tx, table):
        return tx.scalar(sa.select(sa.func.count()).select_from(table))

    assert db.run_sync(lambda tx: count(tx, statuses_table)) == 1
    assert db.run_sync(lambda tx: count(tx, follows_table)) == 1

    def orphan(tx):
        tx.execute(
            sa.text(
                "INSERT INTO statuses (id, uri, account_id, local, text, content,"
                " spoiler_text, visibility, sensitive, created_at)"
                " VALUES (1, 'https://pnyx.test/x/1', :nobody, true, '', '', '', 'public',"
                " false, CURRENT_TIMESTAMP)"
            ),
            {"nobody": alice + 999},
        )

    try:  # a post by nobody is refused, as before the migrations ran
        db.run_sync(orphan)
    except sa.exc.IntegrityError:
        pass
    else:
        raise AssertionError("a post by an account that does not exist was stored")
