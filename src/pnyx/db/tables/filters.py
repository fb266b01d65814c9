"""People's content filters."""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.db.tables.base import created_column, foreign_key, id_column, metadata
from pnyx.db.types import UTCDateTime

# --- Filters ------------------------------------------------------------------------------

# A person's content filters (Mastodon's CustomFilter): a title, the contexts it applies in
# (home, notifications, public, thread, account), what a match does (warn, hide, blur) and an
# optional end. It matches by keywords and by chosen posts.
custom_filters = sa.Table(
    "custom_filters",
    metadata,
    id_column(),
    foreign_key("account_id", "accounts.id"),
    sa.Column("title", sa.String(256), nullable=False),
    sa.Column("context", sa.JSON, nullable=False, default=list),  # ["home", "thread", ...]
    sa.Column("action", sa.String(8), nullable=False, server_default="warn"),
    sa.Column("expires_at", UTCDateTime, nullable=True),
    created_column(),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)
sa.Index("ix_custom_filters_account_id", custom_filters.c.account_id)

custom_filter_keywords = sa.Table(
    "custom_filter_keywords",
    metadata,
    id_column(),
    foreign_key("custom_filter_id", "custom_filters.id"),
    sa.Column("keyword", sa.String(512), nullable=False),
    sa.Column("whole_word", sa.Boolean, nullable=False, server_default=sa.true()),
    created_column(),
)
sa.Index("ix_custom_filter_keywords_custom_filter_id", custom_filter_keywords.c.custom_filter_id)

custom_filter_statuses = sa.Table(
    "custom_filter_statuses",
    metadata,
    id_column(),
    foreign_key("custom_filter_id", "custom_filters.id"),
    foreign_key("status_id", "statuses.id"),
    created_column(),
    sa.UniqueConstraint("custom_filter_id", "status_id"),
)
