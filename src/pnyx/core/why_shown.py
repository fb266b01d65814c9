"""Why am I seeing this: the reasons a viewer was shown a post.

Two kinds of reason, newest knowledge first:
- `home`: which part of the home timeline brings the post: the viewer's own post, a followed
  author, a boost by a followed account (which one), a mention of the viewer, a followed
  hashtag (which one). `home_reasons` is the one place that decides it. Today home is read
  at request time, so it asks home itself whether the post is in it now (the same query and
  rules, one page of one post) and names the parts that match; when the materialized feed
  table with its recorded provenance lands, only `home_reasons` changes, to read it.
- `ranked`: for the ranked feeds (catalog or composed), the newest snapshot that served the
  post to this viewer (`algorithms.why.last_served`): the feed, the version of its code and
  parameters, the score and each term (name, weight, value and weight x value, which sum to
  the score), and when it was served. Snapshots are kept `RETENTION_DAYS`, then pruned by
  the periodic `algorithms.refresh` job; the number is published on /feeds and in the API.

A post the viewer may not see is NotFound (as `GET /api/v1/statuses/:id`); a post never
shown to them has no reasons (an empty list).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from pnyx.core import status_views, timelines
from pnyx.core.algorithms import catalog, snapshots, why
from pnyx.core.errors import NotFound
from pnyx.core.paging import Page
from pnyx.db.engine import Tx
from pnyx.db.tables import (
    accounts,
    composed_feeds,
    follows,
    mentions,
    status_tags,
    statuses,
    tag_follows,
    tags,
)

RETENTION_DAYS = snapshots.RETENTION.days  # how long a ranked feed's reasons are kept
HOME_KINDS = ("own", "followed_author", "boosted_by", "mention", "followed_hashtag")


def _acct(tx: Tx, account_id: int) -> str:
    row = tx.one_or_none(
        sa.select(accounts.c.username, accounts.c.domain).where(accounts.c.id == account_id)
    )
    if row is None:
        return ""
    return row.username if row.domain is None else f"{row.username}@{row.domain}"


def _in_home(tx: Tx, viewer_id: int, status_id: int) -> bool:
    """Whether home, read now with all its rules, holds this post: its one-post page just
    above the post's id is the post itself."""
    found = timelines.home(tx, viewer_id, Page(max_id=status_id + 1, limit=1))
    return status_id in found.ids


def home_reasons(tx: Tx, viewer_id: int, status_id: int) -> list[dict[str, Any]]:
    """The parts of the viewer's home that bring this post ([] when home does not hold it).
    The one function to switch to the feed table's recorded provenance."""
    if not _in_home(tx, viewer_id, status_id):
        return []
    post = tx.one_or_none(
        sa.select(statuses.c.account_id, statuses.c.reblog_of_id).where(statuses.c.id == status_id)
    )
    if post is None:
        return []
    reasons: list[dict[str, Any]] = []

    def reason(kind: str, **details: Any) -> None:
        reasons.append({"source": "home", "kind": kind, **details})

    follows_author = (
        tx.scalar(
            sa.select(follows.c.id).where(
                follows.c.account_id == viewer_id, follows.c.target_account_id == post.account_id
            )
        )
        is not None
    )
    account = {"account_id": str(post.account_id), "acct": _acct(tx, post.account_id)}
    if post.account_id == viewer_id:
        reason("own")
    elif follows_author and post.reblog_of_id is not None:
        reason("boosted_by", **account)
    elif follows_author:
        reason("followed_author", **account)
    shown_id = post.reblog_of_id or status_id
    mentioned = tx.scalar(
        sa.select(mentions.c.id).where(
            mentions.c.status_id == shown_id, mentions.c.account_id == viewer_id
        )
    )
    if mentioned is not None and post.account_id != viewer_id:
        reason("mention")
    followed_tags = tx.scalars(
        sa.select(tags.c.name)
        .join(status_tags, status_tags.c.tag_id == tags.c.id)
        .join(tag_follows, tag_follows.c.tag_id == tags.c.id)
        .where(status_tags.c.status_id == shown_id, tag_follows.c.account_id == viewer_id)
        .order_by(tags.c.name)
    )
    for name in followed_tags:
        reason("followed_hashtag", hashtag=name)
    return reasons


def _feed_title(tx: Tx, feed_id: str) -> str:
    algorithm = catalog.get(feed_id)
    if algorithm is not None:
        return algorithm.title
    if feed_id.isdigit() and len(feed_id) < 20:
        title = tx.scalar(
            sa.select(composed_feeds.c.title).where(composed_feeds.c.id == int(feed_id))
        )
        if title is not None:
            return str(title)
    return feed_id


def ranked_reasons(tx: Tx, viewer_id: int, status_id: int) -> list[dict[str, Any]]:
    """The newest ranked serving of the post to the viewer, with its score's terms."""
    served = why.last_served(tx, viewer_id, status_id)
    if served is None:
        return []
    return [
        {
            "source": "feed",
            "kind": "ranked",
            "feed_id": served.feed_id,
            "feed_title": _feed_title(tx, served.feed_id),
            "version": served.version,
            "score": served.score,
            "terms": [
                {
                    "name": t.name,
                    "weight": t.weight,
                    "value": t.value,
                    "product": round(t.weight * t.value, 9),
                }
                for t in served.terms
            ],
            "served_at": served.served_at.isoformat(),
        }
    ]


def reasons(tx: Tx, viewer_id: int, status_id: int) -> list[dict[str, Any]]:
    """Every reason this viewer was shown the post: home's parts, then the ranked serving.
    NotFound when the viewer may not see the post."""
    if status_id not in status_views.visible_ids(tx, [status_id], viewer_id):
        raise NotFound()
    return home_reasons(tx, viewer_id, status_id) + ranked_reasons(tx, viewer_id, status_id)
