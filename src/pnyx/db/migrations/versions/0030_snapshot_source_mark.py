"""feed snapshots remember what their pool's source looked like

Revision ID: 0030
Revises: 0028

`source_mark` is what the viewer's home feed held when the snapshot was ranked (its newest
entry id plus its number of entries; NULL when the pool did not come from a built feed): a first page reuses a fresh
snapshot only while the mark is unchanged, so a reload costs a snapshot read, not a ranking.
"""

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("feed_snapshots", sa.Column("source_mark", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feed_snapshots", schema=None) as batch_op:
        batch_op.drop_column("source_mark")
