"""link preview cards, and the card each post shows

Revision ID: 0019
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

import pnyx.db.types

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = pnyx.db.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "preview_cards",
        sa.Column("id", ID, nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("title", sa.String(length=512), server_default="", nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("type", sa.String(length=16), server_default="link", nullable=False),
        sa.Column("author_name", sa.String(length=512), server_default="", nullable=False),
        sa.Column("author_url", sa.String(length=2048), server_default="", nullable=False),
        sa.Column("provider_name", sa.String(length=512), server_default="", nullable=False),
        sa.Column("provider_url", sa.String(length=2048), server_default="", nullable=False),
        sa.Column("html", sa.Text(), server_default="", nullable=False),
        sa.Column("width", sa.Integer(), server_default="0", nullable=False),
        sa.Column("height", sa.Integer(), server_default="0", nullable=False),
        sa.Column("image_url", sa.String(length=2048), nullable=True),
        sa.Column("image_remote_url", sa.String(length=2048), nullable=True),
        sa.Column("image_key", sa.String(length=512), nullable=True),
        sa.Column("image_size", sa.BigInteger(), nullable=True),
        sa.Column("image_description", sa.Text(), server_default="", nullable=False),
        sa.Column("embed_url", sa.String(length=2048), server_default="", nullable=False),
        sa.Column("blurhash", sa.String(length=128), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("published_at", TIME(), nullable=True),
        sa.Column("fetched_at", TIME(), nullable=False),
        sa.Column("error", sa.String(length=512), nullable=True),
        sa.Column("created_at", TIME(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_preview_cards")),
        sa.UniqueConstraint("url", name=op.f("uq_preview_cards_url")),
    )
    op.create_table(
        "preview_card_statuses",
        sa.Column("status_id", ID, nullable=False),
        sa.Column("preview_card_id", ID, nullable=True),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("created_at", TIME(), nullable=False),
        sa.PrimaryKeyConstraint("status_id", name=op.f("pk_preview_card_statuses")),
        sa.ForeignKeyConstraint(
            ["status_id"],
            ["statuses.id"],
            name=op.f("fk_preview_card_statuses_status_id_statuses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["preview_card_id"],
            ["preview_cards.id"],
            name=op.f("fk_preview_card_statuses_preview_card_id_preview_cards"),
            ondelete="SET NULL",
        ),
    )
    op.create_index(
        op.f("ix_preview_card_statuses_url"), "preview_card_statuses", ["url"], unique=False
    )
    op.create_index(
        op.f("ix_preview_card_statuses_preview_card_id"),
        "preview_card_statuses",
        ["preview_card_id", "status_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_preview_card_statuses_preview_card_id"), table_name="preview_card_statuses"
    )
    op.drop_index(op.f("ix_preview_card_statuses_url"), table_name="preview_card_statuses")
    op.drop_table("preview_card_statuses")
    op.drop_table("preview_cards")
