"""scheduled statuses, announcements, endorsements, user domain blocks, dismissed suggestions

Revision ID: 0016
Revises: 0015
"""

import warnings

import sqlalchemy as sa
from alembic import op

import pnyx.db.types

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = pnyx.db.types.UTCDateTime


def _fk(table: str, column: str, target: str, ondelete: str = "CASCADE"):
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    _scheduled_statuses()
    _announcements()
    _account_choices()
    _media_reservations()


def _scheduled_statuses() -> None:
    op.create_table(
        "scheduled_statuses",
        sa.Column("id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("scheduled_at", TIME(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("application_id", ID, nullable=True),
        sa.Column("created_at", TIME(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_statuses")),
        _fk("scheduled_statuses", "account_id", "accounts"),
        _fk("scheduled_statuses", "application_id", "oauth_apps", "SET NULL"),
    )
    op.create_index(
        op.f("ix_scheduled_statuses_account_id_scheduled_at"),
        "scheduled_statuses",
        ["account_id", "scheduled_at"],
    )


def _announcements() -> None:
    op.create_table(
        "announcements",
        sa.Column("id", ID, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("starts_at", TIME(), nullable=True),
        sa.Column("ends_at", TIME(), nullable=True),
        sa.Column("all_day", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("published_at", TIME(), nullable=True),
        sa.Column("created_at", TIME(), nullable=False),
        sa.Column("updated_at", TIME(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcements")),
    )
    op.create_table(
        "announcement_reads",
        sa.Column("announcement_id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.PrimaryKeyConstraint(
            "announcement_id", "account_id", name=op.f("pk_announcement_reads")
        ),
        _fk("announcement_reads", "announcement_id", "announcements"),
        _fk("announcement_reads", "account_id", "accounts"),
    )
    op.create_index(op.f("ix_announcement_reads_account_id"), "announcement_reads", ["account_id"])
    op.create_table(
        "announcement_reactions",
        sa.Column("id", ID, nullable=False),
        sa.Column("announcement_id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("custom_emoji_id", ID, nullable=True),
        sa.Column("created_at", TIME(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcement_reactions")),
        _fk("announcement_reactions", "announcement_id", "announcements"),
        _fk("announcement_reactions", "account_id", "accounts"),
        _fk("announcement_reactions", "custom_emoji_id", "custom_emojis"),
        sa.UniqueConstraint(
            "announcement_id",
            "account_id",
            "name",
            name=op.f("uq_announcement_reactions_announcement_id_account_id_name"),
        ),
    )


def _account_choices() -> None:
    op.create_table(
        "account_pins",
        sa.Column("id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("target_account_id", ID, nullable=False),
        sa.Column("created_at", TIME(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_pins")),
        _fk("account_pins", "account_id", "accounts"),
        _fk("account_pins", "target_account_id", "accounts"),
        sa.UniqueConstraint(
            "account_id",
            "target_account_id",
            name=op.f("uq_account_pins_account_id_target_account_id"),
        ),
    )
    op.create_index(
        op.f("ix_account_pins_target_account_id"), "account_pins", ["target_account_id"]
    )
    op.create_table(
        "account_domain_blocks",
        sa.Column("id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("domain", sa.String(255), nullable=False),
        sa.Column("created_at", TIME(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_domain_blocks")),
        _fk("account_domain_blocks", "account_id", "accounts"),
        sa.UniqueConstraint(
            "account_id", "domain", name=op.f("uq_account_domain_blocks_account_id_domain")
        ),
    )
    op.create_table(
        "suggestion_dismissals",
        sa.Column("account_id", ID, nullable=False),
        sa.Column("target_account_id", ID, nullable=False),
        sa.Column("created_at", TIME(), nullable=False),
        sa.PrimaryKeyConstraint(
            "account_id", "target_account_id", name=op.f("pk_suggestion_dismissals")
        ),
        _fk("suggestion_dismissals", "account_id", "accounts"),
        _fk("suggestion_dismissals", "target_account_id", "accounts"),
    )


def _media_reservations() -> None:
    # SQLite cannot add a foreign key in place: batch mode copies the table (see 0005).
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        with op.batch_alter_table("media_attachments", schema=None) as batch_op:
            batch_op.add_column(sa.Column("scheduled_status_id", ID, nullable=True))
            batch_op.create_foreign_key(
                batch_op.f("fk_media_attachments_scheduled_status_id_scheduled_statuses"),
                "scheduled_statuses",
                ["scheduled_status_id"],
                ["id"],
                ondelete="SET NULL",
            )
            batch_op.create_index(
                batch_op.f("ix_media_attachments_scheduled_status_id"), ["scheduled_status_id"]
            )


def downgrade() -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        with op.batch_alter_table("media_attachments", schema=None) as batch_op:
            batch_op.drop_index(batch_op.f("ix_media_attachments_scheduled_status_id"))
            batch_op.drop_constraint(
                batch_op.f("fk_media_attachments_scheduled_status_id_scheduled_statuses"),
                type_="foreignkey",
            )
            batch_op.drop_column("scheduled_status_id")
    op.drop_table("suggestion_dismissals")
    op.drop_table("account_domain_blocks")
    op.drop_index(op.f("ix_account_pins_target_account_id"), table_name="account_pins")
    op.drop_table("account_pins")
    op.drop_table("announcement_reactions")
    op.drop_index(op.f("ix_announcement_reads_account_id"), table_name="announcement_reads")
    op.drop_table("announcement_reads")
    op.drop_table("announcements")
    op.drop_index(
        op.f("ix_scheduled_statuses_account_id_scheduled_at"), table_name="scheduled_statuses"
    )
    op.drop_table("scheduled_statuses")
