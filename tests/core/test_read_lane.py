"""SQLite reads run on the event loop in the order they were asked (`db.engine.ReadLane`):
each request waits for the reads ahead of it, a failing read fails its own request only,
and a read whose request went away is not run."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
import sqlalchemy as sa

from pnyx.db.engine import Database


@pytest.fixture
def sqlite_db(tmp_path, settings):
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("reads run on the event loop on SQLite only")
    database = Database(settings)
    yield database
    database.dispose()


def test_reads_run_in_the_order_they_were_asked(sqlite_db):
    ran: list[int] = []

    def read(tx, n: int) -> int:
        ran.append(n)
        return tx.scalar(sa.select(sa.literal(n)))

    async def main() -> list[int]:
        return await asyncio.gather(*(sqlite_db.read(read, n) for n in range(20)))

    assert asyncio.run(main()) == list(range(20))
    assert ran == list(range(20))


def test_a_failing_read_fails_its_own_request_only(sqlite_db):
    def read(tx, n: int) -> int:
        if n == 3:
            raise ValueError("no such thing")
        return n

    async def main():
        return await asyncio.gather(
            *(sqlite_db.read(read, n) for n in range(6)), return_exceptions=True
        )

    results = asyncio.run(main())
    assert [r for i, r in enumerate(results) if i != 3] == [0, 1, 2, 4, 5]
    assert isinstance(results[3], ValueError)


def test_a_read_whose_request_went_away_is_not_run(sqlite_db):
    ran: list[int] = []

    def read(tx, n: int) -> int:
        ran.append(n)
        return n

    async def main() -> list[int]:
        tasks = [asyncio.ensure_future(sqlite_db.read(read, n)) for n in range(4)]
        await asyncio.sleep(0)  # every task has queued its read
        tasks[2].cancel()
        done = await asyncio.gather(*tasks, return_exceptions=True)
        return [d for d in done if not isinstance(d, BaseException)]

    assert asyncio.run(main()) == [0, 1, 3]
    assert ran == [0, 1, 3]


def test_a_read_that_holds_the_loop_long_is_logged(sqlite_db, caplog):
    """Every request waits for a long read on the loop: the operator is told which one."""

    def slow_read(tx) -> int:
        time.sleep(0.15)  # longer than SLOW_READ_SECONDS (0.1 s), whatever the machine
        return 1

    def quick_read(tx) -> int:
        return 2

    async def main():
        return [await sqlite_db.read(slow_read), await sqlite_db.read(quick_read)]

    with caplog.at_level(logging.WARNING, logger="pnyx.db"):
        assert asyncio.run(main()) == [1, 2]
    held = [r.getMessage() for r in caplog.records if "held the event loop" in r.getMessage()]
    assert any("slow_read" in message for message in held), held


def test_the_lane_keeps_its_connection_and_gives_it_up_after_a_failure(sqlite_db):
    """One connection serves the lane's reads in turn; a read that fails leaves it (its
    state is not trusted) and the next read takes a fresh one and sees what was written."""
    checkouts: list[int] = []
    sa.event.listen(sqlite_db.engine, "checkout", lambda *_: checkouts.append(1))

    def connection_of(tx) -> int:
        return id(tx.conn.connection.driver_connection)

    def failing(tx):
        tx.scalar(sa.select(sa.literal(1)))
        raise ValueError("no such thing")

    async def main():
        first = [await sqlite_db.read(connection_of) for _ in range(5)]
        taken = len(checkouts)
        with pytest.raises(ValueError):
            await sqlite_db.read(failing)
        sqlite_db.run_sync(lambda tx: tx.execute(sa.text("CREATE TABLE seen (n INTEGER)")))
        sqlite_db.run_sync(lambda tx: tx.execute(sa.text("INSERT INTO seen VALUES (7)")))
        written = len(checkouts)
        after = [await sqlite_db.read(lambda tx: tx.scalar(sa.text("SELECT n FROM seen")))]
        after.append(await sqlite_db.read(lambda tx: tx.scalar(sa.text("SELECT n FROM seen"))))
        return first, taken, written, after

    first, taken, written, after = asyncio.run(main())
    assert len(set(first)) == 1 and taken == 1  # five reads, one connection
    assert after == [7, 7]
    assert len(checkouts) == written + 1  # after the failure, a fresh one, kept again
