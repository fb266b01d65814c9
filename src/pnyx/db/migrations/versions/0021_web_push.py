"""web_push_subscriptions: one Web Push subscription per access token

Revision ID: 0021
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

import pnyx.db.types

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "web_push_subscriptions",
        sa.Column("id", ID, primary_key=True, autoincrement=False),
        sa.Column("access_token_id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("endpoint", sa.String(length=2048), nullable=False),
        sa.Column("key_p256dh", sa.String(length=256), nullable=False),
        sa.Column("key_auth", sa.String(length=128), nullable=False),
        sa.Column("standard", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("alerts", sa.String(length=512), server_default="", nullable=False),
        sa.Column("policy", sa.String(length=16), server_default="all", nullable=False),
        sa.Column("access_token", sa.String(length=512), nullable=False),
        sa.Column("created_at", pnyx.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", pnyx.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["access_token_id"],
            ["oauth_tokens.id"],
            name=op.f("fk_web_push_subscriptions_access_token_id_oauth_tokens"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_web_push_subscriptions_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_push_subscriptions")),
        sa.UniqueConstraint(
            "access_token_id", name=op.f("uq_web_push_subscriptions_access_token_id")
        ),
    )
    op.create_index("ix_web_push_subscriptions_account", "web_push_subscriptions", ["account_id"])


def downgrade() -> None:
    op.drop_index("ix_web_push_subscriptions_account", table_name="web_push_subscriptions")
    op.drop_table("web_push_subscriptions")
