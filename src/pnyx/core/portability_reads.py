"""What another server may copy of an account the person authorized it to copy (LOLA).

LOLA (the SocialWeb CG's live online account portability) lets a person's new server pull
their account from the old one, with a token the person granted at the old server for the
`activitypub_account_portability` scope. That token opens this account's whole content, its
private posts included, and its likes and blocks: the person chose to take them along. It
opens nothing else, and no other account.

The pages are keyset pages by id, newest first, as the outbox's are: a copy that runs for a
while sees every row once even while the person keeps posting.
"""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.core import scopes
from pnyx.core.oauth import lookup_viewer
from pnyx.db.engine import Tx
from pnyx.db.tables import accounts, blocks, favourites, statuses

PAGE = 40


def authorized(tx: Tx, token: str | None, account_id: int) -> bool:
    """Whether `token` is a portability grant of this very account."""
    viewer = lookup_viewer(tx, token)
    return (
        viewer is not None
        and viewer.account_id == account_id
        and scopes.PORTABILITY in viewer.scopes
    )


def content_page(tx: Tx, account_id: int, max_id: int | None) -> list[int]:
    """Ids of the account's own posts (boosts are not content), newest first, below
    `max_id`. Every visibility: the token was granted by their author."""
    query = sa.select(statuses.c.id).where(
        statuses.c.account_id == account_id,
        statuses.c.reblog_of_id.is_(None),
    )
    if max_id is not None:
        query = query.where(statuses.c.id < max_id)
    return tx.scalars(query.order_by(statuses.c.id.desc()).limit(PAGE))


def content_count(tx: Tx, account_id: int) -> int:
    return tx.scalar(
        sa.select(sa.func.count())
        .select_from(statuses)
        .where(
            statuses.c.account_id == account_id,
            statuses.c.reblog_of_id.is_(None),
        )
    )


def liked_page(tx: Tx, account_id: int, max_id: int | None) -> list[tuple[int, str]]:
    """(favourite id, liked post's uri) of the account's favourites, newest first."""
    query = (
        sa.select(favourites.c.id, statuses.c.uri)
        .join(statuses, statuses.c.id == favourites.c.status_id)
        .where(favourites.c.account_id == account_id)
    )
    if max_id is not None:
        query = query.where(favourites.c.id < max_id)
    rows = tx.rows(query.order_by(favourites.c.id.desc()).limit(PAGE))
    return [(row.id, row.uri) for row in rows]


def blocked_page(tx: Tx, account_id: int, max_id: int | None) -> list[tuple[int, str]]:
    """(block id, blocked actor's uri) of the blocks the person made by hand, newest first
    (blocks made by a subscribed block list belong to that list, not to the person)."""
    query = (
        sa.select(blocks.c.id, accounts.c.uri)
        .join(accounts, accounts.c.id == blocks.c.target_account_id)
        .where(blocks.c.account_id == account_id, blocks.c.source_list_id.is_(None))
    )
    if max_id is not None:
        query = query.where(blocks.c.id < max_id)
    rows = tx.rows(query.order_by(blocks.c.id.desc()).limit(PAGE))
    return [(row.id, row.uri) for row in rows]


def liked_count(tx: Tx, account_id: int) -> int:
    return tx.scalar(
        sa.select(sa.func.count())
        .select_from(favourites)
        .where(favourites.c.account_id == account_id)
    )


def blocked_count(tx: Tx, account_id: int) -> int:
    return tx.scalar(
        sa.select(sa.func.count())
        .select_from(blocks)
        .where(blocks.c.account_id == account_id, blocks.c.source_list_id.is_(None))
    )
