"""An account deleted at its origin is erased here, not just hidden.

When someone leaves their server, what they posted should leave the servers that copied it.
The Delete of an actor suspends the account at once (everything it did is hidden from that
moment) and schedules this job, which removes its posts and boosts, its favourites and its
follows in batches, keeping the counters of what remains right (replies, boosts and
favourites of posts here, followers and following of the accounts it was linked to), then
the account itself; what is left of it goes with the row (its notifications, mentions,
blocks and mutes, by cascade).
"""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.core.follows import delete_follow
from pnyx.core.received import delete_with_boosts
from pnyx.core.statuses import adjust_counter
from pnyx.db.tables import accounts, favourites, follows, statuses
from pnyx.jobs.worker import handler

ERASE = "account.erase"
BATCH = 200
DELETED_REASON = "Deleted by its server"


def erase_remote_account(tx, account_id: int) -> None:
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
        tx.enqueue(ERASE, {"account_id": account_id}, unique_key=f"{ERASE}:{account_id}")


def erase_some(tx, account_id: int, *, limit: int = BATCH) -> bool:
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
    tx.execute(accounts.delete().where(accounts.c.id == account_id))
    return True


@handler(ERASE)
def erase_job(tx, payload: dict) -> None:
    try:
        account_id = int(payload["account_id"])
    except (KeyError, TypeError, ValueError):
        return
    row = tx.one_or_none(
        sa.select(accounts.c.domain, accounts.c.suspension_reason).where(
            accounts.c.id == account_id
        )
    )
    if row is None or row.domain is None or row.suspension_reason != DELETED_REASON:
        return  # gone already, ours, or brought back since
    if not erase_some(tx, account_id):
        tx.enqueue(ERASE, {"account_id": account_id})  # the rest, in the next job
