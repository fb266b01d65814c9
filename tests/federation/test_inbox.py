"""The inbox through the app in this process: what it logs, and which repeats it still takes.

The sender is a stand-in peer whose actor (and key) is already stored here, so no fetch is
needed; its POSTs are signed exactly as a remote server signs them.
"""

from __future__ import annotations

import json
import logging

import orjson
import pytest
import sqlalchemy as sa

import factories
from pnyx import registry
from pnyx.core import follows
from pnyx.db.tables import jobs, statuses
from pnyx.federation import as2_to_internal as parse
from pnyx.federation import inbox, resolve
from pnyx.federation.signatures import sign_request
from pnyx.jobs import queue, worker

from .peer import AP, PUBLIC, Peer

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


def _note(peer: Peer, number: int, **extra) -> dict:
    return {
        "id": f"{peer.actor}/statuses/{number}",
        "type": "Note",
        "attributedTo": peer.actor,
        "content": f"<p>note {number}</p>",
        "to": [PUBLIC],
        "cc": [f"{peer.actor}/followers"],
        "published": "2026-11-20T10:00:00Z",
        **extra,
    }


def _create(peer: Peer, note: dict) -> dict:
    return {"id": f"{note['id']}/activity", "type": "Create", "actor": peer.actor, "object": note}


def _stored(db) -> dict[str, int | None]:
    rows = db.run_sync(
        lambda tx: tx.rows(sa.select(statuses.c.uri, statuses.c.in_reply_to_id, statuses.c.id))
    )
    ids = {row.id: row.uri for row in rows}
    return {row.uri: ids.get(row.in_reply_to_id) for row in rows}


def _kinds(db) -> list[str]:
    return db.run_sync(lambda tx: tx.scalars(sa.select(jobs.c.kind).order_by(jobs.c.id)))


def test_a_reply_s_parent_is_fetched_by_a_job_of_its_own(client, local_db, peer, make_user):
    """Processing never waits on the network: the parent becomes an `inbox.fetch` job, and
    the reply is processed again (and stored, under its parent) once that job is done."""
    db = local_db
    factories.follow(db, make_user("reader").account_id, peer.account_id)
    parent = _note(peer, 1)
    peer.docs["/users/taka/statuses/1"] = parent
    reply = _note(peer, 2, inReplyTo=parent["id"])
    assert post(client, peer, _create(peer, reply)).status_code == 202

    name = queue.worker_name()
    assert worker.run_one(db, name, registry.JOBS, queues=(queue.INBOX,))  # the processing
    assert _stored(db) == {}
    assert _kinds(db) == ["inbox.fetch"]
    assert worker.run_one(db, name, registry.JOBS, queues=(queue.INBOX,))  # the fetch
    assert _stored(db) == {parent["id"]: None}
    assert _kinds(db) == ["inbox.process"]  # the reply, again
    registry.drain(db)
    assert _stored(db) == {parent["id"]: None, reply["id"]: parent["id"]}
    assert _kinds(db) == []


def test_a_parent_that_cannot_be_fetched_does_not_hold_the_reply_back(
    client, local_db, peer, make_user
):
    db = local_db
    factories.follow(db, make_user("reader").account_id, peer.account_id)
    reply = _note(peer, 3, inReplyTo=f"{peer.actor}/statuses/gone")
    assert post(client, peer, _create(peer, reply)).status_code == 202
    registry.drain(db)
    assert _stored(db) == {reply["id"]: None}
    assert _kinds(db) == []


def test_the_job_gets_the_activity_as_the_inbox_parsed_it(peer):
    """Parsed once: the payload carries the envelope, read back without validating again,
    and its embedded object is not stored twice."""
    doc = _create(peer, _note(peer, 4))
    doc["published"] = "2026-11-20T10:00:00Z"
    activity = parse.parse_activity(doc)
    data = orjson.loads(orjson.dumps(inbox.payload(activity, 7)))
    assert data["envelope"]["object"] is None
    assert inbox.activity_of(data) == activity
    # Rows queued by earlier versions carry only the document.
    assert inbox.activity_of({"activity": doc, "signer_id": 7}) == activity
