"""The viewer's favourites and bookmarks, newest mark first."""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.core.paging import Page
from pnyx.core.timelines.candidates import bounded, ordered
from pnyx.db.engine import Tx
from pnyx.db.tables import bookmarks, favourites


def _marked(tx: Tx, table: sa.Table, viewer_id: int, page: Page) -> tuple[list[int], list[int]]:
    """(status ids, row ids) of the viewer's favourites or bookmarks, newest mark first.

    Pagination runs over the favourite/bookmark row id (when it was marked), as Mastodon's
    Link headers do; the caller drops statuses the viewer can no longer see.
    """
    query = sa.select(table.c.id, table.c.status_id).where(table.c.account_id == viewer_id)
    query = bounded(query, table.c.id, page.max_id, page.since_id, page.min_id)
    rows = tx.rows(ordered(query, table.c.id, page.ascending, page.limit))
    if page.ascending:
        rows.reverse()
    return [r.status_id for r in rows], [r.id for r in rows]


def favourited(tx: Tx, viewer_id: int, page: Page) -> tuple[list[int], list[int]]:
    return _marked(tx, favourites, viewer_id, page)


def bookmarked(tx: Tx, viewer_id: int, page: Page) -> tuple[list[int], list[int]]:
    return _marked(tx, bookmarks, viewer_id, page)
