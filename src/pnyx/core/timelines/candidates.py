"""What every timeline shares: the candidate columns, the cursor bounds, and the loop that
fills a page through the rules.

A timeline asks its source for candidates under a cursor (`Fetch`), drops what the viewer's
rules hide (`Keep`), and, when that leaves the page short, asks again past the last candidate
seen. Bounded, so that a timeline full of muted posts costs a few queries, not a scan of the
whole table.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Row

from pnyx.core import decisions
from pnyx.core.paging import Page
from pnyx.core.visibility import ReadFacts, StatusLike
from pnyx.db.tables import statuses

# How many extra rounds of candidates we fetch when filters thin a page out. Bounded so that a
# timeline full of muted posts costs a few queries, not a scan of the whole table.
MAX_ROUNDS = 4
# Each round asks for more than the page needs, since some candidates will be filtered out.
OVERFETCH = 2
# A materialized feed's entries are already the viewer's (followed authors, posts addressed
# to them, followed hashtags, checked in the entries' own statement; others' direct posts
# left out when written), and a home entry the rules would surely hide as a reply into a
# conversation the viewer is not in is left out by the statement (`feed_query`), so few of
# the rows read fall to the rules: a round asks for a few more than it needs. Every row asked
# for costs in the entries' statement, the rules' facts and the rules; a page the rules thin
# out more (muted since, a post boosted by several people) takes another round.
FEED_OVERFETCH = 1.15


@dataclass(slots=True)
class Candidate:
    """The columns the timeline rules need about one status (slots: a page makes dozens,
    and the rules read their fields many times over)."""

    id: int
    account_id: int
    visibility: str
    reblog_of_id: int | None
    in_reply_to_id: int | None
    in_reply_to_account_id: int | None
    conversation_id: int | None
    language: str | None = None
    mentions_viewer: bool = False
    original: StatusLike | None = None  # a boost's original: (id, account_id, visibility)
    followed_tag: bool = False  # home: it carries a hashtag the viewer follows
    # Render versions (`core.row_cache`) of the post and of the post it boosts, when the
    # source read them with it (a feed's entries): loading the page then needs no query
    # for them.
    versions: dict[int, int] | None = None
    # The render versions of their authors, by post id, when read with them.
    author_versions: dict[int, int] | None = None
    # What the rules would ask the database about it, when read with it (a feed's entries).
    facts: ReadFacts | None = None
    # The viewer's marks on what it shows (`decisions.FAVOURITED`...), when read with it.
    marks: int | None = None


CANDIDATE_COLUMNS = (
    statuses.c.id,
    statuses.c.account_id,
    statuses.c.visibility,
    statuses.c.reblog_of_id,
    statuses.c.in_reply_to_id,
    statuses.c.in_reply_to_account_id,
    statuses.c.conversation_id,
    statuses.c.language,
)


def candidates_from(rows: Iterable[Row]) -> list[Candidate]:
    return [
        Candidate(
            r.id,
            r.account_id,
            r.visibility,
            r.reblog_of_id,
            r.in_reply_to_id,
            r.in_reply_to_account_id,
            r.conversation_id,
            r.language,
        )
        for r in rows
    ]


# The select a timeline narrows keeps its own type through `bounded` and `ordered`.
Q = TypeVar("Q", bound=sa.Select)
# A cursor bound: a value, or a bound parameter of a statement built once (home_timeline).
Bound = int | sa.BindParameter[int] | None


def bounded(
    query: Q, column: sa.ColumnElement[int], max_id: Bound, since_id: Bound, min_id: Bound
) -> Q:
    """`query` limited to the ids between the page's cursors (Mastodon's max_id, since_id,
    min_id), on whichever column the timeline walks."""
    if max_id is not None:
        query = query.where(column < max_id)
    if since_id is not None:
        query = query.where(column > since_id)
    if min_id is not None:
        query = query.where(column > min_id)
    return query


def ordered(
    query: Q, column: sa.ColumnElement[int], ascending: bool, limit: int | sa.BindParameter[int]
) -> Q:
    """Newest first, or oldest first for a min_id page; `limit` rows."""
    return query.order_by(column.asc() if ascending else column.desc()).limit(limit)


Fetch = Callable[[int | None, int | None, int], list[Candidate]]
Keep = Callable[[list[Candidate]], list[Candidate]]


@dataclass
class Slice:
    """A timeline page: status ids in display order, and the ids to paginate from.

    `cursors` is [newest, oldest] for the Link header. When the rules filtered out everything
    the bounded refill looked at, the page is short (even empty) but the cursors still point
    past what was scanned, so a client following `next` moves on instead of stopping.
    """

    ids: Sequence[int]  # decisions.CheckedIds when the rules below decided them for the viewer
    cursors: list[int]
    # A materialized feed's wish after the read (`timelines.feed_source`): "build" (it has
    # none yet) or "seen" (mark it read); the edge passes it to `timelines.feed_requested`.
    feed_request: str | None = None


def fill_page(
    page: Page, fetch: Fetch, keep: Keep, viewer_id: int | None, overfetch: float = OVERFETCH
) -> Slice:
    """Fill a page from `fetch` (candidates under a cursor) through `keep` (the rules).

    `fetch(max_id, min_id, n)` returns up to n candidates in walking order (newest first, or
    oldest first for min_id pages). Walks on from the last candidate seen until the page is
    full, the source runs dry, or MAX_ROUNDS is reached.
    """
    kept: list[Candidate] = []
    seen: set[int] = set()
    max_id, min_id = page.max_id, page.min_id
    ran_dry = False
    for _ in range(MAX_ROUNDS):
        want = math.ceil((page.limit - len(kept)) * overfetch)
        batch = fetch(max_id, min_id, want)
        fresh = [c for c in batch if c.id not in seen]
        seen.update(c.id for c in fresh)
        kept.extend(keep(fresh))
        if len(batch) < want or not batch:
            ran_dry = True
            break
        if len(kept) >= page.limit:
            break
        if page.ascending:
            min_id = batch[-1].id
        else:
            max_id = batch[-1].id
    kept = kept[: page.limit]
    ids = decisions.CheckedIds(
        [c.id for c in (reversed(kept) if page.ascending else kept)],
        viewer_id,
        versions=_merged(c.versions for c in kept),
        author_versions=_merged(c.author_versions for c in kept),
        marks=_merged(None if c.marks is None else {c.id: c.marks} for c in kept),
    )
    if len(kept) >= page.limit or ran_dry:
        cursors = [ids[0], ids[-1]] if ids else []
    else:
        cursors = [max(seen), min(seen)]
    return Slice(ids, cursors)


def _merged(per_candidate: Iterable[dict[int, int] | None]) -> dict[int, int] | None:
    """What the page's source read with every one of its posts (render versions, the
    authors' versions, the viewer's marks), merged; None when it did not read them all (the
    page's loading reads them)."""
    merged: dict[int, int] = {}
    for read in per_candidate:
        if read is None:
            return None
        merged.update(read)
    return merged
