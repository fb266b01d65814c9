"""Whom to follow: suggestions from what this server sees, by an open formula.

A candidate is an account that is `discoverable`, neither suspended nor waiting for approval,
not the viewer, not already followed or requested by them, not blocked either way, not muted,
not on a server the viewer blocks, and not dismissed by them (`DELETE /api/v1/suggestions/:id`).
For each candidate:

- `friends` = how many of the accounts the viewer follows (at most `MAX_FOLLOWED` of them,
  the most recent) follow it: source `friends_of_friends`;
- `followers` = how many accounts of this server follow it: source `most_followed`.

Candidates with both at zero are not suggested. They are ranked by `friends`, then
`followers`, then the newest account first; the sources say which of the two counted. The
work is two grouped queries over the follows table, each bounded by `MAX_CANDIDATES`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from pnyx.core.account_visibility import (
    ACTIVE,
    BLOCKED,
    BLOCKS_YOU,
    DOMAIN_BLOCKED,
    MUTED,
    account_visible_condition,
    none_of,
)
from pnyx.core.follows import known_account
from pnyx.db.engine import Tx
from pnyx.db.insert_ignore import insert_ignore
from pnyx.db.tables import accounts, follow_requests, follows, suggestion_dismissals

MAX_FOLLOWED = 1000
MAX_CANDIDATES = 500
# Who may be suggested to a viewer, as the account rules state it.
SUGGESTIBLE = none_of(BLOCKED, BLOCKS_YOU, MUTED, DOMAIN_BLOCKED)


@dataclass
class Suggestion:
    account: Any
    sources: list[str] = field(default_factory=list)
    friends: int = 0  # followed accounts that follow it (the first ranking key)
    followers: int = 0  # accounts of this server that follow it (the second)


def _counts(tx: Tx, viewer_id: int) -> tuple[dict[int, int], dict[int, int]]:
    followed = (
        sa.select(follows.c.target_account_id)
        .where(follows.c.account_id == viewer_id)
        .order_by(follows.c.id.desc())
        .limit(MAX_FOLLOWED)
        .scalar_subquery()
    )
    friends = dict(
        tx.execute(
            sa.select(follows.c.target_account_id, sa.func.count())
            .where(follows.c.account_id.in_(followed))
            .group_by(follows.c.target_account_id)
            .order_by(sa.func.count().desc())
            .limit(MAX_CANDIDATES)
        ).all()
    )
    follower = accounts.alias("follower")
    popular = dict(
        tx.execute(
            sa.select(follows.c.target_account_id, sa.func.count())
            .join(follower, follower.c.id == follows.c.account_id)
            .where(follower.c.domain.is_(None))
            .group_by(follows.c.target_account_id)
            .order_by(sa.func.count().desc())
            .limit(MAX_CANDIDATES)
        ).all()
    )
    return friends, popular


def suggest(tx: Tx, viewer_id: int, limit: int) -> list[Suggestion]:
    friends, popular = _counts(tx, viewer_id)
    candidate_ids = set(friends) | set(popular)
    candidate_ids.discard(viewer_id)
    if not candidate_ids:
        return []
    taken = sa.union(
        sa.select(follows.c.target_account_id).where(follows.c.account_id == viewer_id),
        sa.select(follow_requests.c.target_account_id).where(
            follow_requests.c.account_id == viewer_id
        ),
        sa.select(suggestion_dismissals.c.target_account_id).where(
            suggestion_dismissals.c.account_id == viewer_id
        ),
    )
    rows = tx.rows(
        sa.select(accounts).where(
            accounts.c.id.in_(candidate_ids),
            accounts.c.id.not_in(taken),
            accounts.c.discoverable.is_(True),
            account_visible_condition(ACTIVE, accounts, viewer_id, tx.now),
            account_visible_condition(SUGGESTIBLE, accounts, viewer_id, tx.now),
        )
    )
    rows = sorted(rows, key=lambda r: (-friends.get(r.id, 0), -popular.get(r.id, 0), -r.id))
    out = []
    for row in rows[:limit]:
        sources = []
        if friends.get(row.id):
            sources.append("friends_of_friends")
        if popular.get(row.id):
            sources.append("most_followed")
        out.append(Suggestion(row, sources, friends.get(row.id, 0), popular.get(row.id, 0)))
    return out


def dismiss(tx: Tx, viewer_id: int, target_id: int) -> None:
    """Never suggest `target_id` to the viewer again."""
    known_account(tx, target_id)
    insert_ignore(
        tx,
        suggestion_dismissals,
        {"account_id": viewer_id, "target_account_id": target_id, "created_at": tx.now},
    )
