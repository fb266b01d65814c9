"""Copies of an account from another server, live (LOLA, issue 14): this server is the
destination, the person's old server the source.

`lola_clients`: this server as an OAuth client of each source, registered once per source
(its authorization server's origin) at its registration endpoint, and kept: a second person
copying from the same server reuses it.

`lola_transfers`: one copy, from the authorization (the `state` sent to the source, PKCE's
verifier) to its end: the token the source granted (deleted once the copy is over), where
the copy is (`phase` and `cursor`, the next page to read, so a restarted job goes on from
there), and its counters. The posts it made are in `imported_statuses` (by original id,
`origin_actor_uri` being the old actor), like an archive's.

`lola_follows`: the accounts the old actor followed, read during the copy; followed only when
the person asks (LOLA: a separate step), one row each, done or failed with its reason.
"""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.db.tables.base import ID, created_column, foreign_key, id_column, metadata
from pnyx.db.types import UTCDateTime

lola_clients = sa.Table(
    "lola_clients",
    metadata,
    id_column(),
    sa.Column("origin", sa.String(512), nullable=False),  # https://old.example
    sa.Column("redirect_uri", sa.String(2048), nullable=False),  # ours, as registered
    sa.Column("client_id", sa.String(512), nullable=False),
    sa.Column("client_secret", sa.String(512), nullable=True),
    created_column(),
    sa.UniqueConstraint("origin", "redirect_uri"),
)

# `state`: authorizing (the person was sent to the source), queued, running, finished,
# failed (`error` says why), denied (the person refused at the source).
# `phase` of a running copy: content, liked, blocked, following, done.
lola_transfers = sa.Table(
    "lola_transfers",
    metadata,
    id_column(),
    foreign_key("account_id", "accounts.id"),
    foreign_key("client_id", "lola_clients.id", nullable=True, ondelete="SET NULL"),
    sa.Column("state", sa.String(16), nullable=False, server_default="authorizing"),
    sa.Column("started_via", sa.String(8), nullable=False, server_default="web"),  # web, api
    sa.Column("source", sa.String(512), nullable=False),  # what the person typed
    sa.Column("source_actor_uri", sa.String(2048), nullable=True),  # as the source named it
    # The source's endpoints: authorize, token, revoke; then the actor's collections.
    sa.Column("endpoints", sa.JSON, nullable=False),
    sa.Column("oauth_state", sa.String(128), nullable=True),  # until the callback
    sa.Column("code_verifier", sa.String(128), nullable=True),  # PKCE, until the callback
    sa.Column("access_token", sa.String(2048), nullable=True),  # until the copy is over
    sa.Column("phase", sa.String(16), nullable=False, server_default="content"),
    sa.Column("cursor", sa.String(2048), nullable=True),  # the next page of the phase
    sa.Column("total", sa.Integer, nullable=False, server_default="0"),  # posts at the source
    sa.Column("imported", sa.Integer, nullable=False, server_default="0"),
    sa.Column("skipped", sa.Integer, nullable=False, server_default="0"),
    sa.Column("failed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("favourites", sa.Integer, nullable=False, server_default="0"),
    sa.Column("blocks", sa.Integer, nullable=False, server_default="0"),
    sa.Column("follows_found", sa.Integer, nullable=False, server_default="0"),
    sa.Column("followed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("follows_failed", sa.Integer, nullable=False, server_default="0"),
    # Items passed over, by reason: {"direct": 1, "already_imported": 3, ...}
    sa.Column("skip_reasons", sa.JSON, nullable=False, default=dict),
    # What went wrong, the first ones: [{"uri": ..., "reason": ...}]
    sa.Column("failures", sa.JSON, nullable=False, default=list),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("retries", sa.Integer, nullable=False, server_default="0"),  # failed runs in a row
    created_column(),
    sa.Column("authorized_at", UTCDateTime, nullable=True),
    sa.Column("finished_at", UTCDateTime, nullable=True),
    sa.Column("follows_requested_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("oauth_state"),
)
sa.Index("ix_lola_transfers_account_id", lola_transfers.c.account_id, lola_transfers.c.id)

# `state`: pending, done, failed (`reason`).
lola_follows = sa.Table(
    "lola_follows",
    metadata,
    id_column(),
    foreign_key("transfer_id", "lola_transfers.id"),
    sa.Column("actor_uri", sa.String(2048), nullable=False),
    sa.Column("state", sa.String(8), nullable=False, server_default="pending"),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("target_account_id", ID, nullable=True),
    sa.UniqueConstraint("transfer_id", "actor_uri"),
)
sa.Index("ix_lola_follows_state", lola_follows.c.transfer_id, lola_follows.c.state)
