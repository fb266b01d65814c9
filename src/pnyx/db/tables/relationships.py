"""Follows, follow requests, blocks, mutes, private notes on accounts."""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.db.tables.base import ID, created_column, foreign_key, id_column, metadata
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
    # Made by a block list the blocker subscribes to (core.moderation_lists); NULL: by hand.
    sa.Column("source_list_id", ID, nullable=True),
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
    sa.Column("source_list_id", ID, nullable=True),  # as blocks'
    created_column(),
    sa.UniqueConstraint("account_id", "target_account_id"),
)

# What an account's timelines are decided with moved on (migration 0032's triggers), so its
# rules can be kept in memory between requests (`core.viewer_rules`). No foreign key.
viewer_versions = sa.Table(
    "viewer_versions",
    metadata,
    sa.Column("account_id", ID, primary_key=True, autoincrement=False),
    sa.Column("version", sa.BigInteger, nullable=False, server_default="0"),
)

account_notes = sa.Table(
    "account_notes",
    metadata,
    foreign_key("account_id", "accounts.id"),
    foreign_key("target_account_id", "accounts.id"),
    sa.Column("comment", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("account_id", "target_account_id"),
)

# Follows ended by a block of a whole server, the person's own or the staff's (Mastodon's
# RelationshipSeveranceEvent): one row per block ...
severance_events = sa.Table(
    "severance_events",
    metadata,
    id_column(),
    sa.Column("type", sa.String(32), nullable=False),  # domain_block, user_domain_block ...
    sa.Column("target_name", sa.String(255), nullable=False),  # the server's name
    sa.Column("purged", sa.Boolean, nullable=False, server_default=sa.false()),
    created_column(),
)

# ... and one per person here who lost follows by it, with how many each way; their
# `severed_relationships` notification points at it.
account_severances = sa.Table(
    "account_severances",
    metadata,
    id_column(),
    foreign_key("account_id", "accounts.id"),
    foreign_key("severance_event_id", "severance_events.id"),
    sa.Column("followers_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("following_count", sa.Integer, nullable=False, server_default="0"),
    created_column(),
    sa.UniqueConstraint("account_id", "severance_event_id"),
)
