"""feed pins: feeds a person pinned, read by apps as Mastodon lists

Revision ID: 0028
Revises: 0026

A pin's id is in a range no list id reaches (bit 62 set), so `GET /api/v1/lists` can show
both; a pin of a composed feed goes when the feed is deleted (composed_feed_id, CASCADE).
"""

import sqlalchemy as sa
from alembic import op

from pnyx.db.types import UTCDateTime

revision = "0028"
down_revision = "0026"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "feed_pins",
        sa.Column("id", ID, nullable=False, autoincrement=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_pins")),
        sa.Column(
            "account_id",
            ID,
            sa.ForeignKey(
                "accounts.id", ondelete="CASCADE", name=op.f("fk_feed_pins_account_id_accounts")
            ),
            nullable=False,
        ),
        sa.Column("feed_id", sa.String(64), nullable=False),
        sa.Column(
            "composed_feed_id",
            ID,
            sa.ForeignKey(
                "composed_feeds.id",
                ondelete="CASCADE",
                name=op.f("fk_feed_pins_composed_feed_id_composed_feeds"),
            ),
            nullable=True,
        ),
        sa.Column("title", sa.String(256), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("account_id", "feed_id", name=op.f("uq_feed_pins_account_id_feed_id")),
    )
    op.create_index("ix_feed_pins_composed_feed_id", "feed_pins", ["composed_feed_id"])


def downgrade() -> None:
    op.drop_index("ix_feed_pins_composed_feed_id", table_name="feed_pins")
    op.drop_table("feed_pins")
