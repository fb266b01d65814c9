"""account_conversations: direct conversations as each participant here sees them

Revision ID: 0011
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

import pnyx.db.types

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "account_conversations",
        sa.Column("id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("conversation_id", ID, nullable=False),
        sa.Column("participant_ids", sa.JSON(), nullable=False),
        sa.Column("last_status_id", ID, nullable=True),
        sa.Column("unread", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("updated_at", pnyx.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_conversations")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_account_conversations_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["last_status_id"],
            ["statuses.id"],
            name=op.f("fk_account_conversations_last_status_id_statuses"),
            ondelete="SET NULL",
        ),
        sa.UniqueConstraint(
            "account_id",
            "conversation_id",
            name=op.f("uq_account_conversations_account_id_conversation_id"),
        ),
    )
    op.create_index(
        op.f("ix_account_conversations_account_id_last_status_id"),
        "account_conversations",
        ["account_id", "last_status_id"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_account_conversations_account_id_last_status_id"),
        table_name="account_conversations",
    )
    op.drop_table("account_conversations")
