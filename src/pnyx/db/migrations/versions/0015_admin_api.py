"""admin API: domain blocks, report assignment, the domain a moderation log entry is about

Revision ID: 0015
Revises: 0011

Mastodon's admin API: `domain_blocks` (suspend, silence or noop, with the media and report
flags and the comments), the moderator a report is assigned to and the one who resolved it,
and `moderation_log.target_domain` for actions on a domain rather than an account.
"""

import warnings

import sqlalchemy as sa
from alembic import op

import pnyx.db.types

revision = "0015"
down_revision = "0011"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "domain_blocks",
        sa.Column("id", ID, autoincrement=False, nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("severity", sa.String(length=16), server_default="silence", nullable=False),
        sa.Column("reject_media", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("reject_reports", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("private_comment", sa.Text(), nullable=True),
        sa.Column("public_comment", sa.Text(), nullable=True),
        sa.Column("obfuscate", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", pnyx.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", pnyx.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_domain_blocks")),
        sa.UniqueConstraint("domain", name=op.f("uq_domain_blocks_domain")),
    )
    with op.batch_alter_table("moderation_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("target_domain", sa.String(length=255), nullable=True))
    # SQLite cannot add a foreign key in place: batch mode copies the table (PostgreSQL
    # alters). Reflecting the tables it refers to, SQLAlchemy warns that it skips expression
    # indexes (of accounts and users, which are not copied): nothing an operator needs to see.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        _report_columns()


def _report_columns() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assigned_account_id", ID, nullable=True))
        batch_op.add_column(sa.Column("action_taken_by_account_id", ID, nullable=True))
        batch_op.add_column(sa.Column("updated_at", pnyx.db.types.UTCDateTime(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_reports_assigned_account_id_accounts"),
            "accounts",
            ["assigned_account_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_reports_action_taken_by_account_id_accounts"),
            "accounts",
            ["action_taken_by_account_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        with op.batch_alter_table("reports", schema=None) as batch_op:
            batch_op.drop_constraint(
                batch_op.f("fk_reports_action_taken_by_account_id_accounts"), type_="foreignkey"
            )
            batch_op.drop_constraint(
                batch_op.f("fk_reports_assigned_account_id_accounts"), type_="foreignkey"
            )
            batch_op.drop_column("updated_at")
            batch_op.drop_column("action_taken_by_account_id")
            batch_op.drop_column("assigned_account_id")
    with op.batch_alter_table("moderation_log", schema=None) as batch_op:
        batch_op.drop_column("target_domain")
    op.drop_table("domain_blocks")
