"""First sight of an account brings its recent posts, from outboxes as other servers serve them.

The remote server is a stand-in on loopback (tests/federation/peer.py); the fetches, the
backfill job and the storing are the real ones.
"""

from __future__ import annotations

import sqlalchemy as sa

from pnyx import registry
from pnyx.db.engine import Database
from pnyx.db.tables import accounts, statuses
from pnyx.federation import resolve

from .peer import PUBLIC, Peer


def create(peer: Peer, number: int) -> dict:
    note = {
        "id": f"{peer.actor}/posts/{number}",
        "type": "Note",
        "attributedTo": peer.actor,
        "content": f"<p>post number {number}</p>",
        "to": [PUBLIC],
        "cc": [f"{peer.actor}/followers"],
        "published": f"2026-11-2{number}T10:00:00Z",
    }
    return {
        "id": f"{note['id']}/activity",
        "type": "Create",
        "actor": peer.actor,
        "object": note,
        "to": note["to"],
    }


def contents(db: Database, peer: Peer) -> list[str]:
    return db.run_sync(
        lambda tx: tx.scalars(
            sa.select(statuses.c.content)
            .join(accounts, accounts.c.id == statuses.c.account_id)
            .where(accounts.c.uri == peer.actor)
            .order_by(statuses.c.id)
        )
    )


def test_an_outbox_without_id_is_read_from_the_url_its_actor_declares(local_db, peer):
    """Takahē serves its outbox (and its pages) with no `id`: the actor vouches for the URL."""
    peer.docs["/users/taka/outbox"] = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "OrderedCollection",
        "totalItems": 2,
        "first": f"{peer.actor}/outbox/page1",
    }
    peer.docs["/users/taka/outbox/page1"] = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "OrderedCollectionPage",
        "orderedItems": [create(peer, 2), create(peer, 1)],
    }

    resolve.fetch_actor(local_db, local_db.settings, peer.actor, backfill=True)
    registry.drain(local_db)

    found = contents(local_db, peer)
    assert len(found) == 2
    assert all("post number" in c for c in found)


def test_an_outbox_without_id_on_another_origin_is_refused(local_db, peer):
    other = Peer("mallory")
    try:
        other.docs["/users/mallory/outbox"] = {
            "type": "OrderedCollection",
            "orderedItems": [create(peer, 1)],
        }
        peer.docs["/users/taka"] = {
            **peer.actor_document(),
            "outbox": f"{other.actor}/outbox",
        }
        resolve.fetch_actor(local_db, local_db.settings, peer.actor, backfill=True)
        registry.drain(local_db)
    finally:
        other.close()
    assert contents(local_db, peer) == []
