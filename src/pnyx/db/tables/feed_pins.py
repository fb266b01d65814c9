"""Feeds a person pinned: each shows up in their Mastodon lists, so any app reads it.

A pin's id lives in a range of its own (bit 62 set, `core.feed_pins`), so it can never be
the id of a real list. `feed_id` is the catalog id ("diverse") or a composed feed's id;
for a composed feed `composed_feed_id` is set too, and deleting that feed removes the pin.
"""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.db.tables.base import created_column, foreign_key, id_column, metadata

feed_pins = sa.Table(
    "feed_pins",
    metadata,
    id_column(),
    foreign_key("account_id", "accounts.id"),  # who pinned it: only they see the list
    sa.Column("feed_id", sa.String(64), nullable=False),
    foreign_key("composed_feed_id", "composed_feeds.id", nullable=True),
    sa.Column("title", sa.String(256), nullable=False),  # the list's title (renamable)
    created_column(),
    sa.UniqueConstraint("account_id", "feed_id"),
)
sa.Index("ix_feed_pins_composed_feed_id", feed_pins.c.composed_feed_id)

__all__ = ["feed_pins"]
