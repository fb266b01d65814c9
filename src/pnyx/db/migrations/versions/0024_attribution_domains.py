"""author attribution: the domains an account lets credit it, and the credited author of a
link card

Revision ID: 0024
Revises: 0023

Mastodon 4.4's `attribution_domains` (a list kept on the account) and the account a page's
`fediverse:creator` names, kept on its preview card when that account lists the page's domain.
"""

import warnings

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("accounts", sa.Column("attribution_domains", sa.JSON(), nullable=True))
    # SQLite cannot add a foreign key in place: batch mode copies the (cards) table.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        with op.batch_alter_table("preview_cards", schema=None) as batch_op:
            batch_op.add_column(sa.Column("author_account_id", ID, nullable=True))
            batch_op.create_foreign_key(
                batch_op.f("fk_preview_cards_author_account_id_accounts"),
                "accounts",
                ["author_account_id"],
                ["id"],
                ondelete="SET NULL",
            )
    op.create_index(
        op.f("ix_preview_cards_author_account_id"), "preview_cards", ["author_account_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_preview_cards_author_account_id"), table_name="preview_cards")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        with op.batch_alter_table("preview_cards", schema=None) as batch_op:
            batch_op.drop_constraint(
                batch_op.f("fk_preview_cards_author_account_id_accounts"), type_="foreignkey"
            )
            batch_op.drop_column("author_account_id")
    op.drop_column("accounts", "attribution_domains")
