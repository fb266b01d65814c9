"""accounts: avatar and header files in the media store, and a remote account's images cached

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

import pnyx.db.types

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

URLS = ("avatar_static_url", "header_static_url", "avatar_remote_url", "header_remote_url")
KEYS = ("avatar_key", "avatar_static_key", "header_key", "header_static_key")


def upgrade() -> None:
    for name in URLS:
        op.add_column("accounts", sa.Column(name, sa.String(length=2048), nullable=True))
    for name in KEYS:
        op.add_column("accounts", sa.Column(name, sa.String(length=512), nullable=True))
    op.add_column("accounts", sa.Column("images_size", sa.BigInteger(), nullable=True))
    op.add_column(
        "accounts",
        sa.Column("images_cached_at", pnyx.db.types.UTCDateTime(), nullable=True),
    )
    # Until now a remote account's avatar_url was its origin: that is where they come from.
    op.execute(
        "UPDATE accounts SET avatar_remote_url = avatar_url, header_remote_url = header_url"
        " WHERE domain IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        for name in (*URLS, *KEYS, "images_size", "images_cached_at"):
            batch.drop_column(name)
