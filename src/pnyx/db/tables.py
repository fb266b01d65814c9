"""Every table, as SQLAlchemy Core. Migrations under migrations/ are generated from this.

Local and remote things share tables: an account whose `domain` is NULL is local. Every
account, status, poll and activity has an ActivityPub `uri` from the moment it exists.
Counters (statuses_count, replies_count ...) are kept up to date in the same transaction as
the change that moves them, so that reading a timeline never counts rows.
"""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.db.types import UTCDateTime

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# 64-bit ids. On SQLite they are declared INTEGER so that a single-column primary key is an
# alias of the rowid: a lookup by id is then one B-tree search instead of two.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id() -> sa.Column:
    return sa.Column("id", ID, primary_key=True, autoincrement=False)


def _fk(name: str, target: str, *, nullable: bool = False, ondelete: str = "CASCADE") -> sa.Column:
    return sa.Column(name, ID, sa.ForeignKey(target, ondelete=ondelete), nullable=nullable)


def _created() -> sa.Column:
    return sa.Column("created_at", UTCDateTime, nullable=False)


accounts = sa.Table(
    "accounts",
    metadata,
    _id(),
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
    sa.Column("avatar_url", sa.String(2048), nullable=True),
    sa.Column("header_url", sa.String(2048), nullable=True),
    sa.Column("also_known_as", sa.JSON, nullable=False, default=list),
    _fk("moved_to_account_id", "accounts.id", nullable=True, ondelete="SET NULL"),
    sa.Column("statuses_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("followers_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("following_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_status_at", UTCDateTime, nullable=True),
    sa.Column("suspended_at", UTCDateTime, nullable=True),
    sa.Column("suspension_reason", sa.Text, nullable=True),
    sa.Column("fetched_at", UTCDateTime, nullable=True),  # remote: last refresh
    _created(),
    sa.Column("updated_at", UTCDateTime, nullable=False),
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
    _id(),
    _fk("account_id", "accounts.id"),
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
    _created(),
    sa.Column("last_sign_in_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("account_id"),
)
sa.Index("ux_users_email", sa.func.lower(users.c.email), unique=True)

invites = sa.Table(
    "invites",
    metadata,
    _id(),
    sa.Column("code", sa.String(64), nullable=False, unique=True),
    _fk("user_id", "users.id", nullable=True, ondelete="SET NULL"),
    sa.Column("max_uses", sa.Integer, nullable=True),
    sa.Column("uses", sa.Integer, nullable=False, server_default="0"),
    sa.Column("expires_at", UTCDateTime, nullable=True),
    _created(),
)

# --- OAuth ------------------------------------------------------------------------------

oauth_apps = sa.Table(
    "oauth_apps",
    metadata,
    _id(),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("website", sa.String(2048), nullable=True),
    sa.Column("redirect_uris", sa.Text, nullable=False),  # newline-separated, exact match
    sa.Column("scopes", sa.String(1024), nullable=False),
    sa.Column("client_id", sa.String(64), nullable=False, unique=True),
    sa.Column("client_secret", sa.String(64), nullable=False),
    _fk("owner_user_id", "users.id", nullable=True, ondelete="SET NULL"),
    _created(),
)

oauth_codes = sa.Table(
    "oauth_codes",
    metadata,
    _id(),
    sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
    _fk("app_id", "oauth_apps.id"),
    _fk("user_id", "users.id"),
    sa.Column("redirect_uri", sa.String(2048), nullable=False),
    sa.Column("scopes", sa.String(1024), nullable=False),
    sa.Column("code_challenge", sa.String(256), nullable=True),
    sa.Column("code_challenge_method", sa.String(16), nullable=True),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("used_at", UTCDateTime, nullable=True),
    _created(),
)

# Tokens are stored as SHA-256 digests: a leaked database does not leak working tokens.
oauth_tokens = sa.Table(
    "oauth_tokens",
    metadata,
    _id(),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    _fk("app_id", "oauth_apps.id", nullable=True),
    _fk("user_id", "users.id", nullable=True),  # NULL: client_credentials (app-only)
    sa.Column("scopes", sa.String(1024), nullable=False),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
    sa.Column("last_used_at", UTCDateTime, nullable=True),
    _created(),
)
sa.Index("ix_oauth_tokens_user", oauth_tokens.c.user_id)

# Browser sessions of the HTML sign-in (and later the web UI); revocable like tokens.
web_sessions = sa.Table(
    "web_sessions",
    metadata,
    _id(),
    sa.Column("session_hash", sa.String(64), nullable=False, unique=True),
    _fk("user_id", "users.id"),
    sa.Column("user_agent", sa.String(512), nullable=True),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
    _created(),
)

# --- Statuses -----------------------------------------------------------------------------

statuses = sa.Table(
    "statuses",
    metadata,
    _id(),
    sa.Column("uri", sa.String(2048), nullable=False, unique=True),
    sa.Column("url", sa.String(2048), nullable=True),
    _fk("account_id", "accounts.id"),
    sa.Column("local", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("text", sa.Text, nullable=False, server_default=""),  # author's source
    sa.Column("content", sa.Text, nullable=False, server_default=""),  # sanitized HTML
    sa.Column("spoiler_text", sa.Text, nullable=False, server_default=""),
    sa.Column("visibility", sa.String(16), nullable=False),  # public/unlisted/private/direct
    sa.Column("sensitive", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("language", sa.String(16), nullable=True),
    _fk("in_reply_to_id", "statuses.id", nullable=True, ondelete="SET NULL"),
    _fk("in_reply_to_account_id", "accounts.id", nullable=True, ondelete="SET NULL"),
    sa.Column("in_reply_to_uri", sa.String(2048), nullable=True),  # when the parent is unknown
    _fk("reblog_of_id", "statuses.id", nullable=True),
    sa.Column("conversation_id", ID, nullable=True),  # id of the thread's root
    _fk("application_id", "oauth_apps.id", nullable=True, ondelete="SET NULL"),
    sa.Column("replies_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("reblogs_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("favourites_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("has_media", sa.Boolean, nullable=False, server_default=sa.false()),
    _created(),
    sa.Column("edited_at", UTCDateTime, nullable=True),
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
    _id(),
    _fk("status_id", "statuses.id"),
    _fk("account_id", "accounts.id"),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("spoiler_text", sa.Text, nullable=False, server_default=""),
    sa.Column("sensitive", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("poll_options", sa.JSON, nullable=True),
    _created(),
)
sa.Index("ix_status_edits_status_id", status_edits.c.status_id)

mentions = sa.Table(
    "mentions",
    metadata,
    _id(),
    _fk("status_id", "statuses.id"),
    _fk("account_id", "accounts.id"),
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
    _id(),
    sa.Column("name", sa.String(255), nullable=False, unique=True),  # lower-cased
    sa.Column("display_name", sa.String(255), nullable=False),
    _created(),
)

status_tags = sa.Table(
    "status_tags",
    metadata,
    _fk("status_id", "statuses.id"),
    _fk("tag_id", "tags.id"),
    sa.PrimaryKeyConstraint("status_id", "tag_id"),
)
sa.Index("ix_status_tags_tag_id_status_id", status_tags.c.tag_id, status_tags.c.status_id)

favourites = sa.Table(
    "favourites",
    metadata,
    _id(),
    _fk("account_id", "accounts.id"),
    _fk("status_id", "statuses.id"),
    sa.Column("uri", sa.String(2048), nullable=True),
    _created(),
    sa.UniqueConstraint("account_id", "status_id"),
)
sa.Index("ix_favourites_status_id", favourites.c.status_id)

bookmarks = sa.Table(
    "bookmarks",
    metadata,
    _id(),
    _fk("account_id", "accounts.id"),
    _fk("status_id", "statuses.id"),
    _created(),
    sa.UniqueConstraint("account_id", "status_id"),
)

status_pins = sa.Table(
    "status_pins",
    metadata,
    _id(),
    _fk("account_id", "accounts.id"),
    _fk("status_id", "statuses.id"),
    _created(),
    sa.UniqueConstraint("account_id", "status_id"),
)

conversation_mutes = sa.Table(
    "conversation_mutes",
    metadata,
    _fk("account_id", "accounts.id"),
    sa.Column("conversation_id", ID, nullable=False),
    sa.PrimaryKeyConstraint("account_id", "conversation_id"),
)

# Clients retry a post with the same Idempotency-Key; the second gets the first's status.
idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    _fk("account_id", "accounts.id"),
    sa.Column("key", sa.String(255), nullable=False),
    _fk("status_id", "statuses.id"),
    _created(),
    sa.PrimaryKeyConstraint("account_id", "key"),
)

# --- Polls --------------------------------------------------------------------------------

polls = sa.Table(
    "polls",
    metadata,
    _id(),
    _fk("status_id", "statuses.id"),
    _fk("account_id", "accounts.id"),
    sa.Column("uri", sa.String(2048), nullable=True),
    sa.Column("options", sa.JSON, nullable=False),  # [title, ...]
    sa.Column("tallies", sa.JSON, nullable=False),  # [votes, ...] kept with each vote
    sa.Column("multiple", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("hide_totals", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("votes_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("voters_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("expires_at", UTCDateTime, nullable=True),
    sa.Column("closed_at", UTCDateTime, nullable=True),  # set by the expiry job
    _created(),
    sa.UniqueConstraint("status_id"),
)

poll_votes = sa.Table(
    "poll_votes",
    metadata,
    _id(),
    _fk("poll_id", "polls.id"),
    _fk("account_id", "accounts.id"),
    sa.Column("choice", sa.Integer, nullable=False),
    sa.Column("uri", sa.String(2048), nullable=True),
    _created(),
    sa.UniqueConstraint("poll_id", "account_id", "choice"),
)

# --- Relationships ------------------------------------------------------------------------

follows = sa.Table(
    "follows",
    metadata,
    _id(),
    _fk("account_id", "accounts.id"),
    _fk("target_account_id", "accounts.id"),
    sa.Column("show_reblogs", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("notify", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("languages", sa.JSON, nullable=True),
    sa.Column("uri", sa.String(2048), nullable=True),
    _created(),
    sa.UniqueConstraint("account_id", "target_account_id"),
)
sa.Index("ix_follows_target_account_id", follows.c.target_account_id)

follow_requests = sa.Table(
    "follow_requests",
    metadata,
    _id(),
    _fk("account_id", "accounts.id"),
    _fk("target_account_id", "accounts.id"),
    sa.Column("show_reblogs", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("notify", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("languages", sa.JSON, nullable=True),
    sa.Column("uri", sa.String(2048), nullable=True),
    _created(),
    sa.UniqueConstraint("account_id", "target_account_id"),
)
sa.Index("ix_follow_requests_target_account_id", follow_requests.c.target_account_id)

blocks = sa.Table(
    "blocks",
    metadata,
    _id(),
    _fk("account_id", "accounts.id"),
    _fk("target_account_id", "accounts.id"),
    sa.Column("uri", sa.String(2048), nullable=True),
    _created(),
    sa.UniqueConstraint("account_id", "target_account_id"),
)
sa.Index("ix_blocks_target_account_id", blocks.c.target_account_id)

mutes = sa.Table(
    "mutes",
    metadata,
    _id(),
    _fk("account_id", "accounts.id"),
    _fk("target_account_id", "accounts.id"),
    sa.Column("hide_notifications", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("expires_at", UTCDateTime, nullable=True),
    _created(),
    sa.UniqueConstraint("account_id", "target_account_id"),
)

account_notes = sa.Table(
    "account_notes",
    metadata,
    _fk("account_id", "accounts.id"),
    _fk("target_account_id", "accounts.id"),
    sa.Column("comment", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("account_id", "target_account_id"),
)

# --- Notifications and markers -----------------------------------------------------------

notifications = sa.Table(
    "notifications",
    metadata,
    _id(),
    _fk("account_id", "accounts.id"),  # who is notified
    _fk("from_account_id", "accounts.id"),
    sa.Column("type", sa.String(32), nullable=False),
    _fk("status_id", "statuses.id", nullable=True),
    _fk("report_id", "reports.id", nullable=True),  # an admin.report's report
    _created(),
)
sa.Index("ix_notifications_account_id_id", notifications.c.account_id, notifications.c.id)

markers = sa.Table(
    "markers",
    metadata,
    _fk("account_id", "accounts.id"),
    sa.Column("timeline", sa.String(32), nullable=False),  # home / notifications
    sa.Column("last_read_id", ID, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.PrimaryKeyConstraint("account_id", "timeline"),
)

# --- Instance -----------------------------------------------------------------------------

rules = sa.Table(
    "rules",
    metadata,
    _id(),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("hint", sa.Text, nullable=False, server_default=""),
    sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    _created(),
)

custom_emojis = sa.Table(
    "custom_emojis",
    metadata,
    _id(),
    sa.Column("shortcode", sa.String(64), nullable=False),
    sa.Column("domain", sa.String(255), nullable=True),
    sa.Column("url", sa.String(2048), nullable=False),
    sa.Column("static_url", sa.String(2048), nullable=False),
    sa.Column("visible_in_picker", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("category", sa.String(64), nullable=True),
    _created(),
)

# Public log of what the instance's moderators did, and why (pillar 3: transparent).
moderation_log = sa.Table(
    "moderation_log",
    metadata,
    _id(),
    _fk("actor_account_id", "accounts.id", nullable=True, ondelete="SET NULL"),
    sa.Column("action", sa.String(64), nullable=False),
    _fk("target_account_id", "accounts.id", nullable=True, ondelete="SET NULL"),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    _created(),
)

# --- Jobs ---------------------------------------------------------------------------------

jobs = sa.Table(
    "jobs",
    metadata,
    _id(),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("run_at", UTCDateTime, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("max_attempts", sa.Integer, nullable=False, server_default="8"),
    sa.Column("locked_by", sa.String(128), nullable=True),
    sa.Column("locked_until", UTCDateTime, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("failed_at", UTCDateTime, nullable=True),  # gave up; kept for inspection
    # At most one live (not failed) job per key: see ux_jobs_unique_key below.
    sa.Column("unique_key", sa.String(255), nullable=True),
    _created(),
    # Which workers take it: "inbox", "deliver" or "default" (jobs.queue.queue_for).
    sa.Column("queue", sa.String(16), nullable=False, server_default="default"),
)
sa.Index("ix_jobs_run_at", jobs.c.failed_at, jobs.c.run_at)
# A worker serving some queues only (the one kept for inbox work) finds its due jobs here.
sa.Index(
    "ix_jobs_queue",
    jobs.c.queue,
    jobs.c.run_at,
    sqlite_where=jobs.c.failed_at.is_(None),
    postgresql_where=jobs.c.failed_at.is_(None),
)
# A failed job is kept for inspection but does not hold its key: the same work can be
# enqueued again. Enqueue inserts with ON CONFLICT DO NOTHING against this index.
sa.Index(
    "ux_jobs_unique_key",
    jobs.c.unique_key,
    unique=True,
    sqlite_where=jobs.c.failed_at.is_(None),
    postgresql_where=jobs.c.failed_at.is_(None),
)
sa.Index("ix_accounts_public_key_id", accounts.c.public_key_id)

# --- Federation ---------------------------------------------------------------------------

# Small facts about this server that must outlive a restart: the instance actor's key pair.
instance_state = sa.Table(
    "instance_state",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

# Other servers, as delivery sees them: a server that keeps failing is marked unavailable and
# skipped until it answers again (any request from it, or a successful retry).
domains = sa.Table(
    "domains",
    metadata,
    sa.Column("domain", sa.String(255), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("first_failure_at", UTCDateTime, nullable=True),
    sa.Column("unavailable_since", UTCDateTime, nullable=True),
    sa.Column("last_success_at", UTCDateTime, nullable=True),
)

# Activity ids already accepted by the inbox: the same activity twice changes nothing.
seen_activities = sa.Table(
    "seen_activities",
    metadata,
    _id(),
    sa.Column("uri", sa.String(2048), nullable=False, unique=True),
    _created(),
)

# Remote objects deleted by their origin. A Create that arrives after its Delete (or a fetch
# of a deleted post) finds the tombstone and is dropped.
tombstones = sa.Table(
    "tombstones",
    metadata,
    _id(),
    sa.Column("uri", sa.String(2048), nullable=False, unique=True),
    _created(),
)

# Reports about accounts (and some of their posts), for moderators. Remote servers send them
# as Flag activities; the reporter is then the remote server's actor (or the account it names).
reports = sa.Table(
    "reports",
    metadata,
    _id(),
    _fk("account_id", "accounts.id"),  # who reports
    _fk("target_account_id", "accounts.id"),
    sa.Column("status_ids", sa.JSON, nullable=False, default=list),
    sa.Column("comment", sa.Text, nullable=False, server_default=""),
    sa.Column("category", sa.String(16), nullable=False, server_default="other"),
    sa.Column("rule_ids", sa.JSON, nullable=True),  # the instance rules it says were broken
    sa.Column("forwarded", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("uri", sa.String(2048), nullable=True, unique=True),
    sa.Column("resolved_at", UTCDateTime, nullable=True),
    _created(),
)

# Media of posts. Remote media is shown from its origin (remote_url) for now. An upload is
# made by its account before the post that carries it (status_id NULL until then): its
# files are in the media store under file_key and preview_key (url and preview_url are where
# browsers fetch them); while `processing` is "queued" the file as sent waits under
# upload_key for the media.process job.
media_attachments = sa.Table(
    "media_attachments",
    metadata,
    _id(),
    _fk("status_id", "statuses.id", nullable=True),
    _fk("account_id", "accounts.id"),
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
    _created(),
)
sa.Index("ix_media_attachments_status_id", media_attachments.c.status_id)
sa.Index("ix_media_attachments_file_key", media_attachments.c.file_key)
sa.Index("ix_media_attachments_preview_key", media_attachments.c.preview_key)
sa.Index("ix_media_attachments_account_id", media_attachments.c.account_id)
