"""Per-viewer snapshots of a ranked feed: what one first page was ranked from and into.

A ranked order changes as people favourite and post, so `max_id` pages cannot be computed
again: the first page (no `max_id`) ranks the whole pool once and stores the version, the
inputs and the ordered items with their score terms; the following pages read on from the
item whose id the client sends. A first page reuses the viewer's newest snapshot of the
same feed and version while it is younger than `REUSE_SECONDS` (published in the catalog)
and the pool's source is unchanged (`pool.source_mark`: the home feed's newest entry and
number of entries): a reload costs a snapshot read, not a ranking. Kept: the newest `KEEP_PER_FEED` per viewer and feed, and
none older than `RETENTION` (the periodic `algorithms.refresh` job prunes them). The stored
inputs are also what the replay test and "why am I seeing this" read.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from pnyx.core.algorithms.terms import Ranked, from_json, to_json
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.tables import feed_snapshots

KEEP_PER_FEED = 3
# How long a first page may serve the viewer's newest snapshot again (same feed, version and
# source mark) instead of ranking anew: published with each ranked algorithm's parameters.
# Five minutes: while the mark is unchanged (no new post, no entry removed) the algorithms
# that reuse (`diverse`, `originals`) would rank the same pool to the same order, and the
# rules that hide at read time (mutes, blocks, deletions) apply to every page anyway; what
# the window bounds is the rest (a follow's options, exclusive lists) that shapes the pool.
REUSE_SECONDS = 300
RETENTION = timedelta(days=2)
WHY_SCAN = 50  # snapshots of one viewer looked through for "why", newest first


@dataclass
class Snapshot:
    """A snapshot as paging reads it: the ordered ids only. `items` (with their terms) and
    `inputs` are large and read only when asked for (`load`): a `max_id` page decodes a
    list of ids, not the whole ranking."""

    id: int
    feed_id: str
    version: str
    created_at: datetime
    status_ids: list[int]
    source_mark: int | None = None
    items: list[Ranked] = field(default_factory=list)
    inputs: dict[str, Any] = field(default_factory=dict)

    def position(self, status_id: int) -> int | None:
        try:
            return self.status_ids.index(status_id)
        except ValueError:
            return None


_LIGHT = (
    feed_snapshots.c.id,
    feed_snapshots.c.feed_id,
    feed_snapshots.c.version,
    feed_snapshots.c.created_at,
    feed_snapshots.c.status_ids,
    feed_snapshots.c.source_mark,
)


def _light(row: Any) -> Snapshot:
    # The ids were stored as ints and come back as ints from the JSON (both drivers).
    return Snapshot(
        row.id, row.feed_id, row.version, row.created_at, list(row.status_ids), row.source_mark
    )


@functools.cache
def _newest_statement() -> sa.Select:
    """The viewer's newest snapshots of one feed, ids only: what paging and reuse read
    (built once, run with `tx.plain`)."""
    return (
        sa.select(*_LIGHT)
        .where(
            feed_snapshots.c.account_id == sa.bindparam("viewer", type_=sa.BigInteger),
            feed_snapshots.c.feed_id == sa.bindparam("feed_id", type_=sa.String),
        )
        .order_by(feed_snapshots.c.id.desc())
        .limit(sa.bindparam("n", type_=sa.Integer))
    )


def _newest(tx: Tx, viewer_id: int, feed_id: str, n: int) -> list[Any]:
    return tx.plain(_newest_statement(), {"viewer": viewer_id, "feed_id": feed_id, "n": n})


def reusable(
    tx: Tx, viewer_id: int, feed_id: str, version: str, source_mark: int | None
) -> Snapshot | None:
    """The viewer's newest snapshot of this feed when a first page may serve it again: the
    same version, younger than REUSE_SECONDS, and made when the source's mark was the same
    (never without a mark: a walked pool cannot tell what is new)."""
    if source_mark is None:
        return None
    rows = _newest(tx, viewer_id, feed_id, 1)
    if not rows:
        return None
    newest = _light(rows[0])
    if (
        newest.version != version
        or newest.source_mark != source_mark
        or newest.created_at <= tx.now - timedelta(seconds=REUSE_SECONDS)
    ):
        return None
    return newest


def create(
    tx: Tx,
    viewer_id: int,
    feed_id: str,
    version: str,
    inputs: dict[str, Any],
    items: list[Ranked],
    source_mark: int | None = None,
) -> Snapshot:
    """Store a new snapshot and drop this viewer's older ones of the feed past the limit."""
    status_ids = [item.status_id for item in items]
    snapshot = Snapshot(new_id(), feed_id, version, tx.now, status_ids, source_mark, items, inputs)
    tx.execute(
        feed_snapshots.insert().values(
            id=snapshot.id,
            account_id=viewer_id,
            feed_id=feed_id,
            version=version,
            status_ids=status_ids,
            items=to_json(items),
            inputs=inputs,
            source_mark=source_mark,
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


def load(tx: Tx, snapshot_id: int) -> Snapshot | None:
    """A whole snapshot: its ids, its items with their terms, and the inputs they were ranked
    from (what a replay reads)."""
    row = tx.one_or_none(
        sa.select(*_LIGHT, feed_snapshots.c["items"], feed_snapshots.c.inputs).where(
            feed_snapshots.c.id == snapshot_id
        )
    )
    if row is None:
        return None
    snapshot = _light(row)
    snapshot.items = from_json(row._mapping["items"])
    snapshot.inputs = row.inputs
    return snapshot


def _first_holding(rows: list[Any], status_id: int) -> Snapshot | None:
    for row in rows:
        snapshot = _light(row)
        if snapshot.position(status_id) is not None:
            return snapshot
    return None


def containing(tx: Tx, viewer_id: int, feed_id: str, status_id: int) -> Snapshot | None:
    """The newest of the viewer's snapshots of this feed that holds the status (ids only)."""
    return _first_holding(_newest(tx, viewer_id, feed_id, KEEP_PER_FEED), status_id)


def newest_with(tx: Tx, viewer_id: int, status_id: int) -> Snapshot | None:
    """The newest of the viewer's snapshots, of any feed, that holds the status, whole."""
    rows = tx.rows(
        sa.select(*_LIGHT)
        .where(feed_snapshots.c.account_id == viewer_id)
        .order_by(feed_snapshots.c.id.desc())
        .limit(WHY_SCAN)
    )
    found = _first_holding(rows, status_id)
    return load(tx, found.id) if found is not None else None


def prune(tx: Tx) -> int:
    """Remove the snapshots older than RETENTION; how many went."""
    result = tx.execute(
        feed_snapshots.delete().where(feed_snapshots.c.created_at < tx.now - RETENTION)
    )
    return int(result.rowcount or 0)
