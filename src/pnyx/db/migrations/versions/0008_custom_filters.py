"""filters: a person's content filters, their keywords and the posts they name

Revision ID: 0008
Revises: 0007

Mastodon's filters v2 (`custom_filters`, `custom_filter_keywords`, `custom_filter_statuses`);
the v1 endpoints read and write the same rows, one keyword per v1 filter.
"""

import sqlalchemy as sa
from alembic import op

import pnyx.db.types

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "custom_filters",
        sa.Column("id", ID, autoincrement=False, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("title", sa.String(length=256), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("action", sa.String(length=8), server_default="warn", nullable=False),
        sa.Column("expires_at", pnyx.db.types.UTCDateTime(), nullable=True),
        sa.Column("created_at", pnyx.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", pnyx.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_custom_filters_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_filters")),
    )
    op.create_index("ix_custom_filters_account_id", "custom_filters", ["account_id"])
    op.create_table(
        "custom_filter_keywords",
        sa.Column("id", ID, autoincrement=False, nullable=False),
        sa.Column("custom_filter_id", ID, nullable=False),
        sa.Column("keyword", sa.String(length=512), nullable=False),
        sa.Column("whole_word", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", pnyx.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["custom_filter_id"],
            ["custom_filters.id"],
            name=op.f("fk_custom_filter_keywords_custom_filter_id_custom_filters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_filter_keywords")),
    )
    op.create_index(
        "ix_custom_filter_keywords_custom_filter_id",
        "custom_filter_keywords",
        ["custom_filter_id"],
    )
    op.create_table(
        "custom_filter_statuses",
        sa.Column("id", ID, autoincrement=False, nullable=False),
        sa.Column("custom_filter_id", ID, nullable=False),
        sa.Column("status_id", ID, nullable=False),
        sa.Column("created_at", pnyx.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["custom_filter_id"],
            ["custom_filters.id"],
            name=op.f("fk_custom_filter_statuses_custom_filter_id_custom_filters"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["status_id"],
            ["statuses.id"],
            name=op.f("fk_custom_filter_statuses_status_id_statuses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_filter_statuses")),
        sa.UniqueConstraint(
            "custom_filter_id",
            "status_id",
            name=op.f("uq_custom_filter_statuses_custom_filter_id_status_id"),
        ),
    )


def downgrade() -> None:
    op.drop_table("custom_filter_statuses")
    op.drop_index("ix_custom_filter_keywords_custom_filter_id", "custom_filter_keywords")
    op.drop_table("custom_filter_keywords")
    op.drop_index("ix_custom_filters_account_id", "custom_filters")
    op.drop_table("custom_filters")
