"""Moves when the old server is gone (issue 14, FEP-7628's "pull" move, FEP-c390 proofs).

`identity_subjects`: the subjects (`did:key`s) of the identity statements an actor elsewhere
attaches to its document, kept when the actor is fetched (replaced at every fetch), with the
Ed25519 key each holds. Two actors proving the same key are the same person: that is how a
Move sent by a new actor is checked against an old actor whose server no longer answers. (The
keys an actor announces in `assertionMethod`, and the keys a local account carried from its
old server, are in `integrity_keys`.)

`pull_moves`: what a local account needs to announce, from here, that it is an old account
elsewhere: the old actor, the key carried from there (identity.json of the archive), the old
account's followers (`pull_move_followers`, from the archive's followers.csv), each found on
its server (WebFinger, then the actor) before the Move goes to their inboxes.
"""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.db.tables.base import created_column, foreign_key, id_column, metadata
from pnyx.db.types import UTCDateTime

identity_subjects = sa.Table(
    "identity_subjects",
    metadata,
    foreign_key("account_id", "accounts.id"),  # an actor elsewhere
    sa.Column("subject", sa.String(256), nullable=False),  # did:key:z6Mk...
    sa.Column("public_key", sa.LargeBinary, nullable=False),  # the 32 bytes it holds
    created_column(),
    sa.PrimaryKeyConstraint("account_id", "subject"),
)

pull_moves = sa.Table(
    "pull_moves",
    metadata,
    id_column(),
    foreign_key("account_id", "accounts.id"),  # the new account, here
    sa.Column("old_uri", sa.String(2048), nullable=False),  # the old actor
    # The did:key of the key carried from the old server (None: the archive had none).
    sa.Column("subject", sa.String(256), nullable=True),
    foreign_key("import_id", "archive_imports.id", nullable=True, ondelete="SET NULL"),
    # ready (never announced), finding (followers looked up), sent (the Moves are queued)
    sa.Column("state", sa.String(16), nullable=False, server_default="ready"),
    sa.Column("followers", sa.Integer, nullable=False, server_default="0"),
    sa.Column("found", sa.Integer, nullable=False, server_default="0"),
    sa.Column("failed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("inboxes", sa.Integer, nullable=False, server_default="0"),  # Moves queued
    created_column(),
    sa.Column("announced_at", UTCDateTime, nullable=True),
    sa.Column("sent_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("account_id", "old_uri"),
)

pull_move_followers = sa.Table(
    "pull_move_followers",
    metadata,
    id_column(),
    foreign_key("pull_move_id", "pull_moves.id"),
    sa.Column("address", sa.String(512), nullable=False),  # name@server, as followers.csv has it
    # pending, found (its account is `follower_id`), failed (`error` says why)
    sa.Column("state", sa.String(8), nullable=False, server_default="pending"),
    foreign_key("follower_id", "accounts.id", nullable=True, ondelete="SET NULL"),
    sa.Column("error", sa.String(512), nullable=True),
    sa.UniqueConstraint("pull_move_id", "address"),
)
sa.Index(
    "ix_pull_move_followers_state", pull_move_followers.c.pull_move_id, pull_move_followers.c.state
)

__all__ = ["identity_subjects", "pull_move_followers", "pull_moves"]
