"""Web Push: where an app asked to be told of its user's notifications."""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.db.tables.base import created_column, foreign_key, id_column, metadata
from pnyx.db.types import UTCDateTime

# One subscription per access token (as Mastodon): the app's push service endpoint and the
# keys (RFC 8291) to encrypt for it. `alerts`: the notification types wanted, comma-separated.
# `access_token` is the bearer token itself, which the tokens table keeps only as a digest:
# Mastodon's push payload carries it, and apps (Ice Cubes, the web apps' service workers) use
# it to tell which of their accounts a push is for. It goes with the row when the token is
# revoked (`core.web_push.forget_revoked`).
web_push_subscriptions = sa.Table(
    "web_push_subscriptions",
    metadata,
    id_column(),
    foreign_key("access_token_id", "oauth_tokens.id"),
    foreign_key("account_id", "accounts.id"),
    sa.Column("endpoint", sa.String(2048), nullable=False),
    sa.Column("key_p256dh", sa.String(256), nullable=False),
    sa.Column("key_auth", sa.String(128), nullable=False),
    sa.Column("standard", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("alerts", sa.String(512), nullable=False, server_default=""),
    sa.Column("policy", sa.String(16), nullable=False, server_default="all"),
    sa.Column("access_token", sa.String(512), nullable=False),
    created_column(),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("access_token_id"),
)
sa.Index("ix_web_push_subscriptions_account", web_push_subscriptions.c.account_id)
