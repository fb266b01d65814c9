"""Featured hashtags: the few hashtags a person shows on their profile, each linking to their
posts with it.

Mastodon keeps a count and a date on each featured tag; here both are computed when read
(one grouped query for all of a profile's featured tags): the author's public and unlisted
posts (not boosts) carrying the tag, and the day of the newest. Suggestions are the hashtags
the person used most recently and has not featured yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from pnyx.core import hashtags
from pnyx.core.errors import Invalid, NotFound
from pnyx.core.visibility import PUBLIC_VISIBILITIES
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.insert_ignore import insert_ignore
from pnyx.db.tables import featured_tags, status_tags, statuses, tags

MAX_FEATURED_TAGS = 10  # Mastodon's FeaturedTag::LIMIT
SUGGESTIONS = 10
RECENT_POSTS_LOOKED_AT = 1000  # suggestions come from the author's newest posts


@dataclass
class FeaturedTag:
    id: int
    name: str  # as first written
    statuses_count: int
    last_status_at: datetime | None


def of_account(tx: Tx, account_id: int) -> list[FeaturedTag]:
    """An account's featured hashtags, oldest first, with their counts."""
    rows = tx.rows(
        sa.select(featured_tags.c.id, featured_tags.c.tag_id, tags.c.display_name)
        .join(tags, tags.c.id == featured_tags.c.tag_id)
        .where(featured_tags.c.account_id == account_id)
        .order_by(featured_tags.c.id)
    )
    counts = _counts(tx, account_id, [r.tag_id for r in rows])
    return [FeaturedTag(r.id, r.display_name, *counts.get(r.tag_id, (0, None))) for r in rows]


def _counts(tx: Tx, account_id: int, tag_ids: list[int]) -> dict[int, tuple[int, datetime | None]]:
    if not tag_ids:
        return {}
    rows = tx.rows(
        sa.select(
            status_tags.c.tag_id,
            sa.func.count().label("n"),
            sa.func.max(statuses.c.created_at).label("last"),
        )
        .select_from(status_tags.join(statuses, statuses.c.id == status_tags.c.status_id))
        .where(
            status_tags.c.tag_id.in_(tag_ids),
            statuses.c.account_id == account_id,
            statuses.c.visibility.in_(PUBLIC_VISIBILITIES),
            statuses.c.reblog_of_id.is_(None),
        )
        .group_by(status_tags.c.tag_id)
    )
    return {r.tag_id: (int(r.n), r.last) for r in rows}


def _one(tx: Tx, account_id: int, featured_id: int) -> FeaturedTag:
    for item in of_account(tx, account_id):
        if item.id == featured_id:
            return item
    raise NotFound()


def feature(tx: Tx, account_id: int, name: str | None) -> FeaturedTag:
    """Feature a hashtag on one's profile; featuring it again answers with the same one."""
    if not (name or "").strip():
        raise Invalid("Name can't be blank")
    try:
        tag_id = hashtags.find_or_create(tx, name or "")
    except NotFound:
        raise Invalid("Name is invalid") from None
    existing = tx.scalar(
        sa.select(featured_tags.c.id).where(
            featured_tags.c.account_id == account_id, featured_tags.c.tag_id == tag_id
        )
    )
    if existing is not None:
        return _one(tx, account_id, existing)
    count = (
        tx.scalar(sa.select(sa.func.count()).where(featured_tags.c.account_id == account_id)) or 0
    )
    if count >= MAX_FEATURED_TAGS:
        raise Invalid(f"You cannot feature more than {MAX_FEATURED_TAGS} hashtags")
    featured_id = new_id()
    values = {"id": featured_id, "account_id": account_id, "tag_id": tag_id, "created_at": tx.now}
    if not insert_ignore(tx, featured_tags, values):  # featured meanwhile by a twin request
        return feature(tx, account_id, name)
    return _one(tx, account_id, featured_id)


def unfeature(tx: Tx, account_id: int, featured_id: int) -> None:
    """Stop featuring; someone else's featured tag is not found."""
    result = tx.execute(
        featured_tags.delete().where(
            featured_tags.c.id == featured_id, featured_tags.c.account_id == account_id
        )
    )
    if result.rowcount != 1:
        raise NotFound()


def unfeature_name(tx: Tx, account_id: int, name: str) -> None:
    """Stop featuring a hashtag by its name (nothing happens if it was not featured)."""
    row = hashtags.find(tx, hashtags.valid_name(name))
    if row is not None:
        tx.execute(
            featured_tags.delete().where(
                featured_tags.c.account_id == account_id, featured_tags.c.tag_id == row.id
            )
        )


def suggestions(tx: Tx, account_id: int) -> Sequence[sa.Row]:
    """Tag rows the account used most recently (in its newest posts) and does not feature."""
    recent = (
        sa.select(statuses.c.id)
        .where(statuses.c.account_id == account_id)
        .order_by(statuses.c.id.desc())
        .limit(RECENT_POSTS_LOOKED_AT)
        .subquery("recent")
    )
    newest_use = sa.func.max(status_tags.c.status_id)
    used = (
        sa.select(status_tags.c.tag_id, newest_use.label("newest"))
        .join(recent, recent.c.id == status_tags.c.status_id)
        .where(
            ~sa.exists().where(
                featured_tags.c.account_id == account_id,
                featured_tags.c.tag_id == status_tags.c.tag_id,
            )
        )
        .group_by(status_tags.c.tag_id)
        .order_by(newest_use.desc())
        .limit(SUGGESTIONS)
        .subquery("used")
    )
    return tx.rows(
        sa.select(tags).join(used, used.c.tag_id == tags.c.id).order_by(used.c.newest.desc())
    )
