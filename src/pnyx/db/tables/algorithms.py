"""The open feed algorithms' own rows: feeds people compose (and who follows them), the
per-viewer snapshots that keep a ranked feed's pages stable, and the scores a periodic fit
produced (bridging), each with the algorithm version that made it.

Feed-entry provenance (why a post is in someone's home) is another concept and lives with
the materialized feeds, not here."""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.db.tables.base import created_column, foreign_key, id_column, metadata
from pnyx.db.types import UTCDateTime

# A feed composed from published parts (sources, filters, an order), owned by an account and
# readable by anyone who has its link.
composed_feeds = sa.Table(
    "composed_feeds",
    metadata,
    id_column(),
    foreign_key("account_id", "accounts.id"),  # the owner: only they may change it
    sa.Column("title", sa.String(100), nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("sources", sa.JSON, nullable=False),
    sa.Column("filters", sa.JSON, nullable=False),
    sa.Column("ordering", sa.String(16), nullable=False),
    created_column(),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)
sa.Index("ix_composed_feeds_account_id", composed_feeds.c.account_id)

# Who follows a composed feed (their catalog lists it).
composed_feed_follows = sa.Table(
    "composed_feed_follows",
    metadata,
    id_column(),
    foreign_key("feed_id", "composed_feeds.id"),
    foreign_key("account_id", "accounts.id"),
    created_column(),
    sa.UniqueConstraint("feed_id", "account_id"),
)
sa.Index("ix_composed_feed_follows_account_id", composed_feed_follows.c.account_id)

# What a ranked feed served one viewer: the version, the inputs it was ranked from (so it
# can be replayed) and the ordered items with their score terms. `max_id` pages read it.
feed_snapshots = sa.Table(
    "feed_snapshots",
    metadata,
    id_column(),
    foreign_key("account_id", "accounts.id"),  # the viewer
    sa.Column("feed_id", sa.String(64), nullable=False),  # "diverse", or a composed feed's id
    sa.Column("version", sa.String(32), nullable=False),
    sa.Column("status_ids", sa.JSON, nullable=False),  # the order alone: what paging reads
    sa.Column("items", sa.JSON, nullable=False),  # [[status_id, score, [[name, w, v], ...]]]
    sa.Column("inputs", sa.JSON, nullable=False),
    # What the home feed the pool was read from held (`pool.source_mark`; NULL: not from
    # one): a first page reuses a fresh snapshot only while it is unchanged.
    sa.Column("source_mark", sa.BigInteger, nullable=True),
    created_column(),
)
sa.Index(
    "ix_feed_snapshots_account_id_feed_id", feed_snapshots.c.account_id, feed_snapshots.c.feed_id
)
sa.Index("ix_feed_snapshots_created_at", feed_snapshots.c.created_at)

# Per-status results of a periodic fit (bridging's intercept and factor), with the version
# of the algorithm that produced them: a ranking only reads its own version's scores.
feed_scores = sa.Table(
    "feed_scores",
    metadata,
    sa.Column("algorithm", sa.String(32), nullable=False),
    foreign_key("status_id", "statuses.id"),
    sa.Column("version", sa.String(32), nullable=False),
    sa.Column("intercept", sa.Float, nullable=False),
    sa.Column("factor", sa.Float, nullable=False),
    sa.Column("ratings", sa.Integer, nullable=False),  # explicit positive ratings it had
    sa.Column("fitted_at", UTCDateTime, nullable=False),
    sa.PrimaryKeyConstraint("algorithm", "status_id"),
)
sa.Index("ix_feed_scores_algorithm_intercept", feed_scores.c.algorithm, feed_scores.c.intercept)

__all__ = ["composed_feed_follows", "composed_feeds", "feed_scores", "feed_snapshots"]
