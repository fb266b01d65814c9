"""account warnings, relationship severance events, and the notifications that carry them

Revision ID: 0023
Revises: 0017

The staff's strikes (Mastodon's AccountWarning, told in a `moderation_warning` notification)
and follows ended by blocks of whole servers (RelationshipSeveranceEvent, per person
AccountRelationshipSeveranceEvent, told in a `severed_relationships` notification).
"""

import warnings

import sqlalchemy as sa
from alembic import op

import pnyx.db.types

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    _account_warnings()
    _severances()
    _notifications()


def _account_warnings() -> None:
    op.create_table(
        "account_warnings",
        sa.Column("id", ID, autoincrement=False, nullable=False),
        sa.Column("account_id", ID, nullable=True),
        sa.Column("target_account_id", ID, nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), server_default="", nullable=False),
        sa.Column("status_ids", sa.JSON(), nullable=True),
        sa.Column("report_id", ID, nullable=True),
        sa.Column("created_at", pnyx.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_account_warnings_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["target_account_id"],
            ["accounts.id"],
            name=op.f("fk_account_warnings_target_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_account_warnings_report_id_reports"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_warnings")),
    )
    op.create_index(
        op.f("ix_account_warnings_target_account_id"),
        "account_warnings",
        ["target_account_id"],
    )


def _severances() -> None:
    op.create_table(
        "severance_events",
        sa.Column("id", ID, autoincrement=False, nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("target_name", sa.String(length=255), nullable=False),
        sa.Column("purged", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", pnyx.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_severance_events")),
    )
    op.create_table(
        "account_severances",
        sa.Column("id", ID, autoincrement=False, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("severance_event_id", ID, nullable=False),
        sa.Column("followers_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("following_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", pnyx.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_account_severances_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["severance_event_id"],
            ["severance_events.id"],
            name=op.f("fk_account_severances_severance_event_id_severance_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_severances")),
        sa.UniqueConstraint(
            "account_id",
            "severance_event_id",
            name=op.f("uq_account_severances_account_id_severance_event_id"),
        ),
    )


def _notifications() -> None:
    # SQLite cannot add a foreign key in place: batch mode copies the table (as 0005 does).
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        with op.batch_alter_table("notifications", schema=None) as batch_op:
            batch_op.add_column(sa.Column("account_warning_id", ID, nullable=True))
            batch_op.add_column(sa.Column("severance_id", ID, nullable=True))
            batch_op.create_foreign_key(
                batch_op.f("fk_notifications_account_warning_id_account_warnings"),
                "account_warnings",
                ["account_warning_id"],
                ["id"],
                ondelete="CASCADE",
            )
            batch_op.create_foreign_key(
                batch_op.f("fk_notifications_severance_id_account_severances"),
                "account_severances",
                ["severance_id"],
                ["id"],
                ondelete="CASCADE",
            )


def downgrade() -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        with op.batch_alter_table("notifications", schema=None) as batch_op:
            batch_op.drop_constraint(
                batch_op.f("fk_notifications_severance_id_account_severances"),
                type_="foreignkey",
            )
            batch_op.drop_constraint(
                batch_op.f("fk_notifications_account_warning_id_account_warnings"),
                type_="foreignkey",
            )
            batch_op.drop_column("severance_id")
            batch_op.drop_column("account_warning_id")
    op.drop_table("account_severances")
    op.drop_table("severance_events")
    op.drop_index(op.f("ix_account_warnings_target_account_id"), table_name="account_warnings")
    op.drop_table("account_warnings")
