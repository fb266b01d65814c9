"""labels by subject: an index on the URI a label names

Revision ID: 0037
Revises: 0036

`GET /api/v1/pnyx/labels?subject=URI` reads the labels on a URI, and a post or account stored
after labels named it links them (`core.labels.link_subject`, once per post received): both
look labels up by `subject_uri`, which only the (labeler, subject, value) constraint held,
behind the labeler.
"""

from alembic import op

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_labels_subject_uri", "labels", ["subject_uri"])


def downgrade() -> None:
    op.drop_index("ix_labels_subject_uri", table_name="labels")
