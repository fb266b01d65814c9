"""Follows ended by a block of a whole server, and what the people here who lost them are
told (Mastodon 4.3's RelationshipSeveranceEvent and `severed_relationships` notification).

A person's own block of a server (`core.user_domain_blocks`) and the staff's suspension of a
server (`core.domain_blocks`) end follows between people here and that server's accounts.
Nobody should find out by chance that they lost their followers: each block that ended
follows is one event (`type`, the server's name), with one row per person here that says
how many followers and follows they lost; each of them gets one notification pointing at it.
A block that ended nothing records nothing.

The staff's suspension of one account of another server does the same, as Mastodon's: that
account's follows of people here end (it keeps reading nothing of theirs from its own
server), they are told of the followers they lost (`account_suspension`), and its server is
sent a Reject of each; lifting the suspension does not bring them back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Row

from pnyx.core import events, follows
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.tables import account_severances, accounts, follow_requests, severance_events
from pnyx.db.tables import follows as follows_table

TYPES = ("domain_block", "user_domain_block", "account_suspension")


@dataclass
class Losses:
    """What each person here lost by one block, counted as the follows are ended."""

    followers: dict[int, int] = field(default_factory=dict)
    following: dict[int, int] = field(default_factory=dict)

    def lost_follower(self, account_id: int) -> None:
        self.followers[account_id] = self.followers.get(account_id, 0) + 1

    def lost_follow(self, account_id: int) -> None:
        self.following[account_id] = self.following.get(account_id, 0) + 1

    def people(self) -> list[int]:
        return sorted(set(self.followers) | set(self.following))


def record(tx: Tx, kind: str, target_name: str, losses: Losses) -> int | None:
    """Keep what the block ended, and tell everyone who lost something (once each, through
    `RelationshipsSevered`); None when it ended nothing."""
    assert kind in TYPES, kind
    people = losses.people()
    if not people:
        return None
    event_id = new_id()
    tx.execute(
        severance_events.insert().values(
            id=event_id, type=kind, target_name=target_name, purged=False, created_at=tx.now
        )
    )
    tx.execute(
        account_severances.insert(),
        [
            {
                "id": new_id(),
                "account_id": account_id,
                "severance_event_id": event_id,
                "followers_count": losses.followers.get(account_id, 0),
                "following_count": losses.following.get(account_id, 0),
                "created_at": tx.now,
            }
            for account_id in people
        ],
    )
    events.record(tx, events.RelationshipsSevered(event_id))
    return event_id


def suspend_remote_account(tx: Tx, account_id: int) -> int | None:
    """End the follows (and requests) of a suspended account of another server towards
    people here, and tell them; the event's id, or None when it followed nobody here."""
    account = tx.one_or_none(
        sa.select(accounts.c.username, accounts.c.domain).where(accounts.c.id == account_id)
    )
    if account is None or account.domain is None:
        return None
    here = sa.select(accounts.c.id).where(accounts.c.domain.is_(None))
    lost = Losses()
    followed = tx.scalars(
        sa.select(follows_table.c.target_account_id).where(
            follows_table.c.account_id == account_id, follows_table.c.target_account_id.in_(here)
        )
    )
    for target_id in followed:
        if follows.remove_from_followers(tx, target_id, account_id):
            lost.lost_follower(target_id)
    asked = tx.scalars(
        sa.select(follow_requests.c.target_account_id).where(
            follow_requests.c.account_id == account_id,
            follow_requests.c.target_account_id.in_(here),
        )
    )
    for target_id in asked:
        follows.reject_request(tx, target_id, account_id)
    return record(tx, "account_suspension", f"{account.username}@{account.domain}", lost)


def _rows() -> sa.Select:
    return sa.select(
        account_severances.c.id,
        account_severances.c.account_id,
        account_severances.c.followers_count,
        account_severances.c.following_count,
        severance_events.c.type,
        severance_events.c.target_name,
        severance_events.c.purged,
        severance_events.c.created_at,
    ).join(severance_events, severance_events.c.id == account_severances.c.severance_event_id)


def of_event(tx: Tx, severance_event_id: int) -> list[Row]:
    """Each person's share of one event (what their notification is about)."""
    return tx.rows(
        _rows()
        .where(account_severances.c.severance_event_id == severance_event_id)
        .order_by(account_severances.c.account_id)
    )


def by_ids(tx: Tx, ids: Iterable[int]) -> dict[int, Row]:
    """Shares by id (the notifications of a page point at them)."""
    wanted = list(set(ids))
    if not wanted:
        return {}
    return {r.id: r for r in tx.rows(_rows().where(account_severances.c.id.in_(wanted)))}
