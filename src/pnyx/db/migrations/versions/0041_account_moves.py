"""account moves: aliases, moves sent, their cooldown

Revision ID: 0041
Revises: 0040

Issue 14's moves: the person's aliases (alsoKnownAs) and the moves they made, with a cooldown.
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import pnyx.db.types  # noqa: F401

revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
