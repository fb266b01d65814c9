"""Group commit: the short write transactions of concurrent requests, run together.

Each accepted activity must be stored durably before its 202 goes out. One transaction (and
one thread hop) per request makes the writes take turns, on SQLite behind its one writer:
the inbox then spends more time queueing for the database than working. Here requests hand
their work (`fn(tx)`) to a committer and wait; one transaction at a time runs every piece of
work waiting when it starts, on one thread hop, and each request gets its own result (or
exception) once that transaction has committed. Under load the batches grow by themselves;
alone, a request waits for nobody.

A piece of work must not write before it has decided (its exceptions do not roll back what
the others did in the transaction); the inbox's work reads and checks first, then writes.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import Any

from pnyx.db.engine import Database

# The most pieces of work in one transaction: a bound on how long one batch holds the writer.
MAX_BATCH = 64


class GroupCommit:
    """The committer of one database, on one event loop (see `for_loop`)."""

    def __init__(self, db: Database):
        self.db = db
        self.loop = asyncio.get_running_loop()
        self.waiting: list[tuple[Callable[[Any], Any], asyncio.Future]] = []
        self.running = False
        self.flusher: asyncio.Task | None = None

    async def run(self, fn: Callable[[Any], Any]) -> Any:
        """`fn(tx)`'s result, once the transaction it ran in has committed."""
        future = self.loop.create_future()
        self.waiting.append((fn, future))
        if not self.running:
            self.running = True
            self.flusher = self.loop.create_task(self._flush())  # referenced: not collected
        return await future

    async def _commit(self, fns: list[Callable[[Any], Any]]) -> list[tuple[bool, Any]]:
        """Outcomes of the batch, committed. Savepoints cost a third of the accept path, and
        the inbox's work refuses before it writes, so the batch first runs without them; only
        when a piece fails is it run again with each piece isolated."""
        try:
            return await self.db.write(_run_all, fns)
        except Exception as exc:  # noqa: BLE001 - nothing committed
            if len(fns) == 1:
                return [(False, exc)]
        try:
            return await self.db.write(_run_isolated, fns)
        except Exception as exc:  # noqa: BLE001 - nothing committed: all of them fail
            return [(False, exc)] * len(fns)

    async def _flush(self) -> None:
        try:
            while self.waiting:
                batch = self.waiting[:MAX_BATCH]
                del self.waiting[:MAX_BATCH]
                outcomes = await self._commit([fn for fn, _ in batch])
                for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
                    if future.done():
                        continue  # its request went away meanwhile
                    if ok:
                        future.set_result(value)
                    else:
                        future.set_exception(value)
        finally:
            self.running = False


def _run_all(tx, fns: list[Callable[[Any], Any]]) -> list[tuple[bool, Any]]:
    """All the work in one transaction; the first error rolls it all back (`_commit` then
    runs them again, each isolated)."""
    return [(True, fn(tx)) for fn in fns]


def _run_isolated(tx, fns: list[Callable[[Any], Any]]) -> list[tuple[bool, Any]]:
    """Each piece of work in a savepoint of its own: one that fails leaves nothing behind and
    does not abort the others' transaction (on PostgreSQL an error would)."""
    outcomes: list[tuple[bool, Any]] = []
    for fn in fns:
        try:
            with tx.conn.begin_nested():
                outcomes.append((True, fn(tx)))
        except Exception as exc:  # noqa: BLE001 - handed back to its own request
            outcomes.append((False, exc))
    return outcomes


_committers: weakref.WeakKeyDictionary[Database, GroupCommit] = weakref.WeakKeyDictionary()


def for_loop(db: Database) -> GroupCommit:
    """The committer of `db` on the running event loop (a test client may start several)."""
    committer = _committers.get(db)
    if committer is None or committer.loop is not asyncio.get_running_loop():
        committer = _committers[db] = GroupCommit(db)
    return committer
