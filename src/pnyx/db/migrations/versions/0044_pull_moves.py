"""pull moves: identity subjects of actors elsewhere, and moves announced from the new account

Revision ID: 0044
Revises: 0043

Issue 14's move when the old server is gone (FEP-7628's second sub-type, resting on FEP-c390
identity proofs): the subjects of the identity statements actors elsewhere publish
(`identity_subjects`), and, for a local account that imported an archive, the old actor, the
key carried from it and the old followers to tell (`pull_moves`, `pull_move_followers`).
"""

import sqlalchemy as sa
from alembic import op

import pnyx.db.types

revision = "0044"
down_revision = "0043"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = pnyx.db.types.UTCDateTime()


def upgrade() -> None:
    op.create_table(
        "identity_subjects",
        sa.Column("account_id", ID, nullable=False),
        sa.Column("subject", sa.String(length=256), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_identity_subjects_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "subject", name=op.f("pk_identity_subjects")),
    )
    op.create_table(
        "pull_moves",
        sa.Column("id", ID, autoincrement=False, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("old_uri", sa.String(length=2048), nullable=False),
        sa.Column("subject", sa.String(length=256), nullable=True),
        sa.Column("import_id", ID, nullable=True),
        sa.Column("state", sa.String(length=16), server_default="ready", nullable=False),
        sa.Column("followers", sa.Integer(), server_default="0", nullable=False),
        sa.Column("found", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("inboxes", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("announced_at", TIME, nullable=True),
        sa.Column("sent_at", TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_pull_moves_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["archive_imports.id"],
            name=op.f("fk_pull_moves_import_id_archive_imports"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pull_moves")),
        sa.UniqueConstraint("account_id", "old_uri", name=op.f("uq_pull_moves_account_id_old_uri")),
    )
    op.create_table(
        "pull_move_followers",
        sa.Column("id", ID, autoincrement=False, nullable=False),
        sa.Column("pull_move_id", ID, nullable=False),
        sa.Column("address", sa.String(length=512), nullable=False),
        sa.Column("state", sa.String(length=8), server_default="pending", nullable=False),
        sa.Column("follower_id", ID, nullable=True),
        sa.Column("error", sa.String(length=512), nullable=True),
        sa.ForeignKeyConstraint(
            ["pull_move_id"],
            ["pull_moves.id"],
            name=op.f("fk_pull_move_followers_pull_move_id_pull_moves"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["follower_id"],
            ["accounts.id"],
            name=op.f("fk_pull_move_followers_follower_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pull_move_followers")),
        sa.UniqueConstraint(
            "pull_move_id", "address", name=op.f("uq_pull_move_followers_pull_move_id_address")
        ),
    )
    op.create_index(
        "ix_pull_move_followers_state",
        "pull_move_followers",
        ["pull_move_id", "state"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_pull_move_followers_state", table_name="pull_move_followers")
    op.drop_table("pull_move_followers")
    op.drop_table("pull_moves")
    op.drop_table("identity_subjects")
