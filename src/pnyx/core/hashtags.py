"""Hashtags as a person sees them: following one, and what Mastodon's Tag entity tells.

Following a hashtag brings its public and unlisted posts to the follower's home timeline
(`timelines.home`, read at request time like the rest of home). The Tag entity says whether
the viewer follows and features the tag, and its use over the last week (`history`), counted
from what this server has seen: per day (UTC), the posts carrying the tag and the distinct
accounts that wrote them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from pnyx.core import events, paging, text
from pnyx.core.errors import Invalid, NotFound
from pnyx.core.statuses import tag_ids as create_tags
from pnyx.core.timelines import normalize_tag
from pnyx.db.engine import Tx
from pnyx.db.ids import id_floor, new_id
from pnyx.db.insert_ignore import insert_ignore
from pnyx.db.tables import featured_tags, status_tags, statuses, tag_follows, tags

HISTORY_DAYS = 7
MAX_FOLLOWED_TAGS = 1000  # bounds the home timeline's walk over followed hashtags


@dataclass
class TagView:
    """One hashtag for one viewer: what the Tag entity shows."""

    id: int | None  # None: a name no post has used yet
    name: str  # as first written (Mastodon's display_name)
    history: list[tuple[datetime, int, int]] = field(default_factory=list)  # day, uses, accounts
    following: bool = False
    featuring: bool = False
    cursor_id: int | None = None  # in a list of followed tags: the follow's id


def valid_name(name: str) -> str:
    """A hashtag name without its '#', or NotFound (Mastodon answers 404 to a bad name)."""
    cleaned = (name or "").strip().lstrip("#")
    if not text.is_tag_name(cleaned):
        raise NotFound()
    return cleaned


def find(tx: Tx, name: str) -> sa.Row | None:
    return tx.one_or_none(sa.select(tags).where(tags.c.name == normalize_tag(name)))


def find_or_create(tx: Tx, name: str) -> int:
    """The tag's id, made when no post has used it yet (following or featuring a new tag)."""
    return create_tags(tx, [valid_name(name)])[0]


def view(tx: Tx, viewer_id: int | None, name: str) -> TagView:
    """The Tag entity of `name` for this viewer; a valid name no one has used yet is shown
    with no history, as Mastodon does."""
    cleaned = valid_name(name)
    row = find(tx, cleaned)
    if row is None:
        return TagView(None, cleaned, _empty_history(tx.now))
    return views(tx, viewer_id, [row])[0]


def views(tx: Tx, viewer_id: int | None, rows: Sequence[sa.Row]) -> list[TagView]:
    """Tag entities of tag rows, in order, with history and the viewer's flags: three
    queries whatever the number of tags."""
    ids = [r.id for r in rows]
    history = histories(tx, ids)
    following: set[int] = set()
    featuring: set[int] = set()
    if viewer_id is not None and ids:
        for table, found in ((tag_follows, following), (featured_tags, featuring)):
            found.update(
                tx.scalars(
                    sa.select(table.c.tag_id).where(
                        table.c.account_id == viewer_id, table.c.tag_id.in_(ids)
                    )
                )
            )
    return [
        TagView(
            r.id,
            r.display_name,
            history[r.id],
            r.id in following,
            r.id in featuring,
            getattr(r, "cursor_id", None),
        )
        for r in rows
    ]


def _days(now: datetime) -> list[datetime]:
    """Midnights (UTC) of the last HISTORY_DAYS days, today first."""
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return [today - timedelta(days=i) for i in range(HISTORY_DAYS)]


def _empty_history(now: datetime) -> list[tuple[datetime, int, int]]:
    return [(day, 0, 0) for day in _days(now)]


def histories(tx: Tx, tag_ids: Iterable[int]) -> dict[int, list[tuple[datetime, int, int]]]:
    """Each tag's use per day over the last week, today first: one grouped query."""
    ids = list(dict.fromkeys(tag_ids))
    days = _days(tx.now)
    out = {i: _empty_history(tx.now) for i in ids}
    if not ids:
        return out
    since = days[-1]
    columns: list[sa.ColumnElement] = []
    for day in days:
        within = sa.and_(
            statuses.c.created_at >= day, statuses.c.created_at < day + timedelta(days=1)
        )
        columns.append(sa.func.count(sa.case((within, statuses.c.id))))
        columns.append(sa.func.count(sa.distinct(sa.case((within, statuses.c.account_id)))))
    rows = tx.rows(
        sa.select(status_tags.c.tag_id, *columns)
        .select_from(status_tags.join(statuses, statuses.c.id == status_tags.c.status_id))
        .where(
            status_tags.c.tag_id.in_(ids),
            status_tags.c.status_id >= id_floor(since),
            statuses.c.created_at >= since,
            statuses.c.reblog_of_id.is_(None),
        )
        .group_by(status_tags.c.tag_id)
    )
    for row in rows:
        out[row[0]] = [
            (day, int(row[1 + 2 * i]), int(row[2 + 2 * i])) for i, day in enumerate(days)
        ]
    return out


# --- following ------------------------------------------------------------------------------


def follow(tx: Tx, viewer_id: int, name: str) -> TagView:
    """Follow a hashtag (again: nothing changes); answers with its Tag entity."""
    tag_id = find_or_create(tx, name)
    count = tx.scalar(sa.select(sa.func.count()).where(tag_follows.c.account_id == viewer_id)) or 0
    if count >= MAX_FOLLOWED_TAGS:
        raise Invalid(f"You cannot follow more than {MAX_FOLLOWED_TAGS} hashtags")
    if insert_ignore(
        tx,
        tag_follows,
        {"id": new_id(), "account_id": viewer_id, "tag_id": tag_id, "created_at": tx.now},
    ):  # the home feed merges its posts
        events.record(tx, events.TagFollowChanged(viewer_id, tag_id, followed=True))
    return view(tx, viewer_id, name)


def unfollow(tx: Tx, viewer_id: int, name: str) -> TagView:
    row = find(tx, valid_name(name))
    if row is not None:
        gone = tx.execute(
            tag_follows.delete().where(
                tag_follows.c.account_id == viewer_id, tag_follows.c.tag_id == row.id
            )
        ).rowcount
        if gone:  # the home feed drops what came for it
            events.record(tx, events.TagFollowChanged(viewer_id, row.id, followed=False))
    return view(tx, viewer_id, name)


def followed(tx: Tx, viewer_id: int, page: paging.Page) -> list[TagView]:
    """The hashtags the viewer follows, newest follow first; each carries `cursor_id`."""
    query = (
        sa.select(tags, tag_follows.c.id.label("cursor_id"))
        .select_from(tag_follows.join(tags, tags.c.id == tag_follows.c.tag_id))
        .where(tag_follows.c.account_id == viewer_id)
    )
    return views(tx, viewer_id, paging.fetch(tx, query, tag_follows.c.id, page))
