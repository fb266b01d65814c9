"""The inbox through the app in this process: what it logs, and which repeats it still takes.

The sender is a stand-in peer whose actor (and key) is already stored here, so no fetch is
needed; its POSTs are signed exactly as a remote server signs them.
"""

from __future__ import annotations

import json
import logging

import pytest

from pnyx import registry
from pnyx.core import follows
from pnyx.federation import resolve
from pnyx.federation.signatures import sign_request

from .peer import AP, Peer

INBOX_LOG = "pnyx.federation.inbox"


@pytest.fixture
def peer(app):
    taka = Peer("taka")
    taka.account_id = resolve.store_actor_document(app.state.db, taka.actor_document())
    yield taka
    taka.close()


def post(client, peer: Peer, activity: dict, path: str = "/inbox"):
    body = json.dumps(activity).encode()
    headers = sign_request(
        method="POST",
        url=f"https://pnyx.test{path}",
        body=body,
        key_id=f"{peer.actor}#main-key",
        private_key_pem=peer.keys.private_pem,
    )
    return client.post(path, content=body, headers={**headers, "Content-Type": AP})


def messages(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == INBOX_LOG]


def test_every_post_is_logged_accepted_seen_or_refused(client, peer, caplog):
    caplog.set_level(logging.INFO, logger=INBOX_LOG)
    like = {
        "id": f"{peer.actor}/likes/1",
        "type": "Like",
        "actor": peer.actor,
        "object": "https://pnyx.test/users/nobody/statuses/1",
    }
    assert post(client, peer, like).status_code == 202
    assert post(client, peer, like).status_code == 202
    assert client.post("/inbox", json=like).status_code == 401
    logged = messages(caplog)
    assert logged[0] == f"inbox accepted Like {like['id']} from {peer.actor}"
    assert logged[1] == f"inbox dropped Like {like['id']} from {peer.actor}: seen before"
    assert logged[2] == "inbox /inbox refused from testclient: Request not signed"
    assert len(logged) == 3


def test_an_accept_with_an_id_seen_before_still_accepts_a_pending_follow(
    app, client, peer, make_user, caplog
):
    """Takahē answers a second Follow with its first Accept, id and all."""
    db = app.state.db
    alice = make_user("alice").account_id
    first = db.run_sync(follows.follow, alice, peer.account_id)
    accept = {
        "id": f"{peer.actor}/follow/1/#accept",
        "type": "Accept",
        "actor": peer.actor,
        "object": {
            "id": first.uri,
            "type": "Follow",
            "actor": "https://pnyx.test/users/alice",
            "object": peer.actor,
        },
    }
    assert post(client, peer, accept).status_code == 202
    registry.drain(db)
    assert db.run_sync(follows.is_following, alice, peer.account_id)

    db.run_sync(follows.unfollow, alice, peer.account_id)
    db.run_sync(follows.follow, alice, peer.account_id)
    assert not db.run_sync(follows.is_following, alice, peer.account_id)
    assert post(client, peer, accept).status_code == 202
    registry.drain(db)
    assert db.run_sync(follows.is_following, alice, peer.account_id)
