"""reach limits and appeals: limited and sensitive accounts, posts out of the trends, strikes
that can be appealed

Revision ID: 0034
Revises: 0033

Issue 12's second part: every action that narrows who sees a person's posts is a state the
person is told of and can appeal. Accounts get Mastodon's two missing states, a limit
(`silenced_at`, with an optional end, `silenced_until`) and sensitive media (`sensitized_at`);
a post can be taken out of the trends (`status_trend_removals`). A strike keeps when a limit
ends and the posts a removal took, for its owner's page; `appeals` holds the owner's appeal of
a strike and its outcome; a log entry points at the strike it left (`strike_id`), so the
public log shows whether it was appealed and how that ended.
"""

import sqlalchemy as sa
from alembic import op

import pnyx.db.types

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ACCOUNT_COLUMNS = ("silenced_at", "silenced_until", "sensitized_at")


def upgrade() -> None:
    # Plain ALTERs (no batch): SQLite adds and drops these columns in place, keeping the
    # accounts table's triggers and expression index.
    for name in ACCOUNT_COLUMNS:
        op.add_column("accounts", sa.Column(name, pnyx.db.types.UTCDateTime(), nullable=True))
    with op.batch_alter_table("account_warnings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ends_at", pnyx.db.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("removed_posts", sa.JSON(), nullable=True))
    with op.batch_alter_table("moderation_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("strike_id", ID, nullable=True))
    op.create_table(
        "status_trend_removals",
        sa.Column("status_id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=True),
        sa.Column("created_at", pnyx.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["status_id"],
            ["statuses.id"],
            name=op.f("fk_status_trend_removals_status_id_statuses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_status_trend_removals_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("status_id", name=op.f("pk_status_trend_removals")),
    )
    op.create_table(
        "appeals",
        sa.Column("id", ID, autoincrement=False, nullable=False),
        sa.Column("account_warning_id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("decided_by_account_id", ID, nullable=True),
        sa.Column("decided_at", pnyx.db.types.UTCDateTime(), nullable=True),
        sa.Column("created_at", pnyx.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_warning_id"],
            ["account_warnings.id"],
            name=op.f("fk_appeals_account_warning_id_account_warnings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_appeals_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_account_id"],
            ["accounts.id"],
            name=op.f("fk_appeals_decided_by_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeals")),
        sa.UniqueConstraint("account_warning_id", name=op.f("uq_appeals_account_warning_id")),
    )
    op.create_index("ix_appeals_state", "appeals", ["state", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_appeals_state", table_name="appeals")
    op.drop_table("appeals")
    op.drop_table("status_trend_removals")
    with op.batch_alter_table("moderation_log", schema=None) as batch_op:
        batch_op.drop_column("strike_id")
    with op.batch_alter_table("account_warnings", schema=None) as batch_op:
        batch_op.drop_column("removed_posts")
        batch_op.drop_column("ends_at")
    for name in reversed(ACCOUNT_COLUMNS):
        op.drop_column("accounts", name)
