"""Community notes (issue 13): notes on posts, their ratings, every scoring run's results,
and the servers this one exchanges notes with.

A note or a rating written here names its author only by a pseudonym when it leaves the
database (`participant`: what the open data and other servers see); the account is kept
here (`*_account_id`) so that a person can see and change their own. One from another
server is kept with the signed document it came in (`document`), so it can be served on
and checked again.
"""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.db.tables.base import created_column, foreign_key, id_column, metadata
from pnyx.db.types import UTCDateTime

community_notes = sa.Table(
    "community_notes",
    metadata,
    id_column(),
    sa.Column("uri", sa.String(2048), nullable=False, unique=True),
    # The post it is about: its URI always; its row while this server has it.
    sa.Column("subject_uri", sa.String(2048), nullable=False),
    foreign_key("status_id", "statuses.id", nullable=True, ondelete="SET NULL"),
    foreign_key("author_account_id", "accounts.id", nullable=True, ondelete="SET NULL"),
    # The author's pseudonym as their server sends it, and the participant id it makes
    # there and everywhere (`core.notes.pseudonyms`).
    sa.Column("pseudonym", sa.String(128), nullable=False, server_default=""),
    sa.Column("participant", sa.String(64), nullable=False),
    sa.Column("origin", sa.String(255), nullable=False),  # the server it was written on
    sa.Column("classification", sa.String(48), nullable=False),
    sa.Column("reasons", sa.JSON, nullable=False),  # vocabulary reason names checked
    sa.Column("trustworthy_sources", sa.Boolean, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("document", sa.JSON, nullable=True),  # another server's, as signed
    sa.Column("deleted_at", UTCDateTime, nullable=True),
    # Where scoring left it (`core.notes.scoring_runs`); changed only when one of these
    # changes, so that the posts it is on are shown again only then.
    sa.Column("status", sa.String(32), nullable=False, server_default="NEEDS_MORE_RATINGS"),
    sa.Column("tags", sa.JSON, nullable=False),  # its status' two explanation tags
    sa.Column("status_changed_at", UTCDateTime, nullable=True),
    sa.Column("first_non_nmr_at", UTCDateTime, nullable=True),
    sa.Column("first_non_nmr_status", sa.String(32), nullable=True),
    sa.Column("latest_non_nmr_at", UTCDateTime, nullable=True),
    sa.Column("latest_non_nmr_status", sa.String(32), nullable=True),
    sa.Column("crh_candidate_since", UTCDateTime, nullable=True),
    sa.Column("locked_status", sa.String(32), nullable=True),
    sa.Column("locked_at", UTCDateTime, nullable=True),
    sa.Column("decided_by", sa.String(48), nullable=True),
    # A note written here, shown: the notes actor's public reply that tells servers which do
    # not speak notes (`core.notes.context_replies`).
    foreign_key("context_reply_status_id", "statuses.id", nullable=True, ondelete="SET NULL"),
    created_column(),
)
sa.Index("ix_community_notes_status_id", community_notes.c.status_id)
sa.Index("ix_community_notes_subject_uri", community_notes.c.subject_uri)
sa.Index("ix_community_notes_author_account_id", community_notes.c.author_account_id)

# A rating: one per rater and note (a new answer replaces the old one).
note_ratings = sa.Table(
    "note_ratings",
    metadata,
    id_column(),
    sa.Column("uri", sa.String(2048), nullable=False, unique=True),
    foreign_key("note_id", "community_notes.id"),
    foreign_key("rater_account_id", "accounts.id", nullable=True, ondelete="SET NULL"),
    sa.Column("pseudonym", sa.String(128), nullable=False, server_default=""),
    sa.Column("participant", sa.String(64), nullable=False),
    sa.Column("origin", sa.String(255), nullable=False),
    sa.Column("helpfulness_level", sa.String(24), nullable=False),
    sa.Column("helpful_tags", sa.JSON, nullable=False),
    sa.Column("not_helpful_tags", sa.JSON, nullable=False),
    sa.Column("document", sa.JSON, nullable=True),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    created_column(),
    sa.UniqueConstraint("note_id", "participant"),
)
sa.Index("ix_note_ratings_rater_account_id", note_ratings.c.rater_account_id)

# Every scoring run, with the version (code and parameters) that produced it.
note_scoring_runs = sa.Table(
    "note_scoring_runs",
    metadata,
    id_column(),
    sa.Column("version", sa.String(32), nullable=False),
    sa.Column("params", sa.JSON, nullable=False),
    sa.Column("counts", sa.JSON, nullable=False),
    sa.Column("losses", sa.JSON, nullable=False),
    sa.Column("global_intercept", sa.Float, nullable=True),
    sa.Column("seconds", sa.Float, nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=False),
    created_column(),
)

# Each run's result for every note it scored.
note_run_results = sa.Table(
    "note_run_results",
    metadata,
    foreign_key("run_id", "note_scoring_runs.id"),
    foreign_key("note_id", "community_notes.id"),
    sa.Column("intercept", sa.Float, nullable=True),
    sa.Column("factor", sa.Float, nullable=True),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("rule", sa.String(48), nullable=False),
    sa.Column("rating_count", sa.Integer, nullable=False),
    sa.Column("net_min_helpful", sa.Integer, nullable=False),
    sa.Column("tags", sa.JSON, nullable=False),
    sa.PrimaryKeyConstraint("run_id", "note_id"),
)
sa.Index("ix_note_run_results_note_id", note_run_results.c.note_id)

# Each run's result for every rater in its first model (by pseudonym: the charts of
# /notes/about draw them).
note_run_raters = sa.Table(
    "note_run_raters",
    metadata,
    foreign_key("run_id", "note_scoring_runs.id"),
    sa.Column("participant", sa.String(64), nullable=False),
    sa.Column("intercept", sa.Float, nullable=True),
    sa.Column("factor", sa.Float, nullable=True),
    sa.Column("first_intercept", sa.Float, nullable=False),
    sa.Column("first_factor", sa.Float, nullable=False),
    sa.Column("helpful", sa.Boolean, nullable=False),
    sa.PrimaryKeyConstraint("run_id", "participant"),
)

# The servers whose notes actor this one follows, chosen by staff: their notes and ratings
# are taken in (`core.notes.received`); ours go to whoever follows our notes actor.
note_peers = sa.Table(
    "note_peers",
    metadata,
    foreign_key("account_id", "accounts.id"),  # the peer's notes actor
    sa.Column("domain", sa.String(255), nullable=False),
    created_column(),
    sa.PrimaryKeyConstraint("account_id"),
)
