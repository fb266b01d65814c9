"""Why am I seeing this: the reasons a viewer was shown a post.

Two kinds of reason, newest knowledge first:
- `home`: which part of the home timeline brings the post: the viewer's own post, a followed
  author, a boost by a followed account (which one), a mention of the viewer, a followed
  hashtag (which one). The home feed recorded these on each entry when the post was fanned
  out (`core.feeds`); for a post older than the feed's window they are computed by the same
  rules (`core.feeds.provenance`). `home_reasons` first asks home itself whether the post
  is in it now (the same query and rules, one page of one post); asked about a boosted post
  that home holds only as a boost, it answers for the boosts by followed accounts.
- `ranked`: for the ranked feeds (catalog or composed), the newest snapshot that served the
  post to this viewer (`algorithms.why.last_served`): the feed, the version of its code and
  parameters, the score and each term (name, weight, value and weight x value, which sum to
  the score), and when it was served. Snapshots are kept `RETENTION_DAYS`, then pruned by
  the periodic `algorithms.refresh` job; the number is published on /feeds and in the API.

A post the viewer may not see is NotFound (as `GET /api/v1/statuses/:id`); a post never
shown to them has no reasons (an empty list).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from pnyx.core import status_views, timelines
from pnyx.core.algorithms import catalog, snapshots, why
from pnyx.core.algorithms.terms import Ranked
from pnyx.core.errors import NotFound
from pnyx.core.feeds import provenance
from pnyx.core.feeds import reasons as bits_of
from pnyx.core.feeds.entries import HOME
from pnyx.core.paging import Page
from pnyx.db.engine import Tx
from pnyx.db.id_lists import in_ids
from pnyx.db.tables import (
    accounts,
    composed_feeds,
    follows,
    statuses,
    tags,
)

RETENTION_DAYS = snapshots.RETENTION.days  # how long a ranked feed's reasons are kept
BOOSTS_LOOKED_AT = 5  # followed accounts' boosts of a post checked against home


def _in_home(tx: Tx, viewer_id: int, status_id: int) -> bool:
    """Whether home, read now with all its rules, holds this post: its one-post page just
    above the post's id is the post itself."""
    found = timelines.home(tx, viewer_id, Page(max_id=status_id + 1, limit=1))
    return status_id in found.ids


def home_reasons(tx: Tx, viewer_id: int, status_id: int) -> list[dict[str, Any]]:
    """The parts of the viewer's home that bring this post ([] when home does not hold it).
    The one function to switch to the feed table's recorded provenance."""
    if _in_home(tx, viewer_id, status_id):
        return home_parts(tx, viewer_id, [status_id]).get(status_id, [])
    # Apps often ask about the boosted post rather than the boost home holds.
    boosts = tx.scalars(
        sa.select(statuses.c.id)
        .join(follows, follows.c.target_account_id == statuses.c.account_id)
        .where(statuses.c.reblog_of_id == status_id, follows.c.account_id == viewer_id)
        .order_by(statuses.c.id.desc())
        .limit(BOOSTS_LOOKED_AT)
    )
    held = [b for b in boosts if _in_home(tx, viewer_id, b)]
    found = home_parts(tx, viewer_id, held)
    return [reason for b in held for reason in found.get(b, [])]


def home_parts(tx: Tx, viewer_id: int, status_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """For posts known to be in the viewer's home (a home page just served), which of its
    parts bring each: own, followed author, boost by a followed account, mention, followed
    hashtag. The home feed's entries recorded these when the posts were fanned out
    (`core.feeds`); posts older than the feed's window get them computed by the same rules
    (`provenance.page_reasons`). Three queries for a whole page."""
    if not status_ids:
        return {}
    entries = provenance.page_reasons(tx, viewer_id, HOME, status_ids)
    people = {e.via_account_id for e in entries.values() if e.via_account_id is not None}
    posts = {
        r.id: r.account_id
        for r in tx.execute(
            sa.select(statuses.c.id, statuses.c.account_id).where(in_ids(statuses.c.id, "ids")),
            {"ids": list(entries)},
        )
    }
    people |= set(posts.values())
    names = {
        r.id: r.username if r.domain is None else f"{r.username}@{r.domain}"
        for r in tx.execute(
            sa.select(accounts.c.id, accounts.c.username, accounts.c.domain).where(
                in_ids(accounts.c.id, "people")
            ),
            {"people": sorted(people)},
        )
    }
    tag_ids = sorted({e.via_tag_id for e in entries.values() if e.via_tag_id is not None})
    tag_names = {
        r.id: r.name
        for r in tx.execute(
            sa.select(tags.c.id, tags.c.name).where(in_ids(tags.c.id, "tags")), {"tags": tag_ids}
        )
    }

    def person(account_id: int | None) -> dict[str, str]:
        if account_id is None:
            return {}
        return {"account_id": str(account_id), "acct": names.get(account_id, "")}

    out: dict[int, list[dict[str, Any]]] = {}
    for sid in status_ids:
        entry = entries.get(sid)
        if entry is None or not entry.reasons:
            out[sid] = []
            continue
        bits, found = entry.reasons, []
        if bits & bits_of.OWN:
            found.append({"source": "home", "kind": "own"})
        if bits & bits_of.FOLLOWED_AUTHOR:
            found.append({"source": "home", "kind": "followed_author", **person(posts.get(sid))})
        if bits & bits_of.BOOSTED_BY_FOLLOWED:
            booster = entry.via_account_id or posts.get(sid)
            found.append({"source": "home", "kind": "boosted_by", **person(booster)})
        if bits & bits_of.MENTIONED and not bits & bits_of.OWN:
            found.append({"source": "home", "kind": "mention"})
        if bits & bits_of.FOLLOWED_TAG:
            name = tag_names.get(entry.via_tag_id) if entry.via_tag_id is not None else None
            found.append({"source": "home", "kind": "followed_hashtag", "hashtag": name or ""})
        out[sid] = found
    return out


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


def _ranked_json(
    feed_id: str, title: str, version: str, item: Ranked, served_at: datetime
) -> dict[str, Any]:
    return {
        "source": "feed",
        "kind": "ranked",
        "feed_id": feed_id,
        "feed_title": title,
        "version": version,
        "score": item.score,
        "terms": [
            {
                "name": t.name,
                "weight": t.weight,
                "value": t.value,
                "product": round(t.weight * t.value, 9),
            }
            for t in item.terms
        ],
        "served_at": served_at.isoformat(),
    }


def ranked_reasons(tx: Tx, viewer_id: int, status_id: int) -> list[dict[str, Any]]:
    """The newest ranked serving of the post to the viewer, with its score's terms."""
    served = why.last_served(tx, viewer_id, status_id)
    if served is None:
        return []
    item = Ranked(status_id, served.score, served.terms)
    title = _feed_title(tx, served.feed_id)
    return [_ranked_json(served.feed_id, title, served.version, item, served.served_at)]


def ranked_page(
    tx: Tx, viewer_id: int, feed_id: str, status_ids: list[int]
) -> dict[int, dict[str, Any]]:
    """The ranked reason of each post of a page just served from the viewer's snapshot of
    this feed (the snapshot that holds its first post)."""
    if not status_ids:
        return {}
    found = snapshots.containing(tx, viewer_id, feed_id, status_ids[0])
    snapshot = snapshots.load(tx, found.id) if found is not None else None
    if snapshot is None:
        return {}
    title = _feed_title(tx, feed_id)
    by_id = {item.status_id: item for item in snapshot.items}
    return {
        sid: _ranked_json(feed_id, title, snapshot.version, by_id[sid], snapshot.created_at)
        for sid in status_ids
        if sid in by_id
    }


def reasons(tx: Tx, viewer_id: int, status_id: int) -> list[dict[str, Any]]:
    """Every reason this viewer was shown the post: home's parts, then the ranked serving.
    NotFound when the viewer may not see the post."""
    if status_id not in status_views.visible_ids(tx, [status_id], viewer_id):
        raise NotFound()
    return home_reasons(tx, viewer_id, status_id) + ranked_reasons(tx, viewer_id, status_id)
