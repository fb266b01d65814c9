"""federation: instance state, remote domains, seen activities, tombstones

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import pnyx.db.types

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_key_id", sa.String(length=2048), nullable=True))
        batch_op.create_index("ix_accounts_public_key_id", ["public_key_id"], unique=False)
    op.create_table(
        "instance_state",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_instance_state")),
    )
    op.create_table(
        "domains",
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("first_failure_at", pnyx.db.types.UTCDateTime(), nullable=True),
        sa.Column("unavailable_since", pnyx.db.types.UTCDateTime(), nullable=True),
        sa.Column("last_success_at", pnyx.db.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("domain", name=op.f("pk_domains")),
    )
    op.create_table(
        "seen_activities",
        sa.Column("id", ID, autoincrement=False, nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column("created_at", pnyx.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seen_activities")),
        sa.UniqueConstraint("uri", name=op.f("uq_seen_activities_uri")),
    )
    op.create_table(
        "tombstones",
        sa.Column("id", ID, autoincrement=False, nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column("created_at", pnyx.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tombstones")),
        sa.UniqueConstraint("uri", name=op.f("uq_tombstones_uri")),
    )

    op.create_table(
        "reports",
        sa.Column("id", ID, autoincrement=False, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("target_account_id", ID, nullable=False),
        sa.Column("status_ids", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), server_default="", nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=True),
        sa.Column("resolved_at", pnyx.db.types.UTCDateTime(), nullable=True),
        sa.Column("created_at", pnyx.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_reports_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_account_id"],
            ["accounts.id"],
            name=op.f("fk_reports_target_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint("uri", name=op.f("uq_reports_uri")),
    )

    op.create_table(
        "media_attachments",
        sa.Column("id", ID, autoincrement=False, nullable=False),
        sa.Column("status_id", ID, nullable=True),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("preview_url", sa.String(length=2048), nullable=True),
        sa.Column("remote_url", sa.String(length=2048), nullable=True),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("blurhash", sa.String(length=100), nullable=True),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", pnyx.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_media_attachments_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["status_id"],
            ["statuses.id"],
            name=op.f("fk_media_attachments_status_id_statuses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_attachments")),
    )
    with op.batch_alter_table("media_attachments", schema=None) as batch_op:
        batch_op.create_index("ix_media_attachments_status_id", ["status_id"], unique=False)


def downgrade() -> None:
    op.drop_table("media_attachments")
    op.drop_table("reports")
    op.drop_table("tombstones")
    op.drop_table("seen_activities")
    op.drop_table("domains")
    op.drop_table("instance_state")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_accounts_public_key_id")
        batch_op.drop_column("public_key_id")
