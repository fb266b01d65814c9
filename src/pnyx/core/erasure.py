"""An account deleted at its origin is erased here, not just hidden.

When someone leaves their server, what they posted should leave the servers that copied it.
The Delete of an actor suspends the account at once (everything it did is hidden from that
moment) and schedules this job, which removes its posts and boosts, its favourites and its
follows in batches, keeping the counters of what remains right (replies, boosts and
favourites of posts here, followers and following of the accounts it was linked to, the
counts of the polls it voted in), then the account itself; what is left of it goes with the row (its notifications, mentions,
blocks and mutes, by cascade).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from pnyx.core import media, profile_media
from pnyx.core import polls as core_polls
from pnyx.core.follows import delete_follow
from pnyx.core.status_deletion import delete_with_boosts
from pnyx.core.statuses import adjust_counter
from pnyx.db.engine import Tx
from pnyx.db.tables import accounts, favourites, follows, poll_votes, polls, statuses
from pnyx.jobs.queue import enqueue

ERASE = "account.erase"
BATCH = 200
DELETED_REASON = "Deleted by its server"
ERASED_REASON = "Data deleted by the staff"


def erase_remote_account(tx: Tx, account_id: int) -> None:
    """Hide the account now, and schedule its erasure (only ever for an account elsewhere)."""
    hidden = tx.execute(
        accounts.update()
        .where(accounts.c.id == account_id, accounts.c.domain.is_not(None))
        .values(
            suspended_at=sa.func.coalesce(accounts.c.suspended_at, tx.now),
            suspension_reason=DELETED_REASON,
        )
    ).rowcount
    if hidden:
        enqueue(tx, ERASE, {"account_id": account_id}, unique_key=f"{ERASE}:{account_id}")


def erase_suspended_remote_account(tx: Tx, account_id: int) -> None:
    """The staff asked for a suspended account of another server to be erased here."""
    done = tx.execute(
        accounts.update()
        .where(
            accounts.c.id == account_id,
            accounts.c.domain.is_not(None),
            accounts.c.suspended_at.is_not(None),
        )
        .values(suspension_reason=ERASED_REASON)
    ).rowcount
    if done:
        enqueue(tx, ERASE, {"account_id": account_id}, unique_key=f"{ERASE}:{account_id}")


def erase_some(tx: Tx, account_id: int, *, limit: int = BATCH) -> bool:
    """Remove up to `limit` things of the account, in order; True once it is all gone."""
    # Boosts first: deleting a post also deletes the boosts of it, its own ones included.
    posts = tx.rows(
        sa.select(statuses)
        .where(statuses.c.account_id == account_id)
        .order_by(statuses.c.reblog_of_id.is_(None), statuses.c.id)
        .limit(limit)
    )
    for post in posts:
        delete_with_boosts(tx, post)
    if posts:
        return False
    liked = tx.rows(
        sa.select(favourites.c.id, favourites.c.status_id)
        .where(favourites.c.account_id == account_id)
        .limit(limit)
    )
    for favourite in liked:
        tx.execute(favourites.delete().where(favourites.c.id == favourite.id))
        adjust_counter(tx, favourite.status_id, "favourites_count", -1)
    if liked:
        return False
    links = tx.rows(
        sa.select(follows.c.account_id, follows.c.target_account_id)
        .where(
            sa.or_(follows.c.account_id == account_id, follows.c.target_account_id == account_id)
        )
        .limit(limit)
    )
    for link in links:
        delete_follow(tx, link.account_id, link.target_account_id)
    if links:
        return False
    if _withdraw_votes(tx, account_id, limit):
        return False
    account = tx.one_or_none(sa.select(accounts).where(accounts.c.id == account_id))
    if account is not None:  # what we cached of its avatar and header goes too
        media.forget_keys(tx, profile_media.old_keys(account, profile_media.KINDS))
    tx.execute(accounts.delete().where(accounts.c.id == account_id))
    return True


def _withdraw_votes(tx: Tx, account_id: int, limit: int) -> bool:
    """Take the account's votes out of the polls' counts (up to `limit` polls); True if it
    had any."""
    poll_ids = list(
        tx.scalars(
            sa.select(poll_votes.c.poll_id)
            .where(poll_votes.c.account_id == account_id)
            .distinct()
            .limit(limit)
        )
    )
    for poll_id in poll_ids:
        choices = list(
            tx.scalars(
                sa.select(poll_votes.c.choice).where(
                    poll_votes.c.poll_id == poll_id, poll_votes.c.account_id == account_id
                )
            )
        )
        poll = core_polls.get(tx, poll_id, for_update=True)  # as a vote does: counts move together
        if poll is None:  # deleted meanwhile, and its votes with it
            continue
        tallies = list(poll.tallies)
        for choice in choices:
            if 0 <= choice < len(tallies):
                tallies[choice] = max(0, tallies[choice] - 1)
        tx.execute(
            polls.update()
            .where(polls.c.id == poll_id)
            .values(
                tallies=tallies,
                votes_count=max(0, poll.votes_count - len(choices)),
                voters_count=max(0, poll.voters_count - 1),
            )
        )
        tx.execute(
            poll_votes.delete().where(
                poll_votes.c.poll_id == poll_id, poll_votes.c.account_id == account_id
            )
        )
    return bool(poll_ids)


def erase_job(tx: Tx, payload: dict[str, Any]) -> None:
    try:
        account_id = int(payload["account_id"])
    except (KeyError, TypeError, ValueError):
        return
    row = tx.one_or_none(
        sa.select(accounts.c.domain, accounts.c.suspension_reason).where(
            accounts.c.id == account_id
        )
    )
    if (
        row is None
        or row.domain is None
        or row.suspension_reason not in (DELETED_REASON, ERASED_REASON)
    ):
        return  # gone already, ours, or brought back since
    if not erase_some(tx, account_id):
        enqueue(tx, ERASE, {"account_id": account_id})  # the rest, in the next job
