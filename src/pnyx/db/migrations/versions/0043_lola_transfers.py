"""lola transfers: live copies of an account from another server

Revision ID: 0043
Revises: 0042

Issue 14's live moves (LOLA), destination end: this server registered as an OAuth client at
each source (`lola_clients`), the copies (`lola_transfers`: the authorization, the token
until the copy is over, where the copy is, its counters) and the accounts the old actor
followed, followed again only when the person asks (`lola_follows`).
"""

import sqlalchemy as sa
from alembic import op

import pnyx.db.types

revision = "0043"
down_revision = "0042"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = pnyx.db.types.UTCDateTime()


def upgrade() -> None:
    op.create_table(
        "lola_clients",
        sa.Column("id", ID, autoincrement=False, nullable=False),
        sa.Column("origin", sa.String(length=512), nullable=False),
        sa.Column("redirect_uri", sa.String(length=2048), nullable=False),
        sa.Column("client_id", sa.String(length=512), nullable=False),
        sa.Column("client_secret", sa.String(length=512), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lola_clients")),
        sa.UniqueConstraint(
            "origin", "redirect_uri", name=op.f("uq_lola_clients_origin_redirect_uri")
        ),
    )
    op.create_table(
        "lola_transfers",
        sa.Column("id", ID, autoincrement=False, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("client_id", ID, nullable=True),
        sa.Column("state", sa.String(length=16), server_default="authorizing", nullable=False),
        sa.Column("started_via", sa.String(length=8), server_default="web", nullable=False),
        sa.Column("source", sa.String(length=512), nullable=False),
        sa.Column("source_actor_uri", sa.String(length=2048), nullable=True),
        sa.Column("endpoints", sa.JSON(), nullable=False),
        sa.Column("oauth_state", sa.String(length=128), nullable=True),
        sa.Column("code_verifier", sa.String(length=128), nullable=True),
        sa.Column("access_token", sa.String(length=2048), nullable=True),
        sa.Column("phase", sa.String(length=16), server_default="content", nullable=False),
        sa.Column("cursor", sa.String(length=2048), nullable=True),
        sa.Column("total", sa.Integer(), server_default="0", nullable=False),
        sa.Column("imported", sa.Integer(), server_default="0", nullable=False),
        sa.Column("skipped", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("favourites", sa.Integer(), server_default="0", nullable=False),
        sa.Column("blocks", sa.Integer(), server_default="0", nullable=False),
        sa.Column("follows_found", sa.Integer(), server_default="0", nullable=False),
        sa.Column("followed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("follows_failed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("skip_reasons", sa.JSON(), nullable=False),
        sa.Column("failures", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("retries", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("authorized_at", TIME, nullable=True),
        sa.Column("finished_at", TIME, nullable=True),
        sa.Column("follows_requested_at", TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_lola_transfers_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["lola_clients.id"],
            name=op.f("fk_lola_transfers_client_id_lola_clients"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lola_transfers")),
        sa.UniqueConstraint("oauth_state", name=op.f("uq_lola_transfers_oauth_state")),
    )
    op.create_index(
        "ix_lola_transfers_account_id", "lola_transfers", ["account_id", "id"], unique=False
    )
    op.create_table(
        "lola_follows",
        sa.Column("id", ID, autoincrement=False, nullable=False),
        sa.Column("transfer_id", ID, nullable=False),
        sa.Column("actor_uri", sa.String(length=2048), nullable=False),
        sa.Column("state", sa.String(length=8), server_default="pending", nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("target_account_id", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["transfer_id"],
            ["lola_transfers.id"],
            name=op.f("fk_lola_follows_transfer_id_lola_transfers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lola_follows")),
        sa.UniqueConstraint(
            "transfer_id", "actor_uri", name=op.f("uq_lola_follows_transfer_id_actor_uri")
        ),
    )
    op.create_index("ix_lola_follows_state", "lola_follows", ["transfer_id", "state"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_lola_follows_state", table_name="lola_follows")
    op.drop_table("lola_follows")
    op.drop_index("ix_lola_transfers_account_id", table_name="lola_transfers")
    op.drop_table("lola_transfers")
    op.drop_table("lola_clients")
