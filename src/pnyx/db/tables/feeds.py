"""Materialized feeds: for each local viewer and each of their feeds (home, or one of their
lists), the newest statuses that belong in it and why (`pnyx.core.feeds`).

The primary key (viewer_id, list_id, status_id) is the read: the newest n of one feed is a
range of one B-tree (clustered on SQLite: WITHOUT ROWID). `feed_states` says a feed is
maintained, and down to which status id it is complete (`floor_id`); a feed without a state
row is not built, and is read from `statuses` as before.
"""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.db.tables.base import ID, metadata
from pnyx.db.types import UTCDateTime

feed_entries = sa.Table(
    "feed_entries",
    metadata,
    sa.Column("viewer_id", ID, sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    # 0: the home feed; otherwise a lists.id (no foreign key: a list's deletion drops its
    # state, and its entries go with the next rebuild or the account).
    sa.Column("list_id", ID, primary_key=True, autoincrement=False),
    # The status as shown: a boost's own id.
    sa.Column("status_id", ID, primary_key=True, autoincrement=False),
    sa.Column("reasons", sa.SmallInteger, nullable=False),  # core.feeds.reasons bits
    sa.Column("via_account_id", ID, nullable=True),  # the followed booster, or the list member
    sa.Column("via_tag_id", ID, nullable=True),  # the followed hashtag
    sa.Column("created_at", UTCDateTime, nullable=False),
    sqlite_with_rowid=False,
)

feed_states = sa.Table(
    "feed_states",
    metadata,
    sa.Column("viewer_id", ID, sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("list_id", ID, primary_key=True, autoincrement=False),
    # Every status with id >= floor_id that belongs in the feed has its entry (0: all).
    sa.Column("floor_id", ID, nullable=False, server_default="0"),
    # Entries added since the feed was last trimmed to its size (trimmed past a slack).
    sa.Column("since_trim", sa.Integer, nullable=False, server_default="0"),
    sa.Column("built_at", UTCDateTime, nullable=False),
    # When the viewer last read it (to the day): feeds of viewers gone quiet are dropped.
    sa.Column("seen_at", UTCDateTime, nullable=False),
    sqlite_with_rowid=False,
)
