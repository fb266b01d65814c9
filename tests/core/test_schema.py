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


def test_the_public_log_migration_moves_what_only_staff_see(db):
    """0033: a rejected sign-up's name leaves the (now public) reason for `target_name`, and
    a domain action's comment (it was the private one when there was one) for
    `private_note`; going back puts them where they were."""
    from alembic import command

    from pnyx.db.migrate import alembic_config

    command.downgrade(alembic_config(db.engine), "0032")
    insert = sa.text(
        "INSERT INTO moderation_log (id, action, reason, target_domain, created_at)"
        " VALUES (:id, :action, :reason, :domain, CURRENT_TIMESTAMP)"
    )
    rows = [
        {"id": 1, "action": "reject", "reason": "hopeful: no answers", "domain": None},
        {"id": 2, "action": "domain_block:suspend", "reason": "ticket 7", "domain": "x.example"},
        {"id": 3, "action": "suspend", "reason": "spam: lots", "domain": None},
    ]
    with db.engine.begin() as conn:
        for row in rows:
            conn.execute(insert, row)
    command.upgrade(alembic_config(db.engine), "head")
    read = sa.text("SELECT id, reason, target_name, private_note FROM moderation_log ORDER BY id")
    with db.engine.connect() as conn:
        assert [tuple(r) for r in conn.execute(read)] == [
            (1, "no answers", "hopeful", None),
            (2, "", None, "ticket 7"),
            (3, "spam: lots", None, None),
        ]
    command.downgrade(alembic_config(db.engine), "0032")
    with db.engine.connect() as conn:
        back = sa.text("SELECT id, reason FROM moderation_log ORDER BY id")
        assert [tuple(r) for r in conn.execute(back)] == [
            (1, "hopeful: no answers"),
            (2, "ticket 7"),
            (3, "spam: lots"),
        ]
    command.upgrade(alembic_config(db.engine), "head")
