"""Accounts, the users behind local ones, invites, OAuth apps, codes and tokens, web sessions."""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.db.tables.base import ID, created_column, foreign_key, id_column, metadata
from pnyx.db.types import UTCDateTime

accounts = sa.Table(
    "accounts",
    metadata,
    id_column(),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("domain", sa.String(255), nullable=True),  # NULL: local
    sa.Column("display_name", sa.String(255), nullable=False, server_default=""),
    sa.Column("note", sa.Text, nullable=False, server_default=""),  # sanitized HTML
    sa.Column("note_source", sa.Text, nullable=False, server_default=""),
    sa.Column("fields", sa.JSON, nullable=False, default=list),  # [{name, value, verified_at}]
    sa.Column("locked", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("bot", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("group", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("discoverable", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("indexable", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("hide_collections", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("uri", sa.String(2048), nullable=False, unique=True),
    sa.Column("url", sa.String(2048), nullable=True),
    sa.Column("inbox_url", sa.String(2048), nullable=True),
    sa.Column("shared_inbox_url", sa.String(2048), nullable=True),
    sa.Column("outbox_url", sa.String(2048), nullable=True),
    sa.Column("followers_url", sa.String(2048), nullable=True),
    sa.Column("following_url", sa.String(2048), nullable=True),
    sa.Column("featured_url", sa.String(2048), nullable=True),
    sa.Column("public_key_pem", sa.Text, nullable=True),
    # Remote accounts: the id of their key (`keyId` of what they sign), usually uri#main-key.
    sa.Column("public_key_id", sa.String(2048), nullable=True),
    sa.Column("private_key_pem", sa.Text, nullable=True),  # local accounts only
    # Avatar and header: the URLs clients are given (a file in the media store, or for a
    # remote account not cached yet its origin), the still first frame of an animated one,
    # where a remote account's images come from, and the store keys of our files of them
    # (`pnyx.core.profile_media`, `pnyx.core.remote_media`).
    sa.Column("avatar_url", sa.String(2048), nullable=True),
    sa.Column("header_url", sa.String(2048), nullable=True),
    sa.Column("avatar_static_url", sa.String(2048), nullable=True),
    sa.Column("header_static_url", sa.String(2048), nullable=True),
    sa.Column("avatar_remote_url", sa.String(2048), nullable=True),
    sa.Column("header_remote_url", sa.String(2048), nullable=True),
    sa.Column("avatar_key", sa.String(512), nullable=True),
    sa.Column("avatar_static_key", sa.String(512), nullable=True),
    sa.Column("header_key", sa.String(512), nullable=True),
    sa.Column("header_static_key", sa.String(512), nullable=True),
    sa.Column("images_size", sa.BigInteger, nullable=True),  # bytes of our files of them
    sa.Column("images_cached_at", UTCDateTime, nullable=True),  # remote: when we fetched them
    sa.Column("also_known_as", sa.JSON, nullable=False, default=list),
    # The websites that may credit this account on their link cards (core.attribution), as
    # lowercase ASCII domain names. None: none.
    sa.Column("attribution_domains", sa.JSON, nullable=True),
    # The custom emojis its name, bio and fields use, as the Account entity lists them: kept
    # with the account (rendered in many places without a transaction), renewed when it or
    # the emojis change (core.custom_emojis). None: none.
    sa.Column("emojis", sa.JSON, nullable=True),
    foreign_key("moved_to_account_id", "accounts.id", nullable=True, ondelete="SET NULL"),
    sa.Column("statuses_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("followers_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("following_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_status_at", UTCDateTime, nullable=True),
    sa.Column("suspended_at", UTCDateTime, nullable=True),
    sa.Column("suspension_reason", sa.Text, nullable=True),
    # Limited by the staff (Mastodon's "silence"): its posts stay off the public and hashtag
    # timelines and the trends, until `silenced_until` when one is set (core.reach).
    sa.Column("silenced_at", UTCDateTime, nullable=True),
    sa.Column("silenced_until", UTCDateTime, nullable=True),
    # Its media marked sensitive by the staff: new posts with media are sensitive (core.reach).
    sa.Column("sensitized_at", UTCDateTime, nullable=True),
    sa.Column("fetched_at", UTCDateTime, nullable=True),  # remote: last refresh
    created_column(),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    # Bumped by the database on any change to the row or to its user's role (migration 0031,
    # `core.row_cache`).
    sa.Column("render_version", sa.Integer, nullable=False, server_default="0"),
)
# One account per (lower(username), domain). domain is '' in the index so that NULLs collide.
sa.Index(
    "ux_accounts_username_domain",
    sa.func.lower(accounts.c.username),
    sa.func.coalesce(sa.func.lower(accounts.c.domain), ""),
    unique=True,
)

users = sa.Table(
    "users",
    metadata,
    id_column(),
    foreign_key("account_id", "accounts.id"),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(16), nullable=False, server_default="user"),  # user/moderator/admin
    sa.Column("approved", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("confirmed", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("registration_reason", sa.Text, nullable=True),
    sa.Column("invite_id", ID, nullable=True),  # no FK: invites also point at users
    sa.Column("locale", sa.String(16), nullable=True),
    sa.Column("default_visibility", sa.String(16), nullable=False, server_default="public"),
    sa.Column("default_sensitive", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("default_language", sa.String(16), nullable=True),
    # Who may quote a new post when it does not say (core.quotes): public, followers, nobody
    sa.Column("default_quote_policy", sa.String(16), nullable=False, server_default="public"),
    created_column(),
    sa.Column("last_sign_in_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("account_id"),
)
sa.Index("ux_users_email", sa.func.lower(users.c.email), unique=True)

invites = sa.Table(
    "invites",
    metadata,
    id_column(),
    sa.Column("code", sa.String(64), nullable=False, unique=True),
    foreign_key("user_id", "users.id", nullable=True, ondelete="SET NULL"),
    sa.Column("max_uses", sa.Integer, nullable=True),
    sa.Column("uses", sa.Integer, nullable=False, server_default="0"),
    sa.Column("expires_at", UTCDateTime, nullable=True),
    created_column(),
)

# --- OAuth ------------------------------------------------------------------------------

oauth_apps = sa.Table(
    "oauth_apps",
    metadata,
    id_column(),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("website", sa.String(2048), nullable=True),
    sa.Column("redirect_uris", sa.Text, nullable=False),  # newline-separated, exact match
    sa.Column("scopes", sa.String(1024), nullable=False),
    sa.Column("client_id", sa.String(64), nullable=False, unique=True),
    sa.Column("client_secret", sa.String(64), nullable=False),
    foreign_key("owner_user_id", "users.id", nullable=True, ondelete="SET NULL"),
    created_column(),
)

oauth_codes = sa.Table(
    "oauth_codes",
    metadata,
    id_column(),
    sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
    foreign_key("app_id", "oauth_apps.id"),
    foreign_key("user_id", "users.id"),
    sa.Column("redirect_uri", sa.String(2048), nullable=False),
    sa.Column("scopes", sa.String(1024), nullable=False),
    sa.Column("code_challenge", sa.String(256), nullable=True),
    sa.Column("code_challenge_method", sa.String(16), nullable=True),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("used_at", UTCDateTime, nullable=True),
    created_column(),
)

# Tokens are stored as SHA-256 digests: a leaked database does not leak working tokens.
oauth_tokens = sa.Table(
    "oauth_tokens",
    metadata,
    id_column(),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    foreign_key("app_id", "oauth_apps.id", nullable=True),
    foreign_key("user_id", "users.id", nullable=True),  # NULL: client_credentials (app-only)
    sa.Column("scopes", sa.String(1024), nullable=False),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
    sa.Column("last_used_at", UTCDateTime, nullable=True),
    created_column(),
)
sa.Index("ix_oauth_tokens_user", oauth_tokens.c.user_id)

# Browser sessions of the HTML sign-in (and later the web UI); revocable like tokens.
web_sessions = sa.Table(
    "web_sessions",
    metadata,
    id_column(),
    sa.Column("session_hash", sa.String(64), nullable=False, unique=True),
    foreign_key("user_id", "users.id"),
    sa.Column("user_agent", sa.String(512), nullable=True),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
    created_column(),
)

sa.Index("ix_accounts_public_key_id", accounts.c.public_key_id)
