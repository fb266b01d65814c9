"""Group commit (federation.group_commit): concurrent pieces of work share one transaction,
each gets its own result or exception, and one that fails takes nobody else down."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from pnyx.db.tables import jobs
from pnyx.federation import group_commit
from pnyx.jobs import queue


def _work(n: int, seen: list):
    def fn(tx):
        seen.append(tx)
        if n == 2:
            raise ValueError("refused")  # decides before it writes, as the inbox's work does
        queue.enqueue(tx, "trace", {"n": n})
        return n * 10

    return fn


def test_concurrent_work_is_committed_together(db):
    seen: list = []

    async def main():
        committer = group_commit.for_loop(db)
        return await asyncio.gather(
            *(committer.run(_work(n, seen)) for n in range(5)), return_exceptions=True
        )

    results = asyncio.run(main())
    assert results[:2] == [0, 10] and results[3:] == [30, 40]
    assert isinstance(results[2], ValueError)
    # One transaction for the five: the first try (rolled back by the refusal) and the
    # committed one, where each piece ran isolated, each saw a single transaction.
    committed = seen[-5:]
    assert all(tx is committed[0] for tx in committed) and committed[0] is not seen[0]
    stored = db.run_sync(lambda tx: tx.scalars(sa.select(jobs.c.payload)), write=False)
    assert sorted(p["n"] for p in stored) == [0, 1, 3, 4]


def test_work_alone_waits_for_nobody(db):
    async def main():
        return await group_commit.for_loop(db).run(lambda tx: "done")

    async def refused():
        return await group_commit.for_loop(db).run(_work(2, []))

    assert asyncio.run(main()) == "done"
    with pytest.raises(ValueError):
        asyncio.run(refused())


def test_a_failing_piece_leaves_nothing_and_spares_the_others(db):
    """Work that wrote before failing is rolled back alone, and an error from the database in
    one piece (which aborts a PostgreSQL transaction) does not fail the others."""

    def writes_then_fails(tx):
        queue.enqueue(tx, "trace", {"n": "half-done"})
        raise ValueError("refused after writing")

    def database_error(tx):
        tx.execute(sa.text("SELECT no_such_column FROM jobs"))

    pieces = [_work(0, []), writes_then_fails, database_error, _work(3, [])]

    async def main():
        committer = group_commit.for_loop(db)
        return await asyncio.gather(*(committer.run(p) for p in pieces), return_exceptions=True)

    results = asyncio.run(main())
    assert results[0] == 0 and results[3] == 30
    assert isinstance(results[1], ValueError) and isinstance(results[2], Exception)
    stored = db.run_sync(lambda tx: tx.scalars(sa.select(jobs.c.payload)), write=False)
    assert sorted(p["n"] for p in stored) == [0, 3]
