"""account exports: archives and their parts

Revision ID: 0039
Revises: 0038

Issue 14's export: an archive of everything a person has here, built by a job, kept until it expires.
"""

import sqlalchemy as sa
from alembic import op

import pnyx.db.types

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = pnyx.db.types.UTCDateTime()
UNFINISHED = "state IN ('queued', 'running')"


def upgrade() -> None:
    op.create_table(
        "account_exports",
        sa.Column("id", ID, autoincrement=False, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("state", sa.String(length=16), server_default="queued", nullable=False),
        sa.Column("done", sa.Integer(), server_default="0", nullable=False),
        sa.Column("total", sa.Integer(), server_default="0", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("key_prefix", sa.String(length=255), nullable=False),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("started_at", TIME, nullable=True),
        sa.Column("finished_at", TIME, nullable=True),
        sa.Column("expires_at", TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_account_exports_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_exports")),
    )
    op.create_index("ix_account_exports_account_id", "account_exports", ["account_id", "id"])
    op.create_index("ix_account_exports_state", "account_exports", ["state", "expires_at"])
    op.create_index(
        "ux_account_exports_unfinished",
        "account_exports",
        ["account_id"],
        unique=True,
        sqlite_where=sa.text(UNFINISHED),
        postgresql_where=sa.text(UNFINISHED),
    )


def downgrade() -> None:
    op.drop_index("ux_account_exports_unfinished", table_name="account_exports")
    op.drop_index("ix_account_exports_state", table_name="account_exports")
    op.drop_index("ix_account_exports_account_id", table_name="account_exports")
    op.drop_table("account_exports")
