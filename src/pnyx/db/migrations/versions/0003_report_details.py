"""reports: category, rules broken, and whether it was forwarded (Mastodon's Report fields)

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (SQLite has it): no need to rebuild the table in batch mode.
    op.add_column(
        "reports",
        sa.Column("category", sa.String(length=16), server_default="other", nullable=False),
    )
    op.add_column("reports", sa.Column("rule_ids", sa.JSON(), nullable=True))
    op.add_column(
        "reports",
        sa.Column("forwarded", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_column("forwarded")
        batch_op.drop_column("rule_ids")
        batch_op.drop_column("category")
