"""A person's imports of Mastodon's CSV files (issue 14), and their rows.

An import is stored whole before any of it runs: one row per line of the file, each done,
failed (with its reason) or waiting, so a worker that dies mid-way resumes at the first row
still pending, and a row's state changes in the same transaction as its effect (nothing is
done twice). The counters are the progress a person sees.
"""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.db.tables.base import ID, created_column, foreign_key, id_column, metadata
from pnyx.db.types import UTCDateTime

account_imports = sa.Table(
    "account_imports",
    metadata,
    id_column(),
    foreign_key("account_id", "accounts.id"),  # whose import
    # following, blocking, muting, domain_blocking, bookmarks or lists (Mastodon's types)
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("mode", sa.String(16), nullable=False),  # merge or overwrite
    # scheduled, in_progress, finished
    sa.Column("state", sa.String(16), nullable=False, server_default="scheduled"),
    sa.Column("filename", sa.String(255), nullable=False, server_default=""),
    sa.Column("total", sa.Integer, nullable=False, server_default="0"),
    sa.Column("processed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("imported", sa.Integer, nullable=False, server_default="0"),
    sa.Column("failed", sa.Integer, nullable=False, server_default="0"),
    # The step before the rows is done: overwrite's removals, the lists made.
    sa.Column("prepared", sa.Boolean, nullable=False, server_default=sa.false()),
    created_column(),
    sa.Column("finished_at", UTCDateTime, nullable=True),
)
sa.Index("ix_account_imports_account_id", account_imports.c.account_id)

account_import_rows = sa.Table(
    "account_import_rows",
    metadata,
    id_column(),
    foreign_key("import_id", "account_imports.id"),
    sa.Column("position", sa.Integer, nullable=False),  # its row in the file (header is 1)
    sa.Column("data", sa.JSON, nullable=False),  # the row's fields, by Mastodon's names
    # pending, done, failed, waiting (a list member whose follow awaits approval)
    sa.Column("state", sa.String(16), nullable=False, server_default="pending"),
    sa.Column("reason", sa.String(500), nullable=True),  # why it failed
    # The account or post it names, once known (found here, or resolved on its server).
    sa.Column("target_id", ID, nullable=True),
    sa.UniqueConstraint("import_id", "position"),
)
sa.Index(
    "ix_account_import_rows_import_id_state",
    account_import_rows.c.import_id,
    account_import_rows.c.state,
    account_import_rows.c.position,
)
sa.Index("ix_account_import_rows_target_id", account_import_rows.c.target_id)
