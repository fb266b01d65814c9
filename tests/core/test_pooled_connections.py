"""Pooled PostgreSQL connections the server ended are replaced before a transaction uses them
(`pnyx.db.engine._still_connected`, which replaced `pool_pre_ping`'s round trip per
transaction with a look at the socket)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

PID = sa.text("SELECT pg_backend_pid()")


def test_a_connection_the_server_ended_is_replaced(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's connections (SQLite has no server to end them)")
    with db.transaction(write=False) as tx:
        ended = tx.scalar(PID)
    admin = sa.create_engine(db.engine.url, poolclass=NullPool)
    with admin.connect() as conn:
        assert conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": ended}).scalar()
        for _ in range(1000):  # the backend exits soon after the signal
            gone = conn.execute(
                sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": ended}
            ).scalar()
            if not gone:
                break
        assert not gone
    admin.dispose()
    # The pool still holds the ended connection: the next read and write get a working one.
    with db.transaction(write=False) as tx:
        first = tx.scalar(PID)
    with db.transaction(write=True) as tx:
        assert tx.scalar(sa.text("SELECT 1")) == 1
    assert first != ended
