"""account imports: CSV lists and archives

Revision ID: 0040
Revises: 0039

Issue 14's import: Mastodon's CSV files (merge or overwrite) and archives' posts, run by a job.
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import pnyx.db.types  # noqa: F401

revision = "0040"
down_revision = "0039"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
