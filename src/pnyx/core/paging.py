"""Mastodon's id pagination as core sees it: a Page, and how it narrows a query.

Ids are time-sortable, so "newer than" and "older than" are comparisons on an id column.
`min_id` asks for the page right after an id, so it is walked oldest first; everything a
caller hands back to clients is newest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Row

from pnyx.db.engine import Tx

T = TypeVar("T")


@dataclass(frozen=True)
class Page:
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = 20

    @property
    def ascending(self) -> bool:
        return self.min_id is not None


def apply(query: sa.Select, column: sa.ColumnElement[int], page: Page) -> sa.Select:
    """Narrow a select over `column` to the page: newest first, or oldest first for min_id."""
    if page.max_id is not None:
        query = query.where(column < page.max_id)
    if page.since_id is not None:
        query = query.where(column > page.since_id)
    if page.min_id is not None:
        return query.where(column > page.min_id).order_by(column.asc()).limit(page.limit)
    return query.order_by(column.desc()).limit(page.limit)


def in_display_order(ids_or_rows: list[T], page: Page) -> list[T]:
    """min_id pages are fetched oldest first; clients want newest first."""
    return list(reversed(ids_or_rows)) if page.ascending else ids_or_rows


def fetch(tx: Tx, query: sa.Select, column: sa.ColumnElement[int], page: Page) -> list[Row]:
    """The page's rows, newest first."""
    return in_display_order(tx.rows(apply(query, column, page)), page)
