"""Reading materialized feeds: their state, and their newest entries.

`window` is what ranking algorithms start from: the newest entries of one feed with their
reasons, straight from the (viewer_id, list_id, status_id) primary key. The timelines read
entries through `core.timelines.feed_source`, which joins the statuses for the rules.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from pnyx.core import row_cache
from pnyx.db.engine import Tx
from pnyx.db.tables import feed_entries, feed_states

HOME = 0  # the list_id of a viewer's home feed
# Entries kept per feed by default (`Settings.feed_size`; Mastodon keeps ~800 home entries).
# A feed grows past its size by an eighth (`slack`) before it is trimmed back: trimming on
# every new post would cost a DELETE each.
SIZE = 800


def slack(size: int) -> int:
    return max(1, size // 8)


# A feed is marked as read at most once a day (a write from a read): viewers who read none
# of their feeds for `AWAY` have them dropped, and rebuilt when they come back.
SEEN_EVERY = timedelta(days=1)
AWAY = timedelta(days=14)
# A post stored while its reader's feed was being built can miss it: its fan-out looked for
# the feed before the build committed, and the build read the posts before the post
# committed. For SETTLE after a build the feed is read from `statuses` (the same rules),
# and then a `feeds.settle` job merges the newest posts again (`rebuild.settle`).
SETTLE = timedelta(seconds=10)


@dataclass(frozen=True)
class FeedEntry:
    """One status in a feed, and why it is there (`reasons` bits, see `core.feeds.reasons`)."""

    status_id: int
    reasons: int
    via_account_id: int | None
    via_tag_id: int | None


@dataclass(frozen=True)
class FeedState:
    """A maintained feed: complete for every status id >= floor_id."""

    floor_id: int
    stale: bool  # not marked as read for SEEN_EVERY: the read asks for a mark
    settling: bool = False  # built less than SETTLE ago: read from `statuses` meanwhile


@functools.cache
def _state_statement() -> sa.Select:
    return sa.select(feed_states.c.floor_id, feed_states.c.seen_at, feed_states.c.built_at).where(
        feed_states.c.viewer_id == sa.bindparam("viewer", type_=sa.BigInteger),
        feed_states.c.list_id == sa.bindparam("list_id", type_=sa.BigInteger),
    )


# `Tx.known` key of a viewer's home feed state, as the token lookup read it: (floor_id,
# seen_at, built_at), or None when the viewer has no home feed.
KNOWN_HOME = "feeds.home_state"


def home_state_columns() -> tuple[sa.Label[Any], ...]:
    """The viewer's home feed state as columns of a caller's statement (the token lookup,
    which every page runs first), with `home_state_join`: NULLs when it has none. Saves
    home pages a round trip (`state`)."""
    return (
        feed_states.c.floor_id.label("home_floor_id"),
        feed_states.c.seen_at.label("home_seen_at"),
        feed_states.c.built_at.label("home_built_at"),
    )


def home_state_join(account_id: sa.ColumnElement[int]) -> tuple[sa.Table, sa.ColumnElement[bool]]:
    """What `home_state_columns` read from: `feed_states`, joined on the account's home."""
    return feed_states, sa.and_(
        feed_states.c.viewer_id == account_id, feed_states.c.list_id == HOME
    )


def remember_home_state(tx: Tx, account_id: int, row: Any) -> None:
    """Keep what the token lookup read of the viewer's home feed (`home_state_columns`)."""
    found = row.home_floor_id is not None
    tx.known[(KNOWN_HOME, account_id)] = (
        (row.home_floor_id, row.home_seen_at, row.home_built_at) if found else None
    )


def state(tx: Tx, viewer_id: int, list_id: int = HOME) -> FeedState | None:
    """The feed's state, or None when it is not built (read it from `statuses`)."""
    key = (KNOWN_HOME, viewer_id)
    # Not in a write transaction: what it wrote since the lookup could have changed it.
    if list_id == HOME and key in tx.known and row_cache.may_keep(tx):
        known = tx.known[key]
        return _state(tx, *known) if known is not None else None
    # Every home page reads this first: run lean (`Tx.plain`), as the page's other reads.
    rows = tx.plain(_state_statement(), {"viewer": viewer_id, "list_id": list_id})
    if not rows:
        return None
    row = rows[0]
    return _state(tx, row.floor_id, row.seen_at, row.built_at)


def _state(tx: Tx, floor_id: int, seen_at: datetime, built_at: datetime) -> FeedState:
    return FeedState(floor_id, seen_at < tx.now - SEEN_EVERY, built_at > tx.now - SETTLE)


@functools.cache
def _window_statement(has_since: bool) -> sa.Select:
    query = sa.select(
        feed_entries.c.status_id,
        feed_entries.c.reasons,
        feed_entries.c.via_account_id,
        feed_entries.c.via_tag_id,
    ).where(
        feed_entries.c.viewer_id == sa.bindparam("viewer", type_=sa.BigInteger),
        feed_entries.c.list_id == sa.bindparam("list_id", type_=sa.BigInteger),
    )
    if has_since:
        query = query.where(feed_entries.c.status_id > sa.bindparam("since", type_=sa.BigInteger))
    return query.order_by(feed_entries.c.status_id.desc()).limit(
        sa.bindparam("n", type_=sa.Integer)
    )


def window(
    tx: Tx,
    viewer_id: int,
    list_id: int = HOME,
    *,
    since_id: int | None = None,
    limit: int = SIZE,
) -> list[FeedEntry]:
    """The newest entries of one feed (newer than `since_id`), newest first. Candidates, not
    decisions: the statuses may since have been deleted, and the viewer's rules (mutes,
    blocks, visibility) are applied by whoever shows them. Empty when the feed is not built
    (`state` says so)."""
    params = {"viewer": viewer_id, "list_id": list_id, "n": limit}
    if since_id is not None:
        params["since"] = since_id
    return [
        FeedEntry(r.status_id, r.reasons, r.via_account_id, r.via_tag_id)
        for r in tx.execute(_window_statement(since_id is not None), params)
    ]


def reasons_of(tx: Tx, viewer_id: int, list_id: int, status_ids: list[int]) -> dict[int, FeedEntry]:
    """The stored entries of these statuses in one feed (those it has)."""
    if not status_ids:
        return {}
    rows = tx.execute(
        sa.select(
            feed_entries.c.status_id,
            feed_entries.c.reasons,
            feed_entries.c.via_account_id,
            feed_entries.c.via_tag_id,
        ).where(
            feed_entries.c.viewer_id == viewer_id,
            feed_entries.c.list_id == list_id,
            feed_entries.c.status_id.in_(status_ids),
        )
    )
    return {
        r.status_id: FeedEntry(r.status_id, r.reasons, r.via_account_id, r.via_tag_id) for r in rows
    }
