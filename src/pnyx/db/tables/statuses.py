"""Posts and what hangs on them: edits, mentions, tags, favourites, bookmarks, pins, polls,
media."""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.db.tables.base import ID, created_column, foreign_key, id_column, metadata
from pnyx.db.types import UTCDateTime

# --- Statuses -----------------------------------------------------------------------------

statuses = sa.Table(
    "statuses",
    metadata,
    id_column(),
    sa.Column("uri", sa.String(2048), nullable=False, unique=True),
    sa.Column("url", sa.String(2048), nullable=True),
    foreign_key("account_id", "accounts.id"),
    sa.Column("local", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("text", sa.Text, nullable=False, server_default=""),  # author's source
    sa.Column("content", sa.Text, nullable=False, server_default=""),  # sanitized HTML
    sa.Column("spoiler_text", sa.Text, nullable=False, server_default=""),
    sa.Column("visibility", sa.String(16), nullable=False),  # public/unlisted/private/direct
    sa.Column("sensitive", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("language", sa.String(16), nullable=True),
    foreign_key("in_reply_to_id", "statuses.id", nullable=True, ondelete="SET NULL"),
    foreign_key("in_reply_to_account_id", "accounts.id", nullable=True, ondelete="SET NULL"),
    sa.Column("in_reply_to_uri", sa.String(2048), nullable=True),  # when the parent is unknown
    foreign_key("reblog_of_id", "statuses.id", nullable=True),
    sa.Column("conversation_id", ID, nullable=True),  # id of the thread's root
    foreign_key("application_id", "oauth_apps.id", nullable=True, ondelete="SET NULL"),
    sa.Column("replies_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("reblogs_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("favourites_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("has_media", sa.Boolean, nullable=False, server_default=sa.false()),
    created_column(),
    sa.Column("edited_at", UTCDateTime, nullable=True),
    # Who may quote it (core.quotes): public, followers or nobody; NULL for a post made
    # before quotes existed, or from a server that says nothing, which nobody else may quote.
    sa.Column("quote_policy", sa.String(16), nullable=True),
    # Bumped by the database on any change to the row or to what a post is shown with
    # (mentions, tags, media, card, poll, quote): see migration 0031 and `core.row_cache`.
    sa.Column("render_version", sa.Integer, nullable=False, server_default="0"),
)
sa.Index("ix_statuses_account_id_id", statuses.c.account_id, statuses.c.id)
sa.Index("ix_statuses_in_reply_to_id", statuses.c.in_reply_to_id)
# (reblog_of_id, account_id): "which of these did the viewer boost" probes by original.
sa.Index("ix_statuses_reblog_of_id", statuses.c.reblog_of_id, statuses.c.account_id)
sa.Index("ix_statuses_conversation_id", statuses.c.conversation_id)
# Public/local timelines walk this: newest public posts that are not boosts.
sa.Index("ix_statuses_visibility_id", statuses.c.visibility, statuses.c.id)

status_edits = sa.Table(
    "status_edits",
    metadata,
    id_column(),
    foreign_key("status_id", "statuses.id"),
    foreign_key("account_id", "accounts.id"),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("spoiler_text", sa.Text, nullable=False, server_default=""),
    sa.Column("sensitive", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("poll_options", sa.JSON, nullable=True),
    created_column(),
)
sa.Index("ix_status_edits_status_id", status_edits.c.status_id)

mentions = sa.Table(
    "mentions",
    metadata,
    id_column(),
    foreign_key("status_id", "statuses.id"),
    foreign_key("account_id", "accounts.id"),
    sa.Column("silent", sa.Boolean, nullable=False, server_default=sa.false()),
    # Whether the post is followers-only or direct: the home timeline adds those that mention
    # the viewer, and walks only them through the partial index below.
    sa.Column("private", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.UniqueConstraint("status_id", "account_id"),
)
sa.Index("ix_mentions_account_id_status_id", mentions.c.account_id, mentions.c.status_id)
sa.Index(
    "ix_mentions_private",
    mentions.c.account_id,
    mentions.c.status_id,
    sqlite_where=mentions.c.private,
    postgresql_where=mentions.c.private,
)

tags = sa.Table(
    "tags",
    metadata,
    id_column(),
    sa.Column("name", sa.String(255), nullable=False, unique=True),  # lower-cased
    sa.Column("display_name", sa.String(255), nullable=False),
    created_column(),
)

status_tags = sa.Table(
    "status_tags",
    metadata,
    foreign_key("status_id", "statuses.id"),
    foreign_key("tag_id", "tags.id"),
    sa.PrimaryKeyConstraint("status_id", "tag_id"),
)
sa.Index("ix_status_tags_tag_id_status_id", status_tags.c.tag_id, status_tags.c.status_id)

favourites = sa.Table(
    "favourites",
    metadata,
    id_column(),
    foreign_key("account_id", "accounts.id"),
    foreign_key("status_id", "statuses.id"),
    sa.Column("uri", sa.String(2048), nullable=True),
    created_column(),
    sa.UniqueConstraint("account_id", "status_id"),
)
sa.Index("ix_favourites_status_id", favourites.c.status_id)

bookmarks = sa.Table(
    "bookmarks",
    metadata,
    id_column(),
    foreign_key("account_id", "accounts.id"),
    foreign_key("status_id", "statuses.id"),
    created_column(),
    sa.UniqueConstraint("account_id", "status_id"),
)

status_pins = sa.Table(
    "status_pins",
    metadata,
    id_column(),
    foreign_key("account_id", "accounts.id"),
    foreign_key("status_id", "statuses.id"),
    created_column(),
    sa.UniqueConstraint("account_id", "status_id"),
)

# Posts the staff took out of the trends (Mastodon's "reject" of a trending post): they stay
# everywhere else, and their author is told (core.reach).
status_trend_removals = sa.Table(
    "status_trend_removals",
    metadata,
    foreign_key("status_id", "statuses.id"),
    foreign_key("account_id", "accounts.id", nullable=True, ondelete="SET NULL"),  # the staff
    created_column(),
    sa.PrimaryKeyConstraint("status_id"),
)

conversation_mutes = sa.Table(
    "conversation_mutes",
    metadata,
    foreign_key("account_id", "accounts.id"),
    sa.Column("conversation_id", ID, nullable=False),
    sa.PrimaryKeyConstraint("account_id", "conversation_id"),
)

# Clients retry a post with the same Idempotency-Key; the second gets the first's status.
idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    foreign_key("account_id", "accounts.id"),
    sa.Column("key", sa.String(255), nullable=False),
    foreign_key("status_id", "statuses.id"),
    created_column(),
    sa.PrimaryKeyConstraint("account_id", "key"),
)

# --- Polls --------------------------------------------------------------------------------

polls = sa.Table(
    "polls",
    metadata,
    id_column(),
    foreign_key("status_id", "statuses.id"),
    foreign_key("account_id", "accounts.id"),
    sa.Column("uri", sa.String(2048), nullable=True),
    sa.Column("options", sa.JSON, nullable=False),  # [title, ...]
    sa.Column("tallies", sa.JSON, nullable=False),  # [votes, ...] kept with each vote
    sa.Column("multiple", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("hide_totals", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("votes_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("voters_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("expires_at", UTCDateTime, nullable=True),
    sa.Column("closed_at", UTCDateTime, nullable=True),  # set by the expiry job
    created_column(),
    sa.UniqueConstraint("status_id"),
)

poll_votes = sa.Table(
    "poll_votes",
    metadata,
    id_column(),
    foreign_key("poll_id", "polls.id"),
    foreign_key("account_id", "accounts.id"),
    sa.Column("choice", sa.Integer, nullable=False),
    sa.Column("uri", sa.String(2048), nullable=True),
    created_column(),
    sa.UniqueConstraint("poll_id", "account_id", "choice"),
)

# Media of posts. Remote media is shown from its origin (remote_url) for now. An upload is
# made by its account before the post that carries it (status_id NULL until then): its
# files are in the media store under file_key and preview_key (url and preview_url are where
# browsers fetch them); while `processing` is "queued" the file as sent waits under
# upload_key for the media.process job.
media_attachments = sa.Table(
    "media_attachments",
    metadata,
    id_column(),
    foreign_key("status_id", "statuses.id", nullable=True),
    foreign_key("account_id", "accounts.id"),
    sa.Column("type", sa.String(16), nullable=False),  # image, gifv, video, audio, unknown
    sa.Column("url", sa.String(2048), nullable=True),
    sa.Column("preview_url", sa.String(2048), nullable=True),
    sa.Column("remote_url", sa.String(2048), nullable=True),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("blurhash", sa.String(100), nullable=True),
    sa.Column("meta", sa.JSON, nullable=False, default=dict),
    sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    sa.Column("processing", sa.String(16), nullable=False, server_default="done"),  # queued, failed
    sa.Column("file_key", sa.String(512), nullable=True),
    sa.Column("preview_key", sa.String(512), nullable=True),
    sa.Column("upload_key", sa.String(512), nullable=True),
    sa.Column("content_type", sa.String(100), nullable=True),
    sa.Column("file_size", sa.BigInteger, nullable=True),
    created_column(),
    # Reserved for a post scheduled for later (core.scheduled_statuses), until it is published.
    foreign_key("scheduled_status_id", "scheduled_statuses.id", nullable=True, ondelete="SET NULL"),
)
sa.Index("ix_media_attachments_status_id", media_attachments.c.status_id)
sa.Index("ix_media_attachments_file_key", media_attachments.c.file_key)
sa.Index("ix_media_attachments_preview_key", media_attachments.c.preview_key)
sa.Index("ix_media_attachments_account_id", media_attachments.c.account_id)
sa.Index("ix_media_attachments_scheduled_status_id", media_attachments.c.scheduled_status_id)

# --- Quotes -------------------------------------------------------------------------------

# A post that quotes another (Mastodon 4.5, FEP-044f): one row per quoting post. `state` is
# the Quote entity's (pending, accepted, rejected, revoked). The quoted post may be unknown
# here (`quoted_status_id` NULL, `quoted_uri` kept) or gone (NULL once deleted, while the
# state stays accepted: shown as `deleted`). `request_uri`: the QuoteRequest that asked;
# `approval_uri`: the QuoteAuthorization stamp the quoted author's server issued.
quotes = sa.Table(
    "quotes",
    metadata,
    id_column(),
    foreign_key("status_id", "statuses.id"),
    foreign_key("account_id", "accounts.id"),  # the quoting post's author
    foreign_key("quoted_status_id", "statuses.id", nullable=True, ondelete="SET NULL"),
    foreign_key("quoted_account_id", "accounts.id", nullable=True, ondelete="SET NULL"),
    sa.Column("quoted_uri", sa.String(2048), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("request_uri", sa.String(2048), nullable=True),
    sa.Column("approval_uri", sa.String(2048), nullable=True),
    created_column(),
    sa.UniqueConstraint("status_id"),
)
sa.Index("ix_quotes_quoted_status_id", quotes.c.quoted_status_id, quotes.c.id)
sa.Index("ix_quotes_approval_uri", quotes.c.approval_uri)
