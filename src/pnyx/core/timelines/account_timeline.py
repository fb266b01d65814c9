"""One account's statuses as a viewer may see them: the profile timeline and pinned posts."""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.core import decisions, visibility
from pnyx.core.errors import NotFound
from pnyx.core.paging import Page
from pnyx.core.timelines.candidates import (
    CANDIDATE_COLUMNS,
    Candidate,
    Slice,
    bounded,
    candidates_from,
    fill_page,
    ordered,
)
from pnyx.core.timelines.public_timelines import normalize_tag, tag_ids
from pnyx.core.visibility import StatusLike
from pnyx.db.engine import Tx
from pnyx.db.tables import accounts, status_pins, status_tags, statuses


def account_statuses(
    tx: Tx,
    viewer_id: int | None,
    account_id: int,
    page: Page,
    *,
    pinned: bool = False,
    exclude_replies: bool = False,
    exclude_reblogs: bool = False,
    only_media: bool = False,
    tagged: str | None = None,
) -> Slice:
    """An account's profile timeline as `viewer_id` may see it.

    Raises NotFound for an unknown or suspended account; a block either way gives an empty
    list, as Mastodon does.
    """
    author = tx.one_or_none(
        sa.select(accounts.c.id, accounts.c.suspended_at).where(accounts.c.id == account_id)
    )
    if author is None or author.suspended_at is not None:
        raise NotFound()
    if (
        viewer_id is not None
        and viewer_id != account_id
        and visibility.blocked_either_way(tx, viewer_id, account_id)
    ):
        return Slice([], [])
    if pinned:
        return _pinned(tx, viewer_id, account_id, page)

    query = sa.select(*CANDIDATE_COLUMNS).where(
        statuses.c.account_id == account_id,
        # The visibility rule's own SQL form, so the page is filled before the limit.
        visibility.visible_condition(statuses, viewer_id),
    )
    if exclude_replies:
        query = query.where(
            sa.or_(
                statuses.c.in_reply_to_id.is_(None),
                statuses.c.in_reply_to_account_id == statuses.c.account_id,
            )
        )
    if exclude_reblogs:
        query = query.where(statuses.c.reblog_of_id.is_(None))
    if only_media:
        query = query.where(statuses.c.has_media.is_(True))
    if tagged:
        tag_id = tag_ids(tx, [tagged]).get(normalize_tag(tagged))
        if tag_id is None:
            return Slice([], [])
        query = query.where(
            sa.exists().where(
                status_tags.c.status_id == statuses.c.id, status_tags.c.tag_id == tag_id
            )
        )

    def fetch(max_id: int | None, min_id: int | None, n: int) -> list[Candidate]:
        q = bounded(query, statuses.c.id, max_id, page.since_id, min_id)
        return candidates_from(tx.rows(ordered(q, statuses.c.id, page.ascending, n)))

    return fill_page(page, fetch, lambda b: _visible_with_originals(tx, viewer_id, b), viewer_id)


def _visible_with_originals(
    tx: Tx, viewer_id: int | None, batch: list[Candidate]
) -> list[Candidate]:
    """The SQL applied the visibility rule to the author's posts; boosts need their original
    decided too (the boosted author may be blocked, suspended or followers-only)."""
    originals = _originals(tx, {c.reblog_of_id for c in batch if c.reblog_of_id})
    ctx = visibility.load_context(
        tx,
        viewer_id,
        {c.account_id for c in batch} | {o.account_id for o in originals.values()},
        [c.id for c in batch] + list(originals),
    )
    return [
        c
        for c in batch
        if decisions.decide(
            decisions.VISIBLE, ctx, c, originals.get(c.reblog_of_id) if c.reblog_of_id else None
        ).action
        != "hide"
    ]


def _pinned(tx: Tx, viewer_id: int | None, account_id: int, page: Page) -> Slice:
    """Pinned posts, most recently pinned first; only the author's own posts can be pinned."""
    query = (
        sa.select(status_pins.c.status_id)
        .join(statuses, statuses.c.id == status_pins.c.status_id)
        .where(status_pins.c.account_id == account_id)
        .order_by(status_pins.c.id.desc())
        .limit(page.limit)
    )
    query = bounded(query, status_pins.c.status_id, page.max_id, page.since_id, page.min_id)
    ids = tx.scalars(query)
    return Slice(ids, [ids[0], ids[-1]] if ids else [])


def _originals(tx: Tx, ids: set[int]) -> dict[int, StatusLike]:
    if not ids:
        return {}
    rows = tx.rows(
        sa.select(statuses.c.id, statuses.c.account_id, statuses.c.visibility).where(
            statuses.c.id.in_(ids)
        )
    )
    return {r.id: r for r in rows}
