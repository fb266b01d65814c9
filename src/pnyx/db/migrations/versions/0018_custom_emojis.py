"""custom_emojis: files, disabling, ActivityPub ids, remote origins; accounts' emojis and
account_emojis (which accounts show which emoji)

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

import pnyx.db.types

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column(
        "custom_emojis",
        sa.Column("disabled", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    for name in ("uri", "image_remote_url"):
        op.add_column("custom_emojis", sa.Column(name, sa.String(length=2048), nullable=True))
    for name in ("file_key", "static_key"):
        op.add_column("custom_emojis", sa.Column(name, sa.String(length=512), nullable=True))
    op.add_column(
        "custom_emojis", sa.Column("updated_at", pnyx.db.types.UTCDateTime(), nullable=True)
    )
    op.create_index(
        "ux_custom_emojis_shortcode_domain",
        "custom_emojis",
        ["shortcode", sa.text("coalesce(domain, '')")],
        unique=True,
    )
    op.add_column("accounts", sa.Column("emojis", sa.JSON(), nullable=True))
    op.create_table(
        "account_emojis",
        sa.Column("account_id", ID, nullable=False),
        sa.Column("custom_emoji_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_account_emojis_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["custom_emoji_id"],
            ["custom_emojis.id"],
            name=op.f("fk_account_emojis_custom_emoji_id_custom_emojis"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "custom_emoji_id", name=op.f("pk_account_emojis")),
    )
    op.create_index(
        "ix_account_emojis_custom_emoji_id", "account_emojis", ["custom_emoji_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("account_emojis")
    op.drop_index("ux_custom_emojis_shortcode_domain", table_name="custom_emojis")
    with op.batch_alter_table("custom_emojis") as batch:
        for name in (
            "disabled",
            "uri",
            "image_remote_url",
            "file_key",
            "static_key",
            "updated_at",
        ):
            batch.drop_column(name)
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("emojis")
