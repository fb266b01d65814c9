"""Pooled PostgreSQL connections the server ended are replaced before a transaction uses them
(`pnyx.db.engine._still_connected`, which replaced `pool_pre_ping`'s round trip per
transaction with a look at the socket)."""

from __future__ import annotations

import asyncio
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

PID = sa.text("SELECT pg_backend_pid()")


def test_a_connection_the_server_ended_is_replaced(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's connections (SQLite has no server to end them)")
    with db.transaction(write=False) as tx:
        ended = tx.scalar(PID)
    # Autocommit: inside one transaction pg_stat_activity is a snapshot taken at its first
    # read, and would show the ended backend for as long as the transaction lasts.
    admin = sa.create_engine(db.engine.url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        assert conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": ended}).scalar()
        deadline = time.monotonic() + 30  # the backend exits soon after the signal
        while True:
            alive = conn.execute(
                sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": ended}
            ).scalar()
            if not alive or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        assert not alive
    admin.dispose()
    # The pool still holds the ended connection: the next read and write get a working one.
    with db.transaction(write=False) as tx:
        first = tx.scalar(PID)
    with db.transaction(write=True) as tx:
        assert tx.scalar(sa.text("SELECT 1")) == 1
    assert first != ended


def test_a_read_connection_the_server_ended_is_replaced(db):
    """The same for the event loop's PostgreSQL read connections (`Database.read`)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's connections (SQLite has no server to end them)")

    def pid(tx):
        return tx.scalar(PID)

    async def scenario() -> tuple[int, int]:
        ended = await db.read(pid)
        admin = sa.create_engine(db.engine.url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            assert conn.execute(
                sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": ended}
            ).scalar()
            deadline = time.monotonic() + 30
            while (
                conn.execute(
                    sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"),
                    {"pid": ended},
                ).scalar()
                and time.monotonic() < deadline
            ):
                time.sleep(0.01)
        admin.dispose()
        try:
            return ended, await db.read(pid)  # the pool's ended connection is replaced
        finally:
            await db.close_reads()

    ended, replaced = asyncio.run(scenario())
    assert replaced != ended
