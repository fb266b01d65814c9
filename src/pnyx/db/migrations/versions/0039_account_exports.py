"""account exports: archives and their parts

Revision ID: 0039
Revises: 0038

Issue 14's export: an archive of everything a person has here, built by a job, kept until it expires.
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import pnyx.db.types  # noqa: F401

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
