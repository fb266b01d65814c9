"""A moved account's posts, found again under their new ids: replies, boosts and favourites here
keep pointing at the person's posts after they moved with them.

When a person moves to a Pnyx server with their posts (an archive import, or a LOLA copy),
each post gets a new id there, and the new server's copy says which post it was
(`previously`: the old actor and the old id, as LOLA's breadcrumbs do). A server that holds
the old post sees the move (a Move whose two accounts are linked), reads the new account's
posts, and re-points each old post it holds at its new id and author: the row stays, so every
reply, boost, favourite and bookmark made here stays attached to it.

A claim is taken only within a checked move: the old post must be the old account's here
(this server's own record says who wrote it), and the new account must be the one the old
account moved to. A server cannot claim another person's posts this way, nor posts of an
account that did not move to it.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from pnyx.core import statuses as core_statuses
from pnyx.db.engine import Tx
from pnyx.db.tables import accounts, bookmarks, favourites, imported_statuses, statuses
from pnyx.jobs.queue import enqueue

MAP_POSTS = "account.map_moved_posts"


def schedule(tx: Tx, old_id: int, new_id: int) -> None:
    """Find the moved account's posts under their new ids (a network job, `federation`)."""
    enqueue(
        tx,
        MAP_POSTS,
        {"account_id": old_id, "target_id": new_id},
        unique_key=f"{MAP_POSTS}:{old_id}:{new_id}",
    )


def moved_pair(tx: Tx, old_id: int, new_id: int) -> tuple[Any, Any] | None:
    """(old account, new account) when `old_id` moved to `new_id` as this server knows it."""
    rows = {
        row.id: row
        for row in tx.rows(
            sa.select(
                accounts.c.id, accounts.c.uri, accounts.c.domain, accounts.c.moved_to_account_id
            ).where(accounts.c.id.in_([old_id, new_id]))
        )
    }
    old, new = rows.get(old_id), rows.get(new_id)
    if old is None or new is None or old.moved_to_account_id != new_id:
        return None
    if old.domain is None:
        return None  # our own account left: its posts stay ours (their pages redirect)
    return old, new


def remap(
    tx: Tx, old_id: int, new_id: int, old_uri: str, new_uri: str, new_url: str | None
) -> bool:
    """Re-point the old account's post `old_uri` at `new_uri`, now the new account's. False
    when this server holds no such post of the old account, or the move is not on record."""
    if old_uri == new_uri or moved_pair(tx, old_id, new_id) is None:
        return False
    old_row = tx.one_or_none(
        sa.select(statuses.c.id, statuses.c.reblog_of_id, statuses.c.visibility).where(
            statuses.c.uri == old_uri, statuses.c.account_id == old_id
        )
    )
    if old_row is None or old_row.reblog_of_id is not None:
        return False
    visibility = old_row.visibility
    held_id = tx.scalar(sa.select(statuses.c.id).where(statuses.c.uri == new_uri))
    if held_id is not None:
        _attach_to(tx, old_row.id, held_id, new_id)
        return True
    tx.execute(
        statuses.update()
        .where(statuses.c.id == old_row.id)
        .values(uri=new_uri, url=new_url or new_uri, account_id=new_id)
    )
    tx.execute(  # the replies here now answer the new account
        statuses.update()
        .where(statuses.c.in_reply_to_id == old_row.id)
        .values(in_reply_to_account_id=new_id)
    )
    if core_statuses.counted(visibility):
        core_statuses.adjust_account_statuses(tx, old_id, -1)
        core_statuses.adjust_account_statuses(tx, new_id, 1)
    # Boosts here of the old post are boosts of the new one: same row, nothing to change.
    return True


def _attach_to(tx: Tx, old_status_id: int, new_status_id: int, new_account_id: int) -> None:
    """The new post is already held here (fetched before the move was seen): what hangs on
    the old row (replies, boosts, favourites, bookmarks) moves to it."""
    tx.execute(
        statuses.update()
        .where(statuses.c.in_reply_to_id == old_status_id)
        .values(in_reply_to_id=new_status_id, in_reply_to_account_id=new_account_id)
    )
    tx.execute(
        statuses.update()
        .where(statuses.c.reblog_of_id == old_status_id)
        .values(reblog_of_id=new_status_id)
    )
    for table in (favourites, bookmarks):
        taken = sa.select(table.c.account_id).where(table.c.status_id == new_status_id)
        tx.execute(
            table.update()
            .where(table.c.status_id == old_status_id, table.c.account_id.not_in(taken))
            .values(status_id=new_status_id)
        )


def left(tx: Tx, old_id: int) -> int:
    """How many posts of the old account this server still holds under their old ids."""
    return tx.scalar(
        sa.select(sa.func.count())
        .select_from(statuses)
        .where(statuses.c.account_id == old_id, statuses.c.reblog_of_id.is_(None))
    )


def map_local(tx: Tx, old: Any, new: Any) -> int:
    """The new account is ours: its imported posts name their origins in the database."""
    rows = tx.rows(
        sa.select(imported_statuses.c.origin_uri, statuses.c.uri, statuses.c.url)
        .join(statuses, statuses.c.id == imported_statuses.c.status_id)
        .where(
            imported_statuses.c.account_id == new.id,
            imported_statuses.c.origin_actor_uri == old.uri,
        )
    )
    return sum(remap(tx, old.id, new.id, r.origin_uri, r.uri, r.url) for r in rows)
