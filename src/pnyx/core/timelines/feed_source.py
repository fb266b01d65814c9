"""Home and list timelines read from materialized feeds (`core.feeds`), with the read-time
query (`home_timeline`, `list_timeline`) as the fallback and the reference.

A feed's entries are candidates: joined with their statuses they become the very
`Candidate`s the read-time query would have found, and the same rules and refill loop
(`fill_page`) decide the page. Each entry is checked against what holds now (`feed_query`:
a list's author still a member, a home entry's hashtag still followed; the home rules see
whether its author still is followed), so an entry a removal job has not reached yet is
never shown.

The feed is complete down to its floor (`feed_states.floor_id`): a page that walks below it
continues with the read-time query from the floor down, so paging never ends early. A feed
not built yet is read the read-time way entirely, and the page asks for it to be built
(`Slice.feed_request`, acted on by the edge with `feed_requested` in a write).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from pnyx.core.feeds import rebuild as feed_rebuild
from pnyx.core.feeds.entries import HOME, state
from pnyx.core.lists import get as get_list
from pnyx.core.paging import Page
from pnyx.core.timelines.candidates import (
    FEED_OVERFETCH,
    OVERFETCH,
    Candidate,
    Fetch,
    Slice,
    fill_page,
)
from pnyx.core.timelines.feed_query import entries_statement, facts_of
from pnyx.core.timelines.home_timeline import (
    ORIGINAL,
    home_candidates,
    home_keep,
    read_time_fetch,
)
from pnyx.core.timelines.list_timeline import list_fetch, list_keep
from pnyx.db.engine import Tx
from pnyx.db.tables import (
    statuses,
)


def home(tx: Tx, viewer_id: int, page: Page) -> Slice:
    """The viewer's home timeline page: from their feed when it is built, else read-time."""
    feed = state(tx, viewer_id, HOME)
    read = read_time_fetch(tx, viewer_id, page)
    if feed is None or feed.settling:
        found = fill_page(page, read, home_keep(tx, viewer_id), viewer_id)
        found.feed_request = "build" if feed is None else "seen" if feed.stale else None
        return found
    fetch = _with_floor(
        _entries_fetch(tx, viewer_id, HOME, page, feed.floor_id), read, feed.floor_id, page
    )
    found = fill_page(page, fetch, home_keep(tx, viewer_id), viewer_id, FEED_OVERFETCH)
    found.feed_request = "seen" if feed.stale else None
    return found


def list_statuses(tx: Tx, viewer_id: int, list_id: int, page: Page) -> Slice:
    """The timeline of the viewer's list (NotFound if it is not theirs), as `home`."""
    owned = get_list(tx, viewer_id, list_id)
    keep = list_keep(tx, viewer_id, list_id, owned.replies_policy)
    read = list_fetch(tx, list_id, page)
    feed = state(tx, viewer_id, list_id)
    if feed is None or feed.settling:
        found = fill_page(page, read, keep, viewer_id)
        found.feed_request = "build" if feed is None else "seen" if feed.stale else None
        return found
    fetch = _with_floor(
        _entries_fetch(tx, viewer_id, list_id, page, feed.floor_id), read, feed.floor_id, page
    )
    found = fill_page(page, fetch, keep, viewer_id, FEED_OVERFETCH)
    found.feed_request = "seen" if feed.stale else None
    return found


def home_batch(tx: Tx, viewer_id: int, limit: int) -> list[Any] | None:
    """Up to `limit` posts of the viewer's home feed past home's rules, newest first, as
    rows with the columns a ranked feed's pool reads (`POOL_COLUMNS`); None when the feed is
    not built. One range read of the feed joined with its statuses and one load of the rules'
    facts for the whole batch, so a post boosted by several people shows once in all of it
    (a page walk shows it once per batch). The feed alone: what is under its floor (Mastodon
    keeps ~800 home entries too) is not read, so this is the start of what walking home's
    pages would give."""
    feed = state(tx, viewer_id, HOME)
    if feed is None or feed.settling:
        return None
    rows: list[Any] = []
    params = {"viewer": viewer_id, "list_id": HOME, "floor": feed.floor_id}
    kept: set[int] = set()
    keep = home_keep(tx, viewer_id)
    # Rarely more than one read: the rules hide few, and twice the limit is asked for. The
    # rules see everything read so far again, so each boosted post shows once in all of it.
    while True:
        n = max(limit - len(kept), 1) * OVERFETCH
        got = tx.plain(_batch_statement(tx.is_postgres, bool(rows)), params | {"n": n})
        rows.extend(got)
        found = home_candidates(rows)
        for c, row in zip(found, rows, strict=True):
            c.mentions_viewer = bool(row.mentioned)
            c.followed_tag = bool(row.tagged)
        kept = {c.id for c in keep(found)}
        if len(kept) >= limit or len(got) < n:
            return [row for row in rows if row.id in kept][:limit]
        params["max_id"] = got[-1].id


# What a ranked feed's pool reads of each post besides the rules' columns: of what it shows
# (the original, for a boost).
POOL_COLUMNS = (
    sa.func.coalesce(ORIGINAL.c.account_id, statuses.c.account_id).label("author_id"),
    sa.func.coalesce(ORIGINAL.c.has_media, statuses.c.has_media).label("has_media"),
    (
        sa.func.coalesce(ORIGINAL.c.favourites_count, statuses.c.favourites_count)
        + sa.func.coalesce(ORIGINAL.c.reblogs_count, statuses.c.reblogs_count)
        + sa.func.coalesce(ORIGINAL.c.replies_count, statuses.c.replies_count)
    ).label("interactions"),
    sa.func.coalesce(ORIGINAL.c.language, statuses.c.language).label("shown_language"),
)


@lru_cache(maxsize=4)
def _batch_statement(postgres: bool, has_max: bool) -> sa.Select:
    """The home feed's newest entries (under `max_id`) with the pool's columns, built once."""
    return entries_statement(postgres, True, False, has_max, False, False).add_columns(
        *POOL_COLUMNS
    )


def feed_requested(tx: Tx, viewer_id: int, list_id: int, request: str | None) -> None:
    """What a page asked for its feed (`Slice.feed_request`), in a write transaction."""
    if request == "build":
        feed_rebuild.request(tx, viewer_id, list_id)
    elif request == "seen":
        feed_rebuild.mark_seen(tx, viewer_id, list_id)


def _with_floor(from_feed: Fetch, read: Fetch, floor: int, page: Page) -> Fetch:
    """One walk over the feed's entries (ids >= floor) and, under the floor, the read-time
    candidates: newest first, the entries then what is under them; oldest first (a min_id
    page), what is under the floor then the entries."""

    def fetch(max_id: int | None, min_id: int | None, n: int) -> list[Candidate]:
        under = floor if max_id is None else min(max_id, floor)
        reaches_under = floor > 0 and (min_id is None or min_id < floor - 1)
        if page.since_id is not None and page.since_id >= floor - 1:
            reaches_under = False
        if page.ascending:
            got = read(under, min_id, n) if reaches_under else []
            if len(got) < n:
                got += from_feed(max_id, min_id, n - len(got))
            return got
        got = [] if max_id is not None and max_id <= floor else from_feed(max_id, min_id, n)
        if len(got) < n and reaches_under:
            got += read(under, min_id, n - len(got))
        return got

    return fetch


def _entries_fetch(tx: Tx, viewer_id: int, list_id: int, page: Page, floor: int) -> Fetch:
    """The feed's entries at or above its floor, under a cursor, as candidates."""

    def fetch(max_id: int | None, min_id: int | None, n: int) -> list[Candidate]:
        statement = entries_statement(
            tx.is_postgres,
            list_id == HOME,
            page.since_id is not None,
            max_id is not None,
            min_id is not None,
            page.ascending,
            marks=True,
        )
        params = {"viewer": viewer_id, "list_id": list_id, "n": n, "floor": floor}
        for name, value in (("since_id", page.since_id), ("max_id", max_id), ("min_id", min_id)):
            if value is not None:
                params[name] = value
        rows = tx.plain(statement, params)  # built once per shape: run lean, plain rows
        found = home_candidates(rows)
        for c, row in zip(found, rows, strict=True):
            c.mentions_viewer = bool(row.mentioned)
            c.followed_tag = bool(row.tagged)
            c.facts = facts_of(row)
            c.marks = row.marks
            c.versions = {row.id: row.render_version}
            c.author_versions = {row.id: row.author_render_version}
            if row.reblog_of_id is not None:
                if row.original_render_version is None:
                    c.versions = None  # its original is gone: the page's loading decides
                    c.author_versions = None
                else:
                    c.versions[row.reblog_of_id] = row.original_render_version
                    c.author_versions[row.reblog_of_id] = row.original_author_render_version
        return found

    return fetch
