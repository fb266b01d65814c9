"""Filters as Mastodon's entities: Filter, FilterKeyword, FilterStatus and the v1 Filter (one
keyword), field for field as docs.joinmastodon.org has them. The FilterResult of a Status's
`filtered` is with the Status, in `entities`."""

from __future__ import annotations

from sqlalchemy.engine import Row

from pnyx.core.filters import FilterView
from pnyx.presenters.entities import filter_head, iso


def keyword(row: Row) -> dict:
    return {"id": str(row.id), "keyword": row.keyword, "whole_word": row.whole_word}


def filter_status(row: Row) -> dict:
    return {"id": str(row.id), "status_id": str(row.status_id)}


def filter_v2(view: FilterView) -> dict:
    """The Filter entity with its rules, as the filters endpoints give it."""
    r = view.row
    data = filter_head(r.id, r.title, r.context, r.action, r.expires_at)
    data["keywords"] = [keyword(k) for k in view.keywords]
    data["statuses"] = [filter_status(s) for s in view.statuses]
    return data


def filter_v1(row: Row) -> dict:
    """A v1 Filter: one keyword of a filter (`filters.get_keyword`'s row), with its filter's
    context and end; `irreversible` is the `hide` action."""
    return {
        "id": str(row.id),
        "phrase": row.keyword,
        "context": list(row.filter_context),
        "whole_word": row.whole_word,
        "expires_at": iso(row.filter_expires_at),
        "irreversible": row.filter_action == "hide",
    }
