"""A person's imports of an archive's posts (issue 14): a Pnyx or Mastodon archive (its zip
parts, kept in the media store until the import is over), and the posts it re-created.

`imported_statuses` is what makes the import restartable and honest: one row per post made
from the archive, keyed by the post's original id (`origin_uri`) per account, written in the
same transaction as the post, so a worker that dies mid-way resumes with no duplicate; and
the original object as it was received (with the Data Integrity proof its author's server
put on it), so anyone can still verify who wrote it.
"""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.db.tables.base import created_column, foreign_key, id_column, metadata
from pnyx.db.types import UTCDateTime

archive_imports = sa.Table(
    "archive_imports",
    metadata,
    id_column(),
    foreign_key("account_id", "accounts.id"),  # who imports (the posts become theirs)
    # queued, running, finished, failed (the archive could not be read: `error` says why)
    sa.Column("state", sa.String(16), nullable=False, server_default="queued"),
    sa.Column("actor_uri", sa.String(2048), nullable=True),  # the archive's author
    sa.Column("total", sa.Integer, nullable=False, server_default="0"),  # items in the outbox
    sa.Column("imported", sa.Integer, nullable=False, server_default="0"),
    sa.Column("skipped", sa.Integer, nullable=False, server_default="0"),
    sa.Column("failed", sa.Integer, nullable=False, server_default="0"),
    # Items passed over, by reason: {"boost": 3, "direct": 1, "other_actor": 1, ...}
    sa.Column("skip_reasons", sa.JSON, nullable=False, default=dict),
    # What went wrong, the first ones: [{"uri": ..., "reason": ...}]
    sa.Column("failures", sa.JSON, nullable=False, default=list),
    sa.Column("error", sa.Text, nullable=True),
    # The zip parts in the media store, in order; emptied once the import is over.
    sa.Column("upload_keys", sa.JSON, nullable=False, default=list),
    sa.Column("upload_bytes", sa.BigInteger, nullable=False, server_default="0"),
    created_column(),
    sa.Column("started_at", UTCDateTime, nullable=True),
    sa.Column("finished_at", UTCDateTime, nullable=True),
)
sa.Index("ix_archive_imports_account_id", archive_imports.c.account_id, archive_imports.c.id)

imported_statuses = sa.Table(
    "imported_statuses",
    metadata,
    foreign_key("status_id", "statuses.id"),
    foreign_key("account_id", "accounts.id"),  # the post's author here
    foreign_key("import_id", "archive_imports.id", nullable=True, ondelete="SET NULL"),
    sa.Column("origin_uri", sa.String(2048), nullable=False),  # the post's id where it was made
    sa.Column("origin_url", sa.String(2048), nullable=True),  # its page there
    sa.Column("origin_actor_uri", sa.String(2048), nullable=False),
    sa.Column("published", UTCDateTime, nullable=False),  # first posted, as the archive says
    # The object as received (a Note or a Question, with its proof); and the activity that
    # carried it, its `object` replaced by the object's id (put `document` back to verify it).
    sa.Column("document", sa.JSON, nullable=False),
    sa.Column("activity", sa.JSON, nullable=True),
    created_column(),
    sa.PrimaryKeyConstraint("status_id"),
    sa.UniqueConstraint("account_id", "origin_uri"),
)
sa.Index("ix_imported_statuses_import_id", imported_statuses.c.import_id)
