"""What a person chooses about other accounts and servers beyond following, blocking and
muting: accounts they endorse on their profile, servers they block, suggestions they dismissed.
"""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.db.tables.base import created_column, foreign_key, id_column, metadata

# Endorsements ("feature on profile"): accounts shown on the endorser's profile.
account_pins = sa.Table(
    "account_pins",
    metadata,
    id_column(),
    foreign_key("account_id", "accounts.id"),
    foreign_key("target_account_id", "accounts.id"),
    created_column(),
    sa.UniqueConstraint("account_id", "target_account_id"),
)
sa.Index("ix_account_pins_target_account_id", account_pins.c.target_account_id)
# A person's block of a whole server: its accounts' posts and notifications leave their view.
account_domain_blocks = sa.Table(
    "account_domain_blocks",
    metadata,
    id_column(),
    foreign_key("account_id", "accounts.id"),
    sa.Column("domain", sa.String(255), nullable=False),
    created_column(),
    sa.UniqueConstraint("account_id", "domain"),
)
# Follow suggestions a person dismissed: never suggested to them again.
suggestion_dismissals = sa.Table(
    "suggestion_dismissals",
    metadata,
    foreign_key("account_id", "accounts.id"),
    foreign_key("target_account_id", "accounts.id"),
    created_column(),
    sa.PrimaryKeyConstraint("account_id", "target_account_id"),
)
