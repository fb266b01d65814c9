"""The reasons of statuses in a viewer's feed, computed from what holds now: for a page read
from `statuses` (a feed not built yet, or older than its window) and for the writers that
rebuild, merge or refresh entries.

The parts of the read-time home query map to reasons: AUTHORED is OWN (the viewer's own),
FOLLOWED_AUTHOR or BOOSTED_BY_FOLLOWED (via the booster); ADDRESSED is MENTIONED; TAGGED is
FOLLOWED_TAG (via the lowest-id hashtag the viewer follows). In a list feed every post is
IN_LIST via its author (the member who wrote or boosted it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa

from pnyx.core.feeds import reasons
from pnyx.core.feeds.entries import HOME, FeedEntry, reasons_of
from pnyx.core.feeds.store import Reason
from pnyx.core.visibility import PUBLIC_VISIBILITIES
from pnyx.db.engine import Tx
from pnyx.db.tables import follows, list_accounts, mentions, status_tags, statuses, tag_follows

# The columns `compute` reads of each status.
COLUMNS = (
    statuses.c.id,
    statuses.c.account_id,
    statuses.c.reblog_of_id,
    statuses.c.visibility,
)


def compute(tx: Tx, viewer_id: int, list_id: int, rows: Sequence[sa.Row]) -> dict[int, Reason]:
    """Each status's reasons to be in the feed now (bits 0: none any more), in at most three
    queries for the whole batch. `rows` have the `COLUMNS`."""
    if not rows:
        return {}
    authors = {r.account_id for r in rows}
    if list_id != HOME:
        members = set(
            tx.scalars(
                sa.select(list_accounts.c.account_id).where(
                    list_accounts.c.list_id == list_id, list_accounts.c.account_id.in_(authors)
                )
            )
        )
        return {
            r.id: Reason(reasons.IN_LIST, r.account_id) if r.account_id in members else Reason(0)
            for r in rows
        }
    ids = [r.id for r in rows]
    following = set(
        tx.scalars(
            sa.select(follows.c.target_account_id).where(
                follows.c.account_id == viewer_id, follows.c.target_account_id.in_(authors)
            )
        )
    )
    named = set(
        tx.scalars(
            sa.select(mentions.c.status_id).where(
                mentions.c.account_id == viewer_id,
                mentions.c.private.is_(True),
                mentions.c.status_id.in_(ids),
            )
        )
    )
    taggable = [r.id for r in rows if r.visibility in PUBLIC_VISIBILITIES and not r.reblog_of_id]
    tags = _followed_tags(tx, viewer_id, taggable)
    out = {}
    for r in rows:
        reason = Reason(0)
        if r.account_id == viewer_id:
            reason.add(reasons.OWN)
        elif r.account_id in following:
            if r.reblog_of_id is None:
                reason.add(reasons.FOLLOWED_AUTHOR)
            else:
                reason.add(reasons.BOOSTED_BY_FOLLOWED, r.account_id)
        if r.id in named:
            reason.add(reasons.MENTIONED)
        if r.id in tags:
            reason.add(reasons.FOLLOWED_TAG, via_tag_id=tags[r.id])
        out[r.id] = reason
    return out


def _followed_tags(tx: Tx, viewer_id: int, status_ids: list[int]) -> dict[int, int]:
    if not status_ids:
        return {}
    rows = tx.execute(
        sa.select(status_tags.c.status_id, sa.func.min(status_tags.c.tag_id).label("tag"))
        .join(tag_follows, tag_follows.c.tag_id == status_tags.c.tag_id)
        .where(tag_follows.c.account_id == viewer_id, status_tags.c.status_id.in_(status_ids))
        .group_by(status_tags.c.status_id)
    )
    return {r.status_id: r.tag for r in rows}


def page_reasons(
    tx: Tx, viewer_id: int, list_id: int, status_ids: Iterable[int]
) -> dict[int, FeedEntry]:
    """The reasons of the statuses of a served page, whichever way it was read: the stored
    entry when the feed has one, computed from what holds now otherwise (a page older than
    the feed's window, or a feed not built yet)."""
    wanted = list(status_ids)
    found = reasons_of(tx, viewer_id, list_id, wanted)
    missing = [i for i in wanted if i not in found]
    if missing:
        rows = tx.execute(sa.select(*COLUMNS).where(statuses.c.id.in_(missing))).all()
        for status_id, reason in compute(tx, viewer_id, list_id, rows).items():
            found[status_id] = FeedEntry(
                status_id, reason.bits, reason.via_account_id, reason.via_tag_id
            )
    return found
