"""Account entities with what they show beyond their rows (roles, moves), loaded per page.

The edges hand a page of account rows here rather than to `entities.account` one by one, so
that every surface shows `roles` and `moved` as Mastodon does, in a fixed number of queries
(`core.account_extras`).
"""

from __future__ import annotations

from collections.abc import Sequence

from pnyx.core import account_extras
from pnyx.db.engine import Tx
from pnyx.presenters import entities


def many(tx: Tx, rows: Sequence) -> list[dict]:
    """The Account entities of `rows`, in their order."""
    return entities.accounts(rows, tx.settings, account_extras.load(tx, rows))


def one(tx: Tx, row) -> dict:
    """One Account entity."""
    return entities.account(row, tx.settings, account_extras.load(tx, [row]))


def one_or_none(tx: Tx, row) -> dict | None:
    """An Account entity, or None where there is no account to show (a field Mastodon nulls)."""
    return one(tx, row) if row is not None else None
