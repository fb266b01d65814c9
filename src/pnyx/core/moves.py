"""An account moved to another: the people here who followed it follow the new one.

Leaving with your followers is one of Pnyx's promises, and it only works if the servers of
those followers carry them over. When an account elsewhere says it moved (a Move whose new
account names the old one in alsoKnownAs, checked by federation), `core.remote_store.record_move`
records `events.AccountMoved`, and `on_event` (subscribed in the transaction) schedules this
job. It goes through the local followers of the old account in batches (so a
popular account does not hold one long transaction), and for each: follow the new account
with the same options (for an account elsewhere that is a request its server answers), then
stop following the old one. Blocks carry over too: the new account is not followed by anyone
here who blocks it, as Mastodon does.
"""

from __future__ import annotations

import contextlib
from typing import Any

import sqlalchemy as sa

from pnyx.core import events, moved_posts
from pnyx.core import follows as core_follows
from pnyx.core.errors import Forbidden, Invalid, NotFound
from pnyx.db.engine import Tx
from pnyx.db.tables import accounts, follows
from pnyx.jobs.queue import enqueue

MOVE_FOLLOWERS = "account.move_followers"
BATCH = 200


def on_event(tx: Tx, event: events.Event) -> None:
    """The `moves` subscription: an account moved, so its followers here follow it over."""
    if isinstance(event, events.AccountMoved):
        schedule(tx, event.account_id, event.target_id)
        moved_posts.schedule(tx, event.account_id, event.target_id)


def schedule(tx: Tx, old_id: int, new_id: int) -> None:
    enqueue(
        tx,
        MOVE_FOLLOWERS,
        {"account_id": old_id, "target_id": new_id},
        unique_key=f"{MOVE_FOLLOWERS}:{old_id}:{new_id}",
    )


def move_local_followers(tx: Tx, old_id: int, new_id: int, *, limit: int = BATCH) -> int:
    """Up to `limit` local followers of `old_id` moved to `new_id`; how many were handled."""
    rows = tx.rows(
        sa.select(
            follows.c.account_id, follows.c.show_reblogs, follows.c.notify, follows.c.languages
        )
        .join(accounts, accounts.c.id == follows.c.account_id)
        .where(follows.c.target_account_id == old_id, accounts.c.domain.is_(None))
        .order_by(follows.c.id)
        .limit(limit)
    )
    for row in rows:
        # Forbidden: a block either way; Invalid: the follower is the new account itself.
        with contextlib.suppress(Forbidden, Invalid):
            core_follows.follow(
                tx,
                row.account_id,
                new_id,
                reblogs=row.show_reblogs,
                notify=row.notify,
                languages=row.languages,
            )
        core_follows.unfollow(tx, row.account_id, old_id)
    return len(rows)


def move_followers_job(tx: Tx, payload: dict[str, Any]) -> None:
    try:
        old_id, new_id = int(payload["account_id"]), int(payload["target_id"])
    except (KeyError, TypeError, ValueError):
        return
    moved_to = tx.scalar(sa.select(accounts.c.moved_to_account_id).where(accounts.c.id == old_id))
    if moved_to != new_id:
        return  # moved back, or elsewhere since: that move's own job does the work
    try:
        handled = move_local_followers(tx, old_id, new_id)
    except NotFound:
        return  # one of the two accounts is gone
    if handled == BATCH:
        enqueue(tx, MOVE_FOLLOWERS, {"account_id": old_id, "target_id": new_id})  # the rest
