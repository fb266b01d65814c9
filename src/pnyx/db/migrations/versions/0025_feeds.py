"""materialized feeds: per-viewer feed entries with the reason each is there, and each
feed's state

Revision ID: 0025
Revises: 0024

`feed_entries` holds, per local viewer and feed (home = list 0, or a list), the newest
statuses that belong in it and why (a bitmask and the account or hashtag it came through);
`feed_states` says which feeds are maintained and down to which id they are complete. Both
start empty: feeds are read from `statuses` until built (`pnyx feeds rebuild`, or on the
first read).
"""

import sqlalchemy as sa
from alembic import op

import pnyx.db.types

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "feed_entries",
        sa.Column("viewer_id", ID, nullable=False),
        sa.Column("list_id", ID, autoincrement=False, nullable=False),
        sa.Column("status_id", ID, autoincrement=False, nullable=False),
        sa.Column("reasons", sa.SmallInteger(), nullable=False),
        sa.Column("via_account_id", ID, nullable=True),
        sa.Column("via_tag_id", ID, nullable=True),
        sa.Column("created_at", pnyx.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["viewer_id"],
            ["accounts.id"],
            name=op.f("fk_feed_entries_viewer_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("viewer_id", "list_id", "status_id", name=op.f("pk_feed_entries")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "feed_states",
        sa.Column("viewer_id", ID, nullable=False),
        sa.Column("list_id", ID, autoincrement=False, nullable=False),
        sa.Column("floor_id", ID, server_default="0", nullable=False),
        sa.Column("since_trim", sa.Integer(), server_default="0", nullable=False),
        sa.Column("built_at", pnyx.db.types.UTCDateTime(), nullable=False),
        sa.Column("seen_at", pnyx.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["viewer_id"],
            ["accounts.id"],
            name=op.f("fk_feed_states_viewer_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("viewer_id", "list_id", name=op.f("pk_feed_states")),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("feed_states")
    op.drop_table("feed_entries")
