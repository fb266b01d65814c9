"""The durable job queue."""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.db.tables.base import created_column, id_column, metadata
from pnyx.db.types import UTCDateTime

# --- Jobs ---------------------------------------------------------------------------------

jobs = sa.Table(
    "jobs",
    metadata,
    id_column(),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("run_at", UTCDateTime, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("max_attempts", sa.Integer, nullable=False, server_default="8"),
    sa.Column("locked_by", sa.String(128), nullable=True),
    sa.Column("locked_until", UTCDateTime, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("failed_at", UTCDateTime, nullable=True),  # gave up; kept for inspection
    # At most one live (not failed) job per key: see ux_jobs_unique_key below.
    sa.Column("unique_key", sa.String(255), nullable=True),
    created_column(),
    # Which workers take it: "inbox", "deliver" or "default" (jobs.queue.queue_for).
    sa.Column("queue", sa.String(16), nullable=False, server_default="default"),
)
sa.Index("ix_jobs_run_at", jobs.c.failed_at, jobs.c.run_at)
# A worker serving some queues only (the one kept for inbox work) finds its due jobs here.
sa.Index(
    "ix_jobs_queue",
    jobs.c.queue,
    jobs.c.run_at,
    sqlite_where=jobs.c.failed_at.is_(None),
    postgresql_where=jobs.c.failed_at.is_(None),
)
# A failed job is kept for inspection but does not hold its key: the same work can be
# enqueued again. Enqueue inserts with ON CONFLICT DO NOTHING against this index.
sa.Index(
    "ux_jobs_unique_key",
    jobs.c.unique_key,
    unique=True,
    sqlite_where=jobs.c.failed_at.is_(None),
    postgresql_where=jobs.c.failed_at.is_(None),
)
