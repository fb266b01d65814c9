"""moderation lists: shared block and mute lists

Revision ID: 0036
Revises: 0035

Issue 12's shared lists: anyone publishes a list of accounts with a description; anyone here
or elsewhere mutes or blocks by it. The blocks and mutes a list makes are ordinary rows (every
surface already honours them) that say which list made them (`source_list_id`), so a change to
the list undoes exactly what it did, and the subscriber sees why. A subscriber can keep
accounts out of every list (`moderation_list_exemptions`).
"""

import sqlalchemy as sa
from alembic import op

import pnyx.db.types

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = pnyx.db.types.UTCDateTime()


def _fk(table: str, column: str, target: str):
    return sa.ForeignKeyConstraint(
        [column],
        [target],
        name=op.f(f"fk_{table}_{column}_{target.split('.')[0]}"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    # Plain ALTERs: SQLite keeps these tables' triggers (0032) in place.
    op.add_column("blocks", sa.Column("source_list_id", ID, nullable=True))
    op.add_column("mutes", sa.Column("source_list_id", ID, nullable=True))
    op.create_table(
        "moderation_lists",
        sa.Column("id", ID, autoincrement=False, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        _fk("moderation_lists", "account_id", "accounts.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_lists")),
        sa.UniqueConstraint("uri", name=op.f("uq_moderation_lists_uri")),
    )
    op.create_index("ix_moderation_lists_account_id", "moderation_lists", ["account_id"])
    op.create_table(
        "moderation_list_members",
        sa.Column("list_id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        _fk("moderation_list_members", "list_id", "moderation_lists.id"),
        _fk("moderation_list_members", "account_id", "accounts.id"),
        sa.PrimaryKeyConstraint("list_id", "account_id", name=op.f("pk_moderation_list_members")),
    )
    op.create_table(
        "moderation_list_subscriptions",
        sa.Column("account_id", ID, nullable=False),
        sa.Column("list_id", ID, nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        _fk("moderation_list_subscriptions", "account_id", "accounts.id"),
        _fk("moderation_list_subscriptions", "list_id", "moderation_lists.id"),
        sa.PrimaryKeyConstraint(
            "account_id", "list_id", name=op.f("pk_moderation_list_subscriptions")
        ),
    )
    op.create_index(
        "ix_moderation_list_subscriptions_list_id", "moderation_list_subscriptions", ["list_id"]
    )
    op.create_table(
        "moderation_list_exemptions",
        sa.Column("account_id", ID, nullable=False),
        sa.Column("target_account_id", ID, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        _fk("moderation_list_exemptions", "account_id", "accounts.id"),
        _fk("moderation_list_exemptions", "target_account_id", "accounts.id"),
        sa.PrimaryKeyConstraint(
            "account_id", "target_account_id", name=op.f("pk_moderation_list_exemptions")
        ),
    )


def downgrade() -> None:
    op.drop_table("moderation_list_exemptions")
    op.drop_index(
        "ix_moderation_list_subscriptions_list_id", table_name="moderation_list_subscriptions"
    )
    op.drop_table("moderation_list_subscriptions")
    op.drop_table("moderation_list_members")
    op.drop_index("ix_moderation_lists_account_id", table_name="moderation_lists")
    op.drop_table("moderation_lists")
    op.drop_column("mutes", "source_list_id")
    op.drop_column("blocks", "source_list_id")
