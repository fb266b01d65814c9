"""quotes: posts quoting posts (Mastodon 4.5, FEP-044f), who may quote a post, and each
user's default for it

Revision ID: 0020
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

import pnyx.db.types

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("statuses", sa.Column("quote_policy", sa.String(length=16), nullable=True))
    op.add_column(
        "users",
        sa.Column(
            "default_quote_policy", sa.String(length=16), server_default="public", nullable=False
        ),
    )
    op.create_table(
        "quotes",
        sa.Column("id", ID, autoincrement=False, nullable=False),
        sa.Column("status_id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("quoted_status_id", ID, nullable=True),
        sa.Column("quoted_account_id", ID, nullable=True),
        sa.Column("quoted_uri", sa.String(length=2048), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("request_uri", sa.String(length=2048), nullable=True),
        sa.Column("approval_uri", sa.String(length=2048), nullable=True),
        sa.Column("created_at", pnyx.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["status_id"],
            ["statuses.id"],
            name=op.f("fk_quotes_status_id_statuses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_quotes_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["quoted_status_id"],
            ["statuses.id"],
            name=op.f("fk_quotes_quoted_status_id_statuses"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["quoted_account_id"],
            ["accounts.id"],
            name=op.f("fk_quotes_quoted_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quotes")),
        sa.UniqueConstraint("status_id", name=op.f("uq_quotes_status_id")),
    )
    op.create_index(
        "ix_quotes_quoted_status_id", "quotes", ["quoted_status_id", "id"], unique=False
    )
    op.create_index("ix_quotes_approval_uri", "quotes", ["approval_uri"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_quotes_approval_uri", table_name="quotes")
    op.drop_index("ix_quotes_quoted_status_id", table_name="quotes")
    op.drop_table("quotes")
    with op.batch_alter_table("statuses") as batch:
        batch.drop_column("quote_policy")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("default_quote_policy")
