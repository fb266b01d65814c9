"""What was deleted: the ids (URIs) of posts that are gone, and when they went.

Other servers' posts deleted at their origin leave a tombstone so that a late or replayed
Create cannot bring them back (core.remote_store). Local posts leave one too, so that their
address answers "gone" (HTTP 410 with a Tombstone document, as Mastodon answers) rather than
"never existed": a server that fetches a deleted post then knows to drop its copy.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.insert_ignore import insert_ignore
from pnyx.db.tables import tombstones


def leave(tx: Tx, uri: str) -> None:
    """Remember that `uri` was deleted (once: the first deletion's time is kept)."""
    insert_ignore(tx, tombstones, {"id": new_id(), "uri": uri, "created_at": tx.now})


# Built once: every incoming post is checked against the tombstones.
_DELETED_AT = sa.select(tombstones.c.created_at).where(tombstones.c.uri == sa.bindparam("uri"))


def deleted_at(tx: Tx, uri: str) -> datetime | None:
    """When `uri` was deleted, or None if it never was (as far as this server knows)."""
    value: datetime | None = tx.execute(_DELETED_AT, {"uri": uri}).scalar()
    return value
