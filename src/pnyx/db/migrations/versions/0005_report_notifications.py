"""notifications: the report an `admin.report` notification is about

Revision ID: 0005
Revises: 0004

Moderators are notified of each new report (Mastodon's `admin.report` type, whose entity
carries the Report). The notification goes with its report.
"""

import warnings

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite cannot add a foreign key in place: batch mode copies the table (PostgreSQL alters).
    # Reflecting the tables it refers to, SQLAlchemy warns that it skips expression indexes
    # (of accounts and users, which are not copied): nothing an operator needs to see.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        _add_report_id()


def _add_report_id() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "report_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_notifications_report_id_reports"),
            "reports",
            ["report_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        _drop_report_id()


def _drop_report_id() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_notifications_report_id_reports"), type_="foreignkey"
        )
        batch_op.drop_column("report_id")
