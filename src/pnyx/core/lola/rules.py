"""What a live copy does that is not a post: the old account's favourites and blocks.

Posts are made by the archive import's path (`core.archive_import.posts.store`): quietly,
with no event. The rest follows the same idea where it must, and core's ordinary rules where
the change protects the person:

- a favourite is copied **quietly** (`copy_favourite`): a favourite row and the post's count,
  no event. LOLA asks the destination to copy the "liked" collection as it is; the authors were
  told of these favourites when they were made, and hundreds of "alice favourited your post"
  from a new account, for posts of years ago, would be noise in their notifications. A post
  the person copied from their own old account is favourited as its copy here.
- a block goes through `blocks_mutes.block`, as a block made by hand or by Mastodon's CSV
  import: follows either way end, and the blocked account's server is told (a Block), so that
  it stops showing them the person's posts. That is what a block is for.
"""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.core import blocks_mutes, uris
from pnyx.core.statuses import adjust_counter, visible_original
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.insert_ignore import insert_ignore
from pnyx.db.tables import accounts, favourites, imported_statuses, statuses


def known_post(tx: Tx, account_id: int, uri: str) -> int | None:
    """The post here that `uri` names for this account: its own copy of a post it made at the
    old server (by original id), or the post of that id when this server knows it."""
    copied = tx.scalar(
        sa.select(imported_statuses.c.status_id).where(
            imported_statuses.c.account_id == account_id, imported_statuses.c.origin_uri == uri
        )
    )
    if copied is not None:
        return copied
    return tx.scalar(sa.select(statuses.c.id).where(statuses.c.uri == uri))


def known_account(tx: Tx, uri: str) -> int | None:
    return tx.scalar(sa.select(accounts.c.id).where(accounts.c.uri == uri))


def copy_favourite(tx: Tx, account_id: int, status_id: int) -> bool:
    """Favourite the post as `account_id`, quietly (see the module docstring); False when it
    was favourited already. NotFound when the person may not see the post."""
    status = visible_original(tx, account_id, status_id)
    favourite_id = new_id()
    username = tx.scalar(sa.select(accounts.c.username).where(accounts.c.id == account_id))
    inserted = insert_ignore(
        tx,
        favourites,
        {
            "id": favourite_id,
            "account_id": account_id,
            "status_id": status.id,
            "uri": uris.activity_uri(tx.settings, username, "likes", favourite_id),
            "created_at": tx.now,
        },
    )
    if inserted:
        adjust_counter(tx, status.id, "favourites_count", +1)
    return inserted


def copy_block(tx: Tx, account_id: int, target_id: int) -> None:
    """Block the account as `account_id` (see the module docstring)."""
    blocks_mutes.block(tx, account_id, target_id)
