"""Lists of accounts, followed hashtags, and the hashtags people feature on their profile."""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.db.tables.base import created_column, foreign_key, id_column, metadata

# Lists of accounts; an exclusive list's members' posts leave the owner's home timeline.
lists = sa.Table(
    "lists",
    metadata,
    id_column(),
    foreign_key("account_id", "accounts.id"),  # whose list
    sa.Column("title", sa.String(256), nullable=False),
    sa.Column("replies_policy", sa.String(16), nullable=False, server_default="list"),
    sa.Column("exclusive", sa.Boolean, nullable=False, server_default=sa.false()),
    created_column(),
)
sa.Index("ix_lists_account_id", lists.c.account_id)
# Members are followed (or the owner: follow_id NULL); a follow's end ends its memberships.
list_accounts = sa.Table(
    "list_accounts",
    metadata,
    id_column(),
    foreign_key("list_id", "lists.id"),
    foreign_key("account_id", "accounts.id"),
    foreign_key("follow_id", "follows.id", nullable=True),
    sa.UniqueConstraint("list_id", "account_id"),
)
sa.Index("ix_list_accounts_account_id", list_accounts.c.account_id)
sa.Index("ix_list_accounts_follow_id", list_accounts.c.follow_id)

tag_follows = sa.Table(
    "tag_follows",
    metadata,
    id_column(),
    foreign_key("account_id", "accounts.id"),
    foreign_key("tag_id", "tags.id"),
    created_column(),
    sa.UniqueConstraint("account_id", "tag_id"),
)
featured_tags = sa.Table(
    "featured_tags",
    metadata,
    id_column(),
    foreign_key("account_id", "accounts.id"),
    foreign_key("tag_id", "tags.id"),
    created_column(),
    sa.UniqueConstraint("account_id", "tag_id"),
)
