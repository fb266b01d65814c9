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
    assert len(seen) == 5 and all(tx is seen[0] for tx in seen)  # one transaction for five
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
