"""account moves: the moves local accounts made, for the cooldown and the history

Revision ID: 0041
Revises: 0040

Issue 14's moves (Mastodon's `account_migrations`): each move a local account made to another
account, kept so that a second move waits for the cooldown (PNYX_MOVE_COOLDOWN_DAYS) and the
person sees where they went. The aliases need no table: they are `accounts.also_known_as`.
"""

import sqlalchemy as sa
from alembic import op

import pnyx.db.types

revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = pnyx.db.types.UTCDateTime()


def upgrade() -> None:
    op.create_table(
        "account_moves",
        sa.Column("id", ID, autoincrement=False, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("target_account_id", ID, nullable=True),
        sa.Column("target_uri", sa.String(length=2048), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_account_moves_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_account_id"],
            ["accounts.id"],
            name=op.f("fk_account_moves_target_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_moves")),
    )
    op.create_index("ix_account_moves_account_id", "account_moves", ["account_id", "created_at"])
    op.create_index("ix_account_moves_target_account_id", "account_moves", ["target_account_id"])


def downgrade() -> None:
    op.drop_index("ix_account_moves_target_account_id", table_name="account_moves")
    op.drop_index("ix_account_moves_account_id", table_name="account_moves")
    op.drop_table("account_moves")
