"""Notifications and what decides them (policies, requests, permissions), direct
conversations, read markers."""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.db.tables.base import ID, created_column, foreign_key, id_column, metadata
from pnyx.db.types import UTCDateTime

# --- Notifications and markers -----------------------------------------------------------

notifications = sa.Table(
    "notifications",
    metadata,
    id_column(),
    foreign_key("account_id", "accounts.id"),  # who is notified
    foreign_key("from_account_id", "accounts.id"),
    sa.Column("type", sa.String(32), nullable=False),
    foreign_key("status_id", "statuses.id", nullable=True),
    foreign_key("report_id", "reports.id", nullable=True),  # an admin.report's report
    # A moderation_warning's strike; a severed_relationships' event, as its recipient lost it.
    foreign_key("account_warning_id", "account_warnings.id", nullable=True),
    foreign_key("severance_id", "account_severances.id", nullable=True),
    # Held back by the recipient's notification policy: listed under its request, not in the
    # notifications (Mastodon's filtered notifications).
    sa.Column("filtered", sa.Boolean, nullable=False, server_default=sa.false()),
    created_column(),
)
sa.Index("ix_notifications_account_id_id", notifications.c.account_id, notifications.c.id)

# Whose notifications someone wants to see (Mastodon 4.3's notification policy): per kind of
# sender, accept, filter (kept aside as a request) or drop. No row: everything accepted.
notification_policies = sa.Table(
    "notification_policies",
    metadata,
    sa.Column("account_id", ID, sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("for_not_following", sa.String(8), nullable=False, server_default="accept"),
    sa.Column("for_not_followers", sa.String(8), nullable=False, server_default="accept"),
    sa.Column("for_new_accounts", sa.String(8), nullable=False, server_default="accept"),
    sa.Column("for_private_mentions", sa.String(8), nullable=False, server_default="accept"),
    sa.Column("for_limited_accounts", sa.String(8), nullable=False, server_default="accept"),
)

# The filtered notifications of one sender, waiting for the recipient to accept or dismiss
# them; accepting also lets that sender's later notifications through (a permission).
notification_requests = sa.Table(
    "notification_requests",
    metadata,
    id_column(),
    foreign_key("account_id", "accounts.id"),  # the recipient
    foreign_key("from_account_id", "accounts.id"),
    foreign_key("last_status_id", "statuses.id", nullable=True, ondelete="SET NULL"),
    sa.Column("notifications_count", sa.Integer, nullable=False, server_default="0"),
    created_column(),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("account_id", "from_account_id"),
)

# Direct conversations as each participant here sees them (Mastodon's AccountConversation):
# who else is in it, the newest message, and whether it is unread.
account_conversations = sa.Table(
    "account_conversations",
    metadata,
    id_column(),
    foreign_key("account_id", "accounts.id"),
    sa.Column("conversation_id", ID, nullable=False),
    sa.Column("participant_ids", sa.JSON, nullable=False, default=list),  # others, sorted
    foreign_key("last_status_id", "statuses.id", nullable=True, ondelete="SET NULL"),
    sa.Column("unread", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("account_id", "conversation_id"),
)
sa.Index(
    "ix_account_conversations_account_id_last_status_id",
    account_conversations.c.account_id,
    account_conversations.c.last_status_id,
)

notification_permissions = sa.Table(
    "notification_permissions",
    metadata,
    id_column(),
    foreign_key("account_id", "accounts.id"),
    foreign_key("from_account_id", "accounts.id"),
    created_column(),
    sa.UniqueConstraint("account_id", "from_account_id"),
)

markers = sa.Table(
    "markers",
    metadata,
    foreign_key("account_id", "accounts.id"),
    sa.Column("timeline", sa.String(32), nullable=False),  # home / notifications
    sa.Column("last_read_id", ID, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.PrimaryKeyConstraint("account_id", "timeline"),
)
