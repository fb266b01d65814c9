"""notifications: the recipient's policy, filtered notifications and their requests

Revision ID: 0009
Revises: 0008

Mastodon 4.3's notification policy: per kind of sender, notifications are accepted, filtered
(kept aside under a request per sender, which the recipient accepts or dismisses) or dropped.
"""

import warnings

import sqlalchemy as sa
from alembic import op

import pnyx.db.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _fk(table: str, column: str, target: str, *, ondelete: str = "CASCADE"):
    """A foreign key named as db/tables' naming convention names it."""
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    op.create_table(
        "notification_policies",
        sa.Column("account_id", ID, nullable=False),
        sa.Column("for_not_following", sa.String(8), server_default="accept", nullable=False),
        sa.Column("for_not_followers", sa.String(8), server_default="accept", nullable=False),
        sa.Column("for_new_accounts", sa.String(8), server_default="accept", nullable=False),
        sa.Column("for_private_mentions", sa.String(8), server_default="accept", nullable=False),
        sa.Column("for_limited_accounts", sa.String(8), server_default="accept", nullable=False),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_notification_policies")),
        _fk("notification_policies", "account_id", "accounts"),
    )
    op.create_table(
        "notification_requests",
        sa.Column("id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("from_account_id", ID, nullable=False),
        sa.Column("last_status_id", ID, nullable=True),
        sa.Column("notifications_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", pnyx.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", pnyx.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_requests")),
        _fk("notification_requests", "account_id", "accounts"),
        _fk("notification_requests", "from_account_id", "accounts"),
        _fk("notification_requests", "last_status_id", "statuses", ondelete="SET NULL"),
        sa.UniqueConstraint(
            "account_id",
            "from_account_id",
            name=op.f("uq_notification_requests_account_id_from_account_id"),
        ),
    )
    op.create_table(
        "notification_permissions",
        sa.Column("id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("from_account_id", ID, nullable=False),
        sa.Column("created_at", pnyx.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_permissions")),
        _fk("notification_permissions", "account_id", "accounts"),
        _fk("notification_permissions", "from_account_id", "accounts"),
        sa.UniqueConstraint(
            "account_id",
            "from_account_id",
            name=op.f("uq_notification_permissions_account_id_from_account_id"),
        ),
    )
    # A plain ADD COLUMN (no key): SQLite does it in place.
    op.add_column(
        "notifications",
        sa.Column("filtered", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        with op.batch_alter_table("notifications", schema=None) as batch_op:
            batch_op.drop_column("filtered")
    op.drop_table("notification_permissions")
    op.drop_table("notification_requests")
    op.drop_table("notification_policies")
