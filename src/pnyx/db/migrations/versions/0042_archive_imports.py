"""archive imports: a Pnyx or Mastodon archive's posts re-created here

Revision ID: 0042
Revises: 0041

Issue 14's import of posts: the imports (their zip parts in the media store, progress
counters, what was skipped and why) and the posts they made, each with its original id, date
and signed document.
"""

import sqlalchemy as sa
from alembic import op

import pnyx.db.types

revision = "0042"
down_revision = "0041"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = pnyx.db.types.UTCDateTime()


def upgrade() -> None:
    op.create_table(
        "archive_imports",
        sa.Column("id", ID, autoincrement=False, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("state", sa.String(length=16), server_default="queued", nullable=False),
        sa.Column("actor_uri", sa.String(length=2048), nullable=True),
        sa.Column("total", sa.Integer(), server_default="0", nullable=False),
        sa.Column("imported", sa.Integer(), server_default="0", nullable=False),
        sa.Column("skipped", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("skip_reasons", sa.JSON(), nullable=False),
        sa.Column("failures", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("upload_keys", sa.JSON(), nullable=False),
        sa.Column("upload_bytes", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("started_at", TIME, nullable=True),
        sa.Column("finished_at", TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_archive_imports_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archive_imports")),
    )
    op.create_index(
        "ix_archive_imports_account_id", "archive_imports", ["account_id", "id"], unique=False
    )
    op.create_table(
        "imported_statuses",
        sa.Column("status_id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("import_id", ID, nullable=True),
        sa.Column("origin_uri", sa.String(length=2048), nullable=False),
        sa.Column("origin_url", sa.String(length=2048), nullable=True),
        sa.Column("origin_actor_uri", sa.String(length=2048), nullable=False),
        sa.Column("published", TIME, nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("activity", sa.JSON(), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["status_id"],
            ["statuses.id"],
            name=op.f("fk_imported_statuses_status_id_statuses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_imported_statuses_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["archive_imports.id"],
            name=op.f("fk_imported_statuses_import_id_archive_imports"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("status_id", name=op.f("pk_imported_statuses")),
        sa.UniqueConstraint(
            "account_id", "origin_uri", name=op.f("uq_imported_statuses_account_id_origin_uri")
        ),
    )
    op.create_index(
        "ix_imported_statuses_import_id", "imported_statuses", ["import_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_imported_statuses_import_id", table_name="imported_statuses")
    op.drop_table("imported_statuses")
    op.drop_index("ix_archive_imports_account_id", table_name="archive_imports")
    op.drop_table("archive_imports")
