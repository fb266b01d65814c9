"""Labels: what labelers say about posts and accounts, and what each person chose to see.

Any account can be a labeler (issue 12): it publishes label definitions and issues labels,
each a signed ActivityPub object (`federation.data_integrity`). Everyone here chooses which
labelers to subscribe to and what each of their labels does to their view.
"""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.db.tables.base import created_column, foreign_key, id_column, metadata
from pnyx.db.types import UTCDateTime

# Ed25519 keys for Data Integrity proofs (FEP-521a's Multikey on the actor): a local
# account's, with its private key, made on first need; another server's, as its actor
# announced it.
integrity_keys = sa.Table(
    "integrity_keys",
    metadata,
    sa.Column("key_id", sa.String(2048), primary_key=True),
    foreign_key("account_id", "accounts.id"),
    sa.Column("public_key", sa.LargeBinary, nullable=False),  # 32 raw bytes
    sa.Column("private_key", sa.LargeBinary, nullable=True),  # local accounts only
    created_column(),
)
sa.Index("ix_integrity_keys_account_id", integrity_keys.c.account_id)

# A labeler's label definitions: the value it uses, what the label does by default
# (`severity`: inform, warn or hide; `default_setting`: show, warn or hide) and its names
# and descriptions by language ([{lang, name, description}]).
label_definitions = sa.Table(
    "label_definitions",
    metadata,
    id_column(),
    foreign_key("labeler_account_id", "accounts.id"),
    sa.Column("value", sa.String(64), nullable=False),
    sa.Column("severity", sa.String(8), nullable=False),
    sa.Column("default_setting", sa.String(8), nullable=False),
    sa.Column("locales", sa.JSON, nullable=False, default=list),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    created_column(),
    sa.UniqueConstraint("labeler_account_id", "value"),
)

# Labels as they stand: one row per (labeler, subject, value), the latest the labeler said
# (a negation keeps its row with `neg`, so a late copy of the older label cannot win). The
# subject is a URI; `status_id` / `account_id` are the post or account it names when this
# server knows it (the pipeline reads labels by them).
labels = sa.Table(
    "labels",
    metadata,
    id_column(),
    foreign_key("labeler_account_id", "accounts.id"),
    sa.Column("uri", sa.String(2048), nullable=False, unique=True),
    sa.Column("subject_uri", sa.String(2048), nullable=False),
    foreign_key("status_id", "statuses.id", nullable=True),
    foreign_key("account_id", "accounts.id", nullable=True),
    sa.Column("value", sa.String(64), nullable=False),
    sa.Column("neg", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("labeled_at", UTCDateTime, nullable=False),  # the label's own `published`
    sa.Column("expires_at", UTCDateTime, nullable=True),
    sa.Column("reason", sa.Text, nullable=True),  # a link or text saying why
    sa.Column("document", sa.JSON, nullable=True),  # another labeler's signed object, as received
    created_column(),
    sa.UniqueConstraint("labeler_account_id", "subject_uri", "value"),
)
sa.Index("ix_labels_status_id", labels.c.status_id)
sa.Index("ix_labels_subject_uri", labels.c.subject_uri)  # labels on a URI; linking a newcomer
sa.Index("ix_labels_account_id", labels.c.account_id)

# Whose labels a person applies to their view (private to them).
labeler_subscriptions = sa.Table(
    "labeler_subscriptions",
    metadata,
    foreign_key("account_id", "accounts.id"),
    foreign_key("labeler_account_id", "accounts.id"),
    created_column(),
    sa.PrimaryKeyConstraint("account_id", "labeler_account_id"),
)

# What a person set a labeler's label to do (show, warn or hide), over its default.
label_settings = sa.Table(
    "label_settings",
    metadata,
    foreign_key("account_id", "accounts.id"),
    foreign_key("labeler_account_id", "accounts.id"),
    sa.Column("value", sa.String(64), nullable=False),
    sa.Column("setting", sa.String(8), nullable=False),
    sa.PrimaryKeyConstraint("account_id", "labeler_account_id", "value"),
)

# --- Shared block and mute lists ------------------------------------------------------------

# A moderation list anyone publishes (a public collection of accounts, with a description);
# another server's, as its collection said (`uri`).
moderation_lists = sa.Table(
    "moderation_lists",
    metadata,
    id_column(),
    foreign_key("account_id", "accounts.id"),  # who keeps it
    sa.Column("uri", sa.String(2048), nullable=False, unique=True),
    sa.Column("title", sa.String(255), nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    created_column(),
)
sa.Index("ix_moderation_lists_account_id", moderation_lists.c.account_id)

moderation_list_members = sa.Table(
    "moderation_list_members",
    metadata,
    foreign_key("list_id", "moderation_lists.id"),
    foreign_key("account_id", "accounts.id"),
    created_column(),
    sa.PrimaryKeyConstraint("list_id", "account_id"),
)

# Who mutes or blocks by a list (private to them).
moderation_list_subscriptions = sa.Table(
    "moderation_list_subscriptions",
    metadata,
    foreign_key("account_id", "accounts.id"),
    foreign_key("list_id", "moderation_lists.id"),
    sa.Column("action", sa.String(8), nullable=False),  # mute or block
    created_column(),
    sa.PrimaryKeyConstraint("account_id", "list_id"),
)
sa.Index("ix_moderation_list_subscriptions_list_id", moderation_list_subscriptions.c.list_id)

# Accounts a subscriber keeps out of every list they subscribe to.
moderation_list_exemptions = sa.Table(
    "moderation_list_exemptions",
    metadata,
    foreign_key("account_id", "accounts.id"),
    foreign_key("target_account_id", "accounts.id"),
    created_column(),
    sa.PrimaryKeyConstraint("account_id", "target_account_id"),
)
