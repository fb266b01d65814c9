"""Announcements staff make to everyone here, who has read them, and people's reactions."""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.db.tables.base import created_column, foreign_key, id_column, metadata
from pnyx.db.types import UTCDateTime

announcements = sa.Table(
    "announcements",
    metadata,
    id_column(),
    sa.Column("text", sa.Text, nullable=False),  # as staff wrote it; rendered on read
    sa.Column("starts_at", UTCDateTime, nullable=True),
    sa.Column("ends_at", UTCDateTime, nullable=True),
    sa.Column("all_day", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("published_at", UTCDateTime, nullable=True),  # NULL: a draft
    created_column(),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)
# Who dismissed (read) which announcement.
announcement_reads = sa.Table(
    "announcement_reads",
    metadata,
    foreign_key("announcement_id", "announcements.id"),
    foreign_key("account_id", "accounts.id"),
    sa.PrimaryKeyConstraint("announcement_id", "account_id"),
)
sa.Index("ix_announcement_reads_account_id", announcement_reads.c.account_id)
announcement_reactions = sa.Table(
    "announcement_reactions",
    metadata,
    id_column(),
    foreign_key("announcement_id", "announcements.id"),
    foreign_key("account_id", "accounts.id"),
    sa.Column("name", sa.String(64), nullable=False),  # a unicode emoji or a local shortcode
    foreign_key("custom_emoji_id", "custom_emojis.id", nullable=True),
    created_column(),
    sa.UniqueConstraint("announcement_id", "account_id", "name"),
)
