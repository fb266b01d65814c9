"""`in_ids`: a list of ids bound as one parameter, on both databases."""

from __future__ import annotations

import sqlalchemy as sa

import factories
from pnyx.db.id_lists import in_ids
from pnyx.db.tables import statuses


def _statement():
    return sa.select(statuses.c.id).where(in_ids(statuses.c.id, "ids")).order_by(statuses.c.id)


def test_in_ids_matches_exactly_the_listed_rows(db, make_user):
    alice = make_user("alice")
    made = [factories.status(db, alice.account_id, f"post {i}") for i in range(5)]

    def read(tx, ids):
        return tx.scalars_of(_statement(), {"ids": ids})

    assert db.run_sync(read, [made[0], made[3], 999_999_999]) == [made[0], made[3]]
    assert db.run_sync(read, []) == []
    assert db.run_sync(read, (i for i in made)) == sorted(made)
    # Many ids: one parameter whatever the length (no placeholder limit to hit).
    assert db.run_sync(read, list(range(1, 50_000)) + made) == sorted(made)


def test_sqlite_probes_the_primary_key_instead_of_scanning(db):
    """The predicate must compile to a plain `IN (subquery)`: appended to anything (SQLite's
    compiler once added `= 1` to it), the planner scans the whole table instead."""
    if db.is_sqlite:
        sql = str(_statement().compile(dialect=db.engine.dialect))
        with db.engine.connect() as conn:
            plan = [row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, ("[1]",))]
        assert any("USING INTEGER PRIMARY KEY" in step for step in plan), plan
        assert not any(step.startswith("SCAN statuses") for step in plan), plan
    else:
        sql = str(_statement().compile(dialect=db.engine.dialect))
        assert "= ANY (" in sql or "= ANY(" in sql, sql
