"""lists, followed hashtags and featured hashtags

Revision ID: 0007
Revises: 0006

Lists of followed accounts (with their replies policy and whether they are exclusive), the
hashtags a person follows (their posts come to the home timeline) and the hashtags a person
features on their profile.
"""

import sqlalchemy as sa
from alembic import op

import pnyx.db.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "lists",
        sa.Column("id", ID, autoincrement=False, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("title", sa.String(256), nullable=False),
        sa.Column("replies_policy", sa.String(16), server_default="list", nullable=False),
        sa.Column("exclusive", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", pnyx.db.types.UTCDateTime(), nullable=False),
        _fk("lists", "account_id", "accounts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lists")),
    )
    op.create_index("ix_lists_account_id", "lists", ["account_id"], unique=False)
    op.create_table(
        "list_accounts",
        sa.Column("id", ID, autoincrement=False, nullable=False),
        sa.Column("list_id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("follow_id", ID, nullable=True),
        _fk("list_accounts", "list_id", "lists"),
        _fk("list_accounts", "account_id", "accounts"),
        _fk("list_accounts", "follow_id", "follows"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_accounts")),
        sa.UniqueConstraint(
            "list_id", "account_id", name=op.f("uq_list_accounts_list_id_account_id")
        ),
    )
    op.create_index("ix_list_accounts_account_id", "list_accounts", ["account_id"], unique=False)
    op.create_index("ix_list_accounts_follow_id", "list_accounts", ["follow_id"], unique=False)
    for table in ("tag_follows", "featured_tags"):
        op.create_table(
            table,
            sa.Column("id", ID, autoincrement=False, nullable=False),
            sa.Column("account_id", ID, nullable=False),
            sa.Column("tag_id", ID, nullable=False),
            sa.Column("created_at", pnyx.db.types.UTCDateTime(), nullable=False),
            _fk(table, "account_id", "accounts"),
            _fk(table, "tag_id", "tags"),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
            sa.UniqueConstraint("account_id", "tag_id", name=op.f(f"uq_{table}_account_id_tag_id")),
        )


def downgrade() -> None:
    op.drop_table("featured_tags")
    op.drop_table("tag_follows")
    op.drop_index("ix_list_accounts_follow_id", table_name="list_accounts")
    op.drop_index("ix_list_accounts_account_id", table_name="list_accounts")
    op.drop_table("list_accounts")
    op.drop_index("ix_lists_account_id", table_name="lists")
    op.drop_table("lists")
