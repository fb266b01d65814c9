"""Account exports (issue 14): an archive of everything a person has here, built by the
`export.build` job and kept, in size-bounded zip parts in the media store, until it expires."""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.db.tables.base import created_column, foreign_key, id_column, metadata
from pnyx.db.types import UTCDateTime

# `state`: queued (the job waits), running, done (the parts can be downloaded), failed (out of
# attempts; `error` says why), expired (past `expires_at`, the files removed).
# `done`/`total`: the progress of a build, in posts and files written; `attempts`: builds
# started (a crashed one is rebuilt from the start). `parts`: [{number, size, sha256, key}],
# each a standalone zip stored under `key_prefix`, which has a random part: a store whose
# files are public (an S3 bucket) must not let anyone guess where an archive is.
account_exports = sa.Table(
    "account_exports",
    metadata,
    id_column(),
    foreign_key("account_id", "accounts.id"),
    sa.Column("state", sa.String(16), nullable=False, server_default="queued"),
    sa.Column("done", sa.Integer, nullable=False, server_default="0"),
    sa.Column("total", sa.Integer, nullable=False, server_default="0"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("key_prefix", sa.String(255), nullable=False),
    sa.Column("parts", sa.JSON, nullable=False),
    sa.Column("error", sa.Text, nullable=True),
    created_column(),
    sa.Column("started_at", UTCDateTime, nullable=True),
    sa.Column("finished_at", UTCDateTime, nullable=True),
    sa.Column("expires_at", UTCDateTime, nullable=True),
)
sa.Index("ix_account_exports_account_id", account_exports.c.account_id, account_exports.c.id)
# The periodic sweep finds what has expired (and what was left unfinished) by state.
sa.Index("ix_account_exports_state", account_exports.c.state, account_exports.c.expires_at)
# One unfinished export per person: a second request cannot slip in beside the first.
UNFINISHED = ("queued", "running")
sa.Index(
    "ux_account_exports_unfinished",
    account_exports.c.account_id,
    unique=True,
    sqlite_where=account_exports.c.state.in_(UNFINISHED),
    postgresql_where=account_exports.c.state.in_(UNFINISHED),
)
