"""Posts written now to be published later: what the author asked for, kept until its time.

`params` holds the post as `core.statuses.StatusInput` takes it (text, visibility, poll ...),
so that publishing goes through the one write path. The media a scheduled post will carry are
reserved for it (`media_attachments.scheduled_status_id`) so that nothing else takes them.
"""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.db.tables.base import created_column, foreign_key, id_column, metadata
from pnyx.db.types import UTCDateTime

scheduled_statuses = sa.Table(
    "scheduled_statuses",
    metadata,
    id_column(),
    foreign_key("account_id", "accounts.id"),
    sa.Column("scheduled_at", UTCDateTime, nullable=False),
    sa.Column("params", sa.JSON, nullable=False),
    foreign_key("application_id", "oauth_apps.id", nullable=True, ondelete="SET NULL"),
    created_column(),
)
sa.Index(
    "ix_scheduled_statuses_account_id_scheduled_at",
    scheduled_statuses.c.account_id,
    scheduled_statuses.c.scheduled_at,
)
