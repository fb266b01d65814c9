"""media_attachments: uploads (their files in the media store, and their processing)

Revision ID: 0006
Revises: 0005

Until now the table held only remote attachments, shown from their origin. An upload has its
files in the media store (file_key, preview_key), their type and size, and a processing
state: "queued" while the file as sent waits under upload_key for the media.process job,
"done", or "failed". Rows already there are remote and done.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_COLUMNS = ("processing", "file_key", "preview_key", "upload_key", "content_type", "file_size")


def upgrade() -> None:
    op.add_column(
        "media_attachments",
        sa.Column("processing", sa.String(16), nullable=False, server_default="done"),
    )
    op.add_column("media_attachments", sa.Column("file_key", sa.String(512), nullable=True))
    op.add_column("media_attachments", sa.Column("preview_key", sa.String(512), nullable=True))
    op.add_column("media_attachments", sa.Column("upload_key", sa.String(512), nullable=True))
    op.add_column("media_attachments", sa.Column("content_type", sa.String(100), nullable=True))
    op.add_column("media_attachments", sa.Column("file_size", sa.BigInteger(), nullable=True))
    op.create_index("ix_media_attachments_file_key", "media_attachments", ["file_key"])
    op.create_index("ix_media_attachments_preview_key", "media_attachments", ["preview_key"])
    op.create_index("ix_media_attachments_account_id", "media_attachments", ["account_id"])


def downgrade() -> None:
    op.drop_index("ix_media_attachments_account_id", table_name="media_attachments")
    op.drop_index("ix_media_attachments_preview_key", table_name="media_attachments")
    op.drop_index("ix_media_attachments_file_key", table_name="media_attachments")
    with op.batch_alter_table("media_attachments", schema=None) as batch_op:
        for name in reversed(_COLUMNS):
            batch_op.drop_column(name)
