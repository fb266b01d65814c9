"""The instance: its rules, custom emoji, moderation log and reports."""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.db.tables.base import ID, created_column, foreign_key, id_column, metadata
from pnyx.db.types import UTCDateTime

# --- Instance -----------------------------------------------------------------------------

rules = sa.Table(
    "rules",
    metadata,
    id_column(),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("hint", sa.Text, nullable=False, server_default=""),
    sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    # What breaking it leads to, as the policy page says: "removal" or "label" (None: unsaid).
    sa.Column("consequence", sa.String(16), nullable=True),
    created_column(),
)

custom_emojis = sa.Table(
    "custom_emojis",
    metadata,
    id_column(),
    sa.Column("shortcode", sa.String(64), nullable=False),
    sa.Column("domain", sa.String(255), nullable=True),
    sa.Column("url", sa.String(2048), nullable=False),
    sa.Column("static_url", sa.String(2048), nullable=False),
    sa.Column("visible_in_picker", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("category", sa.String(64), nullable=True),
    created_column(),
    # A disabled emoji is neither offered nor shown (its text stays `:shortcode:`).
    sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
    # ActivityPub id: a remote emoji's own; ours are served at /emojis/<id> (None: computed).
    sa.Column("uri", sa.String(2048), nullable=True),
    sa.Column("image_remote_url", sa.String(2048), nullable=True),  # a remote emoji's origin
    sa.Column("file_key", sa.String(512), nullable=True),  # files in the media store
    sa.Column("static_key", sa.String(512), nullable=True),
    sa.Column("updated_at", UTCDateTime, nullable=True),
)
# One emoji per (shortcode, domain); domain is '' in the index so that local ones collide too.
sa.Index(
    "ux_custom_emojis_shortcode_domain",
    custom_emojis.c.shortcode,
    sa.func.coalesce(custom_emojis.c.domain, ""),
    unique=True,
)

# Which emojis each account's name, bio and fields use (what `accounts.emojis` lists): so that
# a changed emoji finds the accounts that show it by index, never by reading every profile.
account_emojis = sa.Table(
    "account_emojis",
    metadata,
    foreign_key("account_id", "accounts.id"),
    foreign_key("custom_emoji_id", "custom_emojis.id"),
    sa.PrimaryKeyConstraint("account_id", "custom_emoji_id"),
)
sa.Index("ix_account_emojis_custom_emoji_id", account_emojis.c.custom_emoji_id)

# Public log of what the instance's moderators did, and why (pillar 3: transparent).
moderation_log = sa.Table(
    "moderation_log",
    metadata,
    id_column(),
    foreign_key("actor_account_id", "accounts.id", nullable=True, ondelete="SET NULL"),
    sa.Column("action", sa.String(64), nullable=False),
    foreign_key("target_account_id", "accounts.id", nullable=True, ondelete="SET NULL"),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("target_domain", sa.String(255), nullable=True),  # a domain block's domain
    # The instance rule cited, and its text as it read then (a rule may change or go).
    sa.Column("rule_id", ID, nullable=True),
    sa.Column("rule_text", sa.Text, nullable=True),
    sa.Column("actor_role", sa.String(16), nullable=True),  # admin, moderator, operator
    # Staff only: the username a rejected sign-up asked for (it never had a public account).
    sa.Column("target_name", sa.String(255), nullable=True),
    sa.Column("ends_at", UTCDateTime, nullable=True),
    sa.Column("private_note", sa.Text, nullable=True),  # staff only (a block's private comment)
    # The strike the action left on a local account: its appeal and outcome show on the entry.
    sa.Column("strike_id", ID, nullable=True),
    created_column(),
)

# Reports about accounts (and some of their posts), for moderators. Remote servers send them
# as Flag activities; the reporter is then the remote server's actor (or the account it names).
reports = sa.Table(
    "reports",
    metadata,
    id_column(),
    foreign_key("account_id", "accounts.id"),  # who reports
    foreign_key("target_account_id", "accounts.id"),
    sa.Column("status_ids", sa.JSON, nullable=False, default=list),
    sa.Column("comment", sa.Text, nullable=False, server_default=""),
    sa.Column("category", sa.String(16), nullable=False, server_default="other"),
    sa.Column("rule_ids", sa.JSON, nullable=True),  # the instance rules it says were broken
    sa.Column("forwarded", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("uri", sa.String(2048), nullable=True, unique=True),
    sa.Column("resolved_at", UTCDateTime, nullable=True),
    # The admin API: the moderator who took it on, who resolved it, and when it last changed.
    foreign_key("assigned_account_id", "accounts.id", nullable=True, ondelete="SET NULL"),
    foreign_key("action_taken_by_account_id", "accounts.id", nullable=True, ondelete="SET NULL"),
    sa.Column("updated_at", UTCDateTime, nullable=True),
    created_column(),
)

# Strikes: what the staff did to an account and told its owner (Mastodon's AccountWarning).
# The owner sees it in a `moderation_warning` notification and on its page, where they can
# appeal it (`appeals`); `action` is one of `core.account_warnings.ACTIONS`.
account_warnings = sa.Table(
    "account_warnings",
    metadata,
    id_column(),
    foreign_key("account_id", "accounts.id", nullable=True, ondelete="SET NULL"),  # the staff
    foreign_key("target_account_id", "accounts.id"),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("text", sa.Text, nullable=False, server_default=""),
    sa.Column("status_ids", sa.JSON, nullable=True),  # the posts it is about (a report's)
    foreign_key("report_id", "reports.id", nullable=True, ondelete="SET NULL"),
    # The instance rule it cites, and its text as it read then.
    sa.Column("rule_id", ID, nullable=True),
    sa.Column("rule_text", sa.Text, nullable=True),
    sa.Column("ends_at", UTCDateTime, nullable=True),  # a limit given for a time
    # The posts a removal took, as their owner wrote them ([{id, created_at, spoiler_text,
    # content}]): the owner reads what was removed on the strike's page, and nobody else.
    sa.Column("removed_posts", sa.JSON, nullable=True),
    created_column(),
)
sa.Index("ix_account_warnings_target_account_id", account_warnings.c.target_account_id)

# Appeals: the owner of a strike asks the staff to reverse it (one appeal per strike). Another
# staff member than the one who acted decides; `state` is pending, approved or rejected.
appeals = sa.Table(
    "appeals",
    metadata,
    id_column(),
    foreign_key("account_warning_id", "account_warnings.id"),
    foreign_key("account_id", "accounts.id"),  # who appeals
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("state", sa.String(16), nullable=False, server_default="pending"),
    foreign_key("decided_by_account_id", "accounts.id", nullable=True, ondelete="SET NULL"),
    sa.Column("decided_at", UTCDateTime, nullable=True),
    created_column(),
    sa.UniqueConstraint("account_warning_id"),
)
sa.Index("ix_appeals_state", appeals.c.state, appeals.c.id)
