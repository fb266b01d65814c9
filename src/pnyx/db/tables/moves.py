"""The moves a local account made to another account (issue 14, Mastodon's
`account_migrations`).

A move is kept for two reasons: the cooldown (an account moves again only
`PNYX_MOVE_COOLDOWN_DAYS` after its last move, as Mastodon's 30 days) and the history the
person sees in their settings. The target's uri is kept beside its id, so the history still
says where the account went if that account's row is ever removed here.

Aliases need no table of their own: they are `accounts.also_known_as`, the list of uris the
actor document publishes as `alsoKnownAs`.
"""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.db.tables.base import created_column, foreign_key, id_column, metadata

account_moves = sa.Table(
    "account_moves",
    metadata,
    id_column(),
    foreign_key("account_id", "accounts.id"),  # the account that moved (a local one)
    foreign_key("target_account_id", "accounts.id", nullable=True, ondelete="SET NULL"),
    sa.Column("target_uri", sa.String(2048), nullable=False),
    created_column(),
)
sa.Index("ix_account_moves_account_id", account_moves.c.account_id, account_moves.c.created_at)
sa.Index("ix_account_moves_target_account_id", account_moves.c.target_account_id)

__all__ = ["account_moves"]
