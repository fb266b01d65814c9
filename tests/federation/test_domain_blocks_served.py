"""A domain block on a real `pnyx serve`, made with Mastodon.py's admin methods: the blocked
server's inbox POSTs are refused, nothing is delivered to it any more, and lifting the block
lets it in again. The other servers are stand-ins on loopback (tests/federation/peer.py)."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from mastodon import Mastodon, MastodonAPIError

from pnyx.db.tables import jobs
from server import PnyxServer

from .peer import PUBLIC, Peer
from .people import PASSWORD, eventually

PG_URL = os.environ.get("PNYX_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgres"] if PG_URL else [])
STAFF_SCOPES = ["read", "write", "follow", "admin:read", "admin:write"]


@pytest.fixture(params=BACKENDS)
def server(request, tmp_path):
    with PnyxServer(tmp_path / "pnyx", backend=request.param) as instance:
        yield instance


@pytest.fixture
def peers():
    blocked, other = Peer("taka"), Peer("rin")
    yield blocked, other
    blocked.close()
    other.close()


def login(server: PnyxServer, username: str, scopes: list[str], *, admin: bool = False):
    server.create_user(username, f"{username}@example.com", PASSWORD, admin=admin)
    client_id, client_secret = Mastodon.create_app(
        "Pnyx domain block test", scopes=scopes, api_base_url=server.base_url
    )
    api = Mastodon(
        client_id=client_id,
        client_secret=client_secret,
        api_base_url=server.base_url,
        version_check_mode="created",
        request_timeout=60,
    )
    api.log_in(
        username=f"{username}@example.com", password=PASSWORD, scopes=scopes, allow_http=True
    )
    return api


def note(peer: Peer, server: PnyxServer, text: str) -> dict:
    """A public post from the peer's actor, addressed to the Pnyx server's shared inbox."""
    uri = f"{peer.actor}/statuses/{uuid.uuid4().hex}"
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": uri + "/activity",
        "type": "Create",
        "actor": peer.actor,
        "to": [PUBLIC],
        "object": {
            "id": uri,
            "type": "Note",
            "attributedTo": peer.actor,
            "content": f"<p>{text}</p>",
            "to": [PUBLIC],
            "published": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        },
    }


def queue_empty(server: PnyxServer) -> bool:
    """No job due and not given up on: everything the server had to do is done."""
    engine = sa.create_engine(server.database_url)
    try:
        with engine.connect() as conn:
            due = conn.execute(
                sa.select(sa.func.count())
                .select_from(jobs)
                .where(jobs.c.failed_at.is_(None), jobs.c.run_at <= datetime.now(UTC))
            ).scalar()
    finally:
        engine.dispose()
    return due == 0


def test_a_suspended_domain_is_refused_both_ways(server, peers):
    blocked, other = peers
    boss = login(server, "boss", STAFF_SCOPES, admin=True)
    olive = login(server, "olive", ["read", "write", "follow"])
    for peer in peers:  # olive's server learns of both (WebFinger, then the actor)
        found = olive.search_v2(f"@{peer.username}@{peer.domain}", resolve=True)["accounts"]
        assert found, peer.domain
    inbox = server.url("/inbox")
    assert blocked.send(inbox, note(blocked, server, "before")) == 202

    def mention_both(word: str) -> None:
        olive.status_post(f"@taka@{blocked.domain} @rin@{other.domain} {word}")

    mention_both("first")
    assert eventually(lambda: any("first" in str(a) for a in blocked.of_type("Create")))

    made = boss.admin_create_domain_block(
        blocked.domain, severity="suspend", public_comment="Abuse", private_comment="ticket 7"
    )
    assert made["severity"] == "suspend" and made["domain"] == blocked.domain
    assert blocked.send(inbox, note(blocked, server, "after")) == 403
    public = olive.instance_domain_blocks()
    assert [(b["domain"], b["comment"]) for b in public] == [(blocked.domain, "Abuse")]

    mention_both("second")
    assert eventually(lambda: any("second" in str(a) for a in other.of_type("Create")))
    assert eventually(lambda: queue_empty(server))
    assert not any("second" in str(a) for a in blocked.of_type("Create"))

    boss.admin_delete_domain_block(made["id"])
    assert blocked.send(inbox, note(blocked, server, "again")) == 202


def test_a_user_token_cannot_block(server):
    olive = login(server, "olive", ["read", "write", "follow", "admin:read", "admin:write"])
    with pytest.raises(MastodonAPIError) as refused:
        olive.admin_create_domain_block("bad.example", severity="suspend")
    assert refused.value.args[1] == 403
