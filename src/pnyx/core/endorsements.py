"""Endorsements: accounts a person features on their profile (Mastodon's account pins).

As Mastodon: only an account one follows may be endorsed ("You must be already following the
person you want to endorse"), and unfollowing ends the endorsement (`follows.delete_follow`).
Anyone may read whom an account endorses, minus what the reader may not see (`SHOWN`).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from pnyx.core.account_visibility import LISTED, SHOWN, account_visible_condition
from pnyx.core.errors import Invalid
from pnyx.core.follows import is_following, known_account
from pnyx.core.paging import Page, fetch
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.insert_ignore import insert_ignore
from pnyx.db.tables import account_pins, accounts

NOT_FOLLOWING = "You must be already following the person you want to endorse"


def endorse(tx: Tx, account_id: int, target_id: int) -> None:
    known_account(tx, target_id)
    if not is_following(tx, account_id, target_id):
        raise Invalid(NOT_FOLLOWING)
    insert_ignore(
        tx,
        account_pins,
        {
            "id": new_id(),
            "account_id": account_id,
            "target_account_id": target_id,
            "created_at": tx.now,
        },
    )


def unendorse(tx: Tx, account_id: int, target_id: int) -> None:
    known_account(tx, target_id)
    tx.execute(
        account_pins.delete().where(
            account_pins.c.account_id == account_id,
            account_pins.c.target_account_id == target_id,
        )
    )


def endorsed_ids(tx: Tx, account_id: int, target_ids: list[int]) -> set[int]:
    """Which of `target_ids` the account endorses (the Relationship's `endorsed`)."""
    if not target_ids:
        return set()
    return set(
        tx.scalars(
            sa.select(account_pins.c.target_account_id).where(
                account_pins.c.account_id == account_id,
                account_pins.c.target_account_id.in_(target_ids),
            )
        )
    )


def endorsed(tx: Tx, owner_id: int, viewer_id: int | None, wanted: Page) -> list[Any]:
    """The accounts `owner_id` endorses, newest endorsement first; rows carry `cursor_id`.
    The owner sees their own list whole (LISTED); others what they may see (SHOWN)."""
    rule = LISTED if viewer_id == owner_id else SHOWN
    query = (
        sa.select(accounts, account_pins.c.id.label("cursor_id"))
        .select_from(account_pins.join(accounts, accounts.c.id == account_pins.c.target_account_id))
        .where(
            account_pins.c.account_id == owner_id,
            account_visible_condition(rule, accounts, viewer_id, tx.now),
        )
    )
    return fetch(tx, query, account_pins.c.id, wanted)
