"""Follows, follow requests, blocks, mutes, private notes on accounts."""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.db.tables.base import created_column, foreign_key, id_column, metadata
from pnyx.db.types import UTCDateTime

# --- Relationships ------------------------------------------------------------------------

follows = sa.Table(
    "follows",
    metadata,
    id_column(),
    foreign_key("account_id", "accounts.id"),
    foreign_key("target_account_id", "accounts.id"),
    sa.Column("show_reblogs", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("notify", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("languages", sa.JSON, nullable=True),
    sa.Column("uri", sa.String(2048), nullable=True),
    created_column(),
    sa.UniqueConstraint("account_id", "target_account_id"),
)
sa.Index("ix_follows_target_account_id", follows.c.target_account_id)

follow_requests = sa.Table(
    "follow_requests",
    metadata,
    id_column(),
    foreign_key("account_id", "accounts.id"),
    foreign_key("target_account_id", "accounts.id"),
    sa.Column("show_reblogs", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("notify", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("languages", sa.JSON, nullable=True),
    sa.Column("uri", sa.String(2048), nullable=True),
    created_column(),
    sa.UniqueConstraint("account_id", "target_account_id"),
)
sa.Index("ix_follow_requests_target_account_id", follow_requests.c.target_account_id)

blocks = sa.Table(
    "blocks",
    metadata,
    id_column(),
    foreign_key("account_id", "accounts.id"),
    foreign_key("target_account_id", "accounts.id"),
    sa.Column("uri", sa.String(2048), nullable=True),
    created_column(),
    sa.UniqueConstraint("account_id", "target_account_id"),
)
sa.Index("ix_blocks_target_account_id", blocks.c.target_account_id)

mutes = sa.Table(
    "mutes",
    metadata,
    id_column(),
    foreign_key("account_id", "accounts.id"),
    foreign_key("target_account_id", "accounts.id"),
    sa.Column("hide_notifications", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("expires_at", UTCDateTime, nullable=True),
    created_column(),
    sa.UniqueConstraint("account_id", "target_account_id"),
)

account_notes = sa.Table(
    "account_notes",
    metadata,
    foreign_key("account_id", "accounts.id"),
    foreign_key("target_account_id", "accounts.id"),
    sa.Column("comment", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("account_id", "target_account_id"),
)
