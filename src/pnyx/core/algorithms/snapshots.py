"""Per-viewer snapshots of a ranked feed: what one first page was ranked from and into.

A ranked order changes as people favourite and post, so `max_id` pages cannot be computed
again: the first page (no `max_id`) ranks the whole pool once and stores the version, the
inputs and the ordered items with their score terms; the following pages read on from the
item whose id the client sends. Kept: the newest `KEEP_PER_FEED` per viewer and feed, and
none older than `RETENTION` (the periodic `algorithms.refresh` job prunes them). The stored
inputs are also what the replay test and "why am I seeing this" read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from pnyx.core.algorithms.terms import Ranked, from_json, to_json
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.tables import feed_snapshots

KEEP_PER_FEED = 3
RETENTION = timedelta(days=2)
WHY_SCAN = 50  # snapshots of one viewer looked through for "why", newest first


@dataclass
class Snapshot:
    id: int
    feed_id: str
    version: str
    inputs: dict[str, Any]
    items: list[Ranked]
    created_at: datetime

    def position(self, status_id: int) -> int | None:
        for index, item in enumerate(self.items):
            if item.status_id == status_id:
                return index
        return None


def _of(row: Any) -> Snapshot:
    return Snapshot(
        row.id, row.feed_id, row.version, row.inputs, from_json(row.items), row.created_at
    )


def create(
    tx: Tx, viewer_id: int, feed_id: str, version: str, inputs: dict[str, Any], items: list[Ranked]
) -> Snapshot:
    """Store a new snapshot and drop this viewer's older ones of the feed past the limit."""
    snapshot = Snapshot(new_id(), feed_id, version, inputs, items, tx.now)
    tx.execute(
        feed_snapshots.insert().values(
            id=snapshot.id,
            account_id=viewer_id,
            feed_id=feed_id,
            version=version,
            inputs=inputs,
            items=to_json(items),
            created_at=tx.now,
        )
    )
    mine = sa.and_(feed_snapshots.c.account_id == viewer_id, feed_snapshots.c.feed_id == feed_id)
    kept = (
        sa.select(feed_snapshots.c.id)
        .where(mine)
        .order_by(feed_snapshots.c.id.desc())
        .limit(KEEP_PER_FEED)
    )
    tx.execute(
        feed_snapshots.delete().where(mine, feed_snapshots.c.id.not_in(kept.scalar_subquery()))
    )
    return snapshot


def containing(tx: Tx, viewer_id: int, feed_id: str, status_id: int) -> Snapshot | None:
    """The newest of the viewer's snapshots of this feed that holds the status."""
    rows = tx.rows(
        sa.select(feed_snapshots)
        .where(feed_snapshots.c.account_id == viewer_id, feed_snapshots.c.feed_id == feed_id)
        .order_by(feed_snapshots.c.id.desc())
        .limit(KEEP_PER_FEED)
    )
    for row in rows:
        snapshot = _of(row)
        if snapshot.position(status_id) is not None:
            return snapshot
    return None


def newest_with(tx: Tx, viewer_id: int, status_id: int) -> Snapshot | None:
    """The newest of the viewer's snapshots, of any feed, that holds the status."""
    rows = tx.rows(
        sa.select(feed_snapshots)
        .where(feed_snapshots.c.account_id == viewer_id)
        .order_by(feed_snapshots.c.id.desc())
        .limit(WHY_SCAN)
    )
    for row in rows:
        snapshot = _of(row)
        if snapshot.position(status_id) is not None:
            return snapshot
    return None


def prune(tx: Tx) -> int:
    """Remove the snapshots older than RETENTION; how many went."""
    result = tx.execute(
        feed_snapshots.delete().where(feed_snapshots.c.created_at < tx.now - RETENTION)
    )
    return int(result.rowcount or 0)
