"""Serving a feed page: rank into a snapshot on the first page, read on from it after, and
apply the home timeline's visibility, block and mute rules to every item at read time.

`following` is the home timeline itself (`timelines.home`, its own cursors). Every other
feed is a `Feed` with a snapshot: the first page (no `max_id`) gathers the inputs, ranks
them and stores both (`snapshots.create`), unless the viewer's newest snapshot of the feed
may be served again (`snapshots.reusable`: same version, fresh, nothing new in the pool's
source; only feeds whose pool is the home feed say what their source holds, `mark`); a
`max_id` page finds the viewer's snapshot that
holds that status and continues after it. A ranked order has no "newer than": `min_id` and
`since_id` pages are empty. A post the viewer may no longer see (deleted, a new block or
mute, a muted thread, a visibility they are outside of) is skipped when read, by the same
decision steps home uses; filters apply when rendering, as in home.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from pnyx.core import decisions, timelines
from pnyx.core.algorithms import snapshots
from pnyx.core.algorithms.terms import Ranked
from pnyx.core.paging import Page
from pnyx.core.timelines.candidates import CANDIDATE_COLUMNS, Candidate
from pnyx.core.timelines.home_timeline import AUTHORED, home_candidates, home_facts, shown_once
from pnyx.db.engine import Tx
from pnyx.db.id_lists import in_ids
from pnyx.db.tables import statuses

OVERFETCH = 2
MAX_ROUNDS = 4  # batches read past hidden posts before the page ends short


@dataclass(frozen=True)
class Feed:
    """What serving needs of a feed: its id and version, and how it gathers and ranks."""

    id: str
    version: str
    gather: Callable[[Tx, int], dict[str, Any]]
    rank: Callable[[dict[str, Any]], list[Ranked]]
    snapshot: bool = True
    # What the pool's source holds now (`pool.source_mark`), for reusing a fresh snapshot;
    # None for feeds whose pool has several sources (composed feeds): always ranked anew.
    mark: Callable[[Tx, int], int | None] | None = None


@dataclass(frozen=True)
class ServedPage:
    slice: timelines.Slice
    version: str  # of what ranked it: the snapshot's


def serve_read(tx: Tx, viewer_id: int, feed: Feed, page: Page) -> ServedPage | None:
    """The page when serving it writes nothing (a read transaction may serve it): every
    page but a first page that must be ranked, for which this says None (`serve` it in a
    write transaction). Reloads and `max_id` pages then wait for no writer."""
    if feed.snapshot and page.max_id is None and page.min_id is None and page.since_id is None:
        mark = feed.mark(tx, viewer_id) if feed.mark is not None else None
        reused = snapshots.reusable(tx, viewer_id, feed.id, feed.version, mark)
        if reused is None:
            return None
        return ServedPage(_read_on(tx, viewer_id, reused, 0, page.limit), reused.version)
    return serve(tx, viewer_id, feed, page)


def serve(tx: Tx, viewer_id: int, feed: Feed, page: Page) -> ServedPage:
    if not feed.snapshot:
        return ServedPage(timelines.home(tx, viewer_id, page), feed.version)
    if page.min_id is not None or page.since_id is not None:
        return ServedPage(timelines.Slice(decisions.CheckedIds([], viewer_id), []), feed.version)
    if page.max_id is None:
        mark = feed.mark(tx, viewer_id) if feed.mark is not None else None
        reused = snapshots.reusable(tx, viewer_id, feed.id, feed.version, mark)
        if reused is not None:
            snapshot = reused
        else:
            inputs = feed.gather(tx, viewer_id)
            snapshot = snapshots.create(
                tx, viewer_id, feed.id, feed.version, inputs, feed.rank(inputs), mark
            )
        start = 0
    else:
        found = snapshots.containing(tx, viewer_id, feed.id, page.max_id)
        if found is None:  # pruned, or never served: nothing to continue
            return ServedPage(
                timelines.Slice(decisions.CheckedIds([], viewer_id), []), feed.version
            )
        snapshot = found
        start = (snapshot.position(page.max_id) or 0) + 1
    return ServedPage(_read_on(tx, viewer_id, snapshot, start, page.limit), snapshot.version)


def _read_on(
    tx: Tx, viewer_id: int, snapshot: snapshots.Snapshot, start: int, limit: int
) -> timelines.Slice:
    """Up to `limit` items the viewer may see, from `start` on; the cursors are the first
    and the last item looked at, so `next` moves past hidden ones."""
    kept: list[int] = []
    position = start
    last_seen: int | None = None
    first_seen: int | None = None
    for _ in range(MAX_ROUNDS):
        batch = snapshot.status_ids[position : position + (limit - len(kept)) * OVERFETCH]
        if not batch:
            break
        shown = visible(tx, viewer_id, batch)
        for status_id in batch:
            position += 1
            first_seen = status_id if first_seen is None else first_seen
            last_seen = status_id
            if status_id in shown:
                kept.append(status_id)
                if len(kept) >= limit:
                    break
        if len(kept) >= limit:
            break
    cursors = [first_seen, last_seen] if first_seen is not None and last_seen is not None else []
    return timelines.Slice(decisions.CheckedIds(kept, viewer_id), cursors)


_original = statuses.alias("original")


@functools.cache
def _candidates_statement() -> sa.Select:
    """These posts as the home rules see them: built once, run with `tx.plain` (every page
    of a ranked feed runs it)."""
    return (
        sa.select(
            *CANDIDATE_COLUMNS,
            _original.c.account_id.label("original_account_id"),
            _original.c.visibility.label("original_visibility"),
            sa.literal(AUTHORED).label("addressed"),
        )
        .select_from(statuses.outerjoin(_original, _original.c.id == statuses.c.reblog_of_id))
        .where(in_ids(statuses.c.id, "ids"))
    )


def visible(tx: Tx, viewer_id: int, status_ids: list[int]) -> set[int]:
    """Which of these posts home's rules let the viewer see now: visibility, blocks,
    mutes and muted threads (`decisions.see`, `muted_thread`, `muted`), with the facts home
    loads (`home_facts`); a post boosted twice shows once."""
    if not status_ids:
        return set()
    rows = tx.plain(_candidates_statement(), {"ids": status_ids})
    found = {c.id: c for c in home_candidates(rows)}
    batch: list[Candidate] = [found[i] for i in status_ids if i in found]
    if not batch:
        return set()
    facts = home_facts(tx, viewer_id, batch)
    steps = (decisions.see, decisions.muted_thread, decisions.muted)
    return {c.id for c in shown_once(facts.ctx, batch, steps)}
