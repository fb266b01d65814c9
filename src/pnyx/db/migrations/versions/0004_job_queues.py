"""jobs: a queue per kind of work, and unique keys that only hold while a job is live

Revision ID: 0004
Revises: 0003

The unique constraint on `jobs.unique_key` becomes a partial unique index over jobs that have
not failed, so a permanently failed job no longer blocks the same work from being enqueued
again. Jobs already queued get the queue their kind belongs to (jobs.queue.QUEUES).
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# The kinds outside the "default" queue when this migration was written.
_QUEUE_OF_KIND = {
    "inbox.process": "inbox",
    "mentions.resolve": "inbox",
    "account.backfill": "inbox",
    "deliver": "deliver",
}


def upgrade() -> None:
    op.add_column(
        "jobs",
        sa.Column("queue", sa.String(length=16), server_default="default", nullable=False),
    )
    jobs = sa.table("jobs", sa.column("kind", sa.String), sa.column("queue", sa.String))
    for kind, queue in _QUEUE_OF_KIND.items():
        op.execute(jobs.update().where(jobs.c.kind == kind).values(queue=queue))
    live = sa.text("failed_at IS NULL")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_constraint("uq_jobs_unique_key", type_="unique")
        batch_op.create_index(
            "ux_jobs_unique_key",
            ["unique_key"],
            unique=True,
            sqlite_where=live,
            postgresql_where=live,
        )
        batch_op.create_index(
            "ix_jobs_queue",
            ["queue", "run_at"],
            unique=False,
            sqlite_where=live,
            postgresql_where=live,
        )


def downgrade() -> None:
    # Failed jobs give their keys up: a live job may hold the same key now.
    op.execute("UPDATE jobs SET unique_key = NULL WHERE failed_at IS NOT NULL")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_queue")
        batch_op.drop_index("ux_jobs_unique_key")
        batch_op.create_unique_constraint("uq_jobs_unique_key", ["unique_key"])
        batch_op.drop_column("queue")
