"""open feed algorithms: composed feeds and their followers, ranked-feed snapshots, fitted
scores

Revision ID: 0026
Revises: 0024

A composed feed is a recipe of published parts owned by an account; a snapshot keeps what a
ranked feed served one viewer (version, inputs, items with score terms) so that `max_id`
pages stay stable and can be replayed; feed_scores holds a periodic fit's per-status results
(bridging) with the version that produced them.
"""

import sqlalchemy as sa
from alembic import op

from pnyx.db.types import UTCDateTime

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _fk(table: str, name: str, target: str) -> sa.Column:
    referred = target.split(".")[0]
    return sa.Column(
        name,
        ID,
        sa.ForeignKey(target, ondelete="CASCADE", name=op.f(f"fk_{table}_{name}_{referred}")),
        nullable=False,
    )


def _pk(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*columns, name=op.f(f"pk_{table}"))


def upgrade() -> None:
    op.create_table(
        "composed_feeds",
        sa.Column("id", ID, nullable=False, autoincrement=False),
        _pk("composed_feeds", "id"),
        _fk("composed_feeds", "account_id", "accounts.id"),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("sources", sa.JSON, nullable=False),
        sa.Column("filters", sa.JSON, nullable=False),
        sa.Column("ordering", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_composed_feeds_account_id", "composed_feeds", ["account_id"])
    op.create_table(
        "composed_feed_follows",
        sa.Column("id", ID, nullable=False, autoincrement=False),
        _pk("composed_feed_follows", "id"),
        _fk("composed_feed_follows", "feed_id", "composed_feeds.id"),
        _fk("composed_feed_follows", "account_id", "accounts.id"),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint(
            "feed_id", "account_id", name=op.f("uq_composed_feed_follows_feed_id_account_id")
        ),
    )
    op.create_index("ix_composed_feed_follows_account_id", "composed_feed_follows", ["account_id"])
    op.create_table(
        "feed_snapshots",
        sa.Column("id", ID, nullable=False, autoincrement=False),
        _pk("feed_snapshots", "id"),
        _fk("feed_snapshots", "account_id", "accounts.id"),
        sa.Column("feed_id", sa.String(64), nullable=False),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("status_ids", sa.JSON, nullable=False),
        sa.Column("items", sa.JSON, nullable=False),
        sa.Column("inputs", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index(
        "ix_feed_snapshots_account_id_feed_id", "feed_snapshots", ["account_id", "feed_id"]
    )
    op.create_index("ix_feed_snapshots_created_at", "feed_snapshots", ["created_at"])
    op.create_table(
        "feed_scores",
        sa.Column("algorithm", sa.String(32), nullable=False),
        _fk("feed_scores", "status_id", "statuses.id"),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("intercept", sa.Float, nullable=False),
        sa.Column("factor", sa.Float, nullable=False),
        sa.Column("ratings", sa.Integer, nullable=False),
        sa.Column("fitted_at", UTCDateTime, nullable=False),
        _pk("feed_scores", "algorithm", "status_id"),
    )
    op.create_index("ix_feed_scores_algorithm_intercept", "feed_scores", ["algorithm", "intercept"])


def downgrade() -> None:
    op.drop_index("ix_feed_scores_algorithm_intercept", table_name="feed_scores")
    op.drop_table("feed_scores")
    op.drop_index("ix_feed_snapshots_created_at", table_name="feed_snapshots")
    op.drop_index("ix_feed_snapshots_account_id_feed_id", table_name="feed_snapshots")
    op.drop_table("feed_snapshots")
    op.drop_index("ix_composed_feed_follows_account_id", table_name="composed_feed_follows")
    op.drop_table("composed_feed_follows")
    op.drop_index("ix_composed_feeds_account_id", table_name="composed_feeds")
    op.drop_table("composed_feeds")
