"""account imports: CSV lists and archives

Revision ID: 0040
Revises: 0039

Issue 14's import: Mastodon's CSV files (merge or overwrite) and archives' posts, run by a job.
An import keeps one row per line of its file, so a worker that stops mid-way resumes where it
stopped and does no row twice.
"""

import sqlalchemy as sa
from alembic import op

import pnyx.db.types

revision = "0040"
down_revision = "0039"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = pnyx.db.types.UTCDateTime()


def upgrade() -> None:
    op.create_table(
        "account_imports",
        sa.Column("id", ID, autoincrement=False, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), server_default="scheduled", nullable=False),
        sa.Column("filename", sa.String(length=255), server_default="", nullable=False),
        sa.Column("total", sa.Integer(), server_default="0", nullable=False),
        sa.Column("processed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("imported", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("prepared", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("finished_at", TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_account_imports_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_imports")),
    )
    op.create_index("ix_account_imports_account_id", "account_imports", ["account_id"])
    op.create_table(
        "account_import_rows",
        sa.Column("id", ID, autoincrement=False, nullable=False),
        sa.Column("import_id", ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("target_id", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["account_imports.id"],
            name=op.f("fk_account_import_rows_import_id_account_imports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_import_rows")),
        sa.UniqueConstraint(
            "import_id", "position", name=op.f("uq_account_import_rows_import_id_position")
        ),
    )
    op.create_index(
        "ix_account_import_rows_import_id_state",
        "account_import_rows",
        ["import_id", "state", "position"],
    )
    op.create_index("ix_account_import_rows_target_id", "account_import_rows", ["target_id"])


def downgrade() -> None:
    op.drop_index("ix_account_import_rows_target_id", table_name="account_import_rows")
    op.drop_index("ix_account_import_rows_import_id_state", table_name="account_import_rows")
    op.drop_table("account_import_rows")
    op.drop_index("ix_account_imports_account_id", table_name="account_imports")
    op.drop_table("account_imports")
