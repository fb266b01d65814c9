"""What federation keeps: the instance's own key, other servers' health, activities seen,
tombstones."""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.db.tables.base import created_column, id_column, metadata
from pnyx.db.types import UTCDateTime

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

# Servers the staff block (Mastodon's DomainBlock), for the domain and its subdomains:
# `suspend` refuses everything from and to them and hides their accounts, `silence` (a limit)
# keeps their posts off the public timelines, `noop` only carries the media and report flags.
domain_blocks = sa.Table(
    "domain_blocks",
    metadata,
    id_column(),
    sa.Column("domain", sa.String(255), nullable=False, unique=True),
    sa.Column("severity", sa.String(16), nullable=False, server_default="silence"),
    sa.Column("reject_media", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("reject_reports", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("private_comment", sa.Text, nullable=True),
    sa.Column("public_comment", sa.Text, nullable=True),
    sa.Column("obfuscate", sa.Boolean, nullable=False, server_default=sa.false()),
    created_column(),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

# Activity ids already accepted by the inbox: the same activity twice changes nothing.
seen_activities = sa.Table(
    "seen_activities",
    metadata,
    id_column(),
    sa.Column("uri", sa.String(2048), nullable=False, unique=True),
    created_column(),
)

# Remote objects deleted by their origin. A Create that arrives after its Delete (or a fetch
# of a deleted post) finds the tombstone and is dropped.
tombstones = sa.Table(
    "tombstones",
    metadata,
    id_column(),
    sa.Column("uri", sa.String(2048), nullable=False, unique=True),
    created_column(),
)
