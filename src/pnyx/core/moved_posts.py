"""A moved account's posts, found again under their new ids: replies, boosts and favourites here
keep pointing at the person's posts after they moved with them.

When a person moves to a Pnyx server with their posts (an archive import, or a LOLA copy),
each post gets a new id there, and the new server's copy says which post it was
(`previously`: the old actor and the old id, as LOLA's breadcrumbs do). A server that holds
the old post sees the move (a Move whose two accounts are linked), reads the new account's
posts, and re-points each old post it holds at its new id and author: the row stays, so every
reply, boost, favourite and bookmark made here stays attached to it. When the new post was
fetched here already (looking the new account up reads its recent posts), that copy merges
into the old row and goes: one row for one post. (When the new account is on this server,
its post is the one kept: what hung on the old row joins it.)

A claim is taken only within a checked move: the old post must be the old account's here
(this server's own record says who wrote it), and the new account must be the one the old
account moved to. A server cannot claim another person's posts this way, nor posts of an
account that did not move to it.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from pnyx.core import events, status_deletion
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
    copy = tx.one_or_none(sa.select(statuses).where(statuses.c.uri == new_uri))
    if copy is not None:
        if copy.account_id != new_id or copy.reblog_of_id is not None:
            return False  # that address is not the new account's post here
        if copy.local:
            # The new account is ours and so is the post: what hangs on the old row joins
            # it; the old row stays the old account's (its server still serves it).
            _move_dependents(tx, old_row.id, copy.id, new_id)
            return True
        _merge_copy(tx, copy, old_row.id, new_id)
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
    if core_statuses.counted(old_row.visibility):
        core_statuses.adjust_account_statuses(tx, old_id, -1)
        core_statuses.adjust_account_statuses(tx, new_id, 1)
    # Boosts here of the old post are boosts of the new one: same row, nothing to change.
    return True


def _merge_copy(tx: Tx, copy: Any, into_id: int, new_id: int) -> None:
    """The new post was already held here (fetched before the move was seen, as a profile's
    recent posts are when the new account is first looked up): two rows for one post. The
    old row stays, since most of what this server has about the post hangs on it (home
    feeds, notifications, votes, conversations ...); what hangs on the copy joins it, and the
    copy goes, quietly: its address becomes the old row's."""
    _move_dependents(tx, copy.id, into_id, new_id)
    gone = events.StatusDeleted(  # feeds and live streams drop the copy; no other server hears
        account_id=copy.account_id,
        uri=copy.uri,
        visibility=copy.visibility,
        in_reply_to_account_id=copy.in_reply_to_account_id,
        status_id=copy.id,
        tell_other_servers=False,
    )
    status_deletion.delete_row(tx, copy)  # a favourite of both rows goes with it (cascade)
    events.record(tx, gone)


def _move_dependents(tx: Tx, from_id: int, into_id: int, new_id: int) -> None:
    """Replies, boosts, favourites and bookmarks of one row moved to the other (the replies
    now answer the new account), with the counters they moved."""
    replies = tx.execute(
        statuses.update()
        .where(statuses.c.in_reply_to_id == from_id)
        .values(in_reply_to_id=into_id, in_reply_to_account_id=new_id)
    ).rowcount
    boosts = tx.execute(
        statuses.update().where(statuses.c.reblog_of_id == from_id).values(reblog_of_id=into_id)
    ).rowcount
    moved = {
        "replies_count": replies,
        "reblogs_count": boosts,
        "favourites_count": _move_marks(tx, favourites, from_id, into_id),
    }
    _move_marks(tx, bookmarks, from_id, into_id)
    for counter, count in moved.items():
        if count:
            core_statuses.adjust_counter(tx, into_id, counter, count)
            core_statuses.adjust_counter(tx, from_id, counter, -count)


def _move_marks(tx: Tx, table: sa.Table, from_id: int, into_id: int) -> int:
    """Favourites or bookmarks of one row moved to another, except those of someone who
    marked both (theirs stays on the row it is on); how many moved."""
    taken = sa.select(table.c.account_id).where(table.c.status_id == into_id)
    done = tx.execute(
        table.update()
        .where(table.c.status_id == from_id, table.c.account_id.not_in(taken))
        .values(status_id=into_id)
    )
    return done.rowcount


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
