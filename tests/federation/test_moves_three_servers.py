"""A move between real servers, as Mastodon's account migration: alice@A moves to alice2@B.

Carol follows alice from server C, Dave from A itself, and a follower on another ActivityPub
implementation (the Peer, a server of our own that is not Pnyx) from its own host. Alice2
names alice@A as an alias on B; alice moves. Then everyone follows alice2@B instead (the
followers on C and A through their servers, each checking B's alsoKnownAs), A shows alice as
moved through Mastodon.py, the Peer has received a Move shaped as Mastodon's, whose HTTP
signature verifies with alice's published key by a verifier written here from the draft, and
a second move, a target without the alias and a wrong password are refused.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from server import PnyxServer

from .peer import AP, Peer
from .people import PASSWORD, Person, eventually, login

PG_URL = os.environ.get("PNYX_TEST_DATABASE_URL", "")


def call(person: Person, method: str, path: str, **options) -> httpx.Response:
    headers = {"Authorization": f"Bearer {person.api.access_token}"}
    return httpx.request(method, person.server.url(path), headers=headers, timeout=60, **options)


def recording(peer: Peer) -> list[tuple[str, dict[str, str], bytes]]:
    """Every POST the peer receives, with its path, headers and body as sent (the peer keeps
    only the parsed activity): what a signature check needs."""
    posts: list[tuple[str, dict[str, str], bytes]] = []
    lock = threading.Lock()

    base = peer.http.RequestHandlerClass

    class Recording(base):  # the peer's documents as they are; its POSTs recorded whole
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                posts.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            with peer._lock:
                peer.received.append(json.loads(body))
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

    peer.http.RequestHandlerClass = Recording
    return posts


def verify_cavage(method: str, path: str, headers: dict[str, str], body: bytes, pem: str) -> bool:
    """draft-cavage-http-signatures-12 (what Mastodon sends and checks), from the draft: the
    signing string of the listed headers, RSA PKCS#1 v1.5 with SHA-256, and the body's
    SHA-256 Digest."""
    params = {}
    for part in headers["signature"].split(","):
        name, _, value = part.partition("=")
        params[name.strip()] = value.strip().strip('"')
    lines = []
    for name in params["headers"].split():
        value = f"{method.lower()} {path}" if name == "(request-target)" else headers[name]
        lines.append(f"{name}: {value}")
    digest = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
    if "digest" not in params["headers"].split() or headers["digest"] != digest:
        return False
    key = serialization.load_pem_public_key(pem.encode())
    try:
        key.verify(
            base64.b64decode(params["signature"]),
            "\n".join(lines).encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except Exception:  # noqa: BLE001 - any failure is a signature that does not verify
        return False
    return True


def following(person: Person, other_id: str) -> bool:
    return bool(person.api.account_relationships(other_id)[0]["following"])


def test_a_move_carries_followers_on_three_servers_and_another_implementation(tmp_path):
    servers = [
        PnyxServer(tmp_path / "a", backend="sqlite"),
        PnyxServer(tmp_path / "b", backend="postgres" if PG_URL else "sqlite"),
        PnyxServer(tmp_path / "c", backend="sqlite"),
    ]
    peer = Peer("taka")
    posts = recording(peer)
    started = []
    try:
        for server in servers:
            started.append(server.start())
        a, b, c = servers
        alice, dave, alice2, carol = (
            login(a, "alice"),
            login(a, "dave"),
            login(b, "alice2"),
            login(c, "carol"),
        )
        alice_uri = a.url("/users/alice")
        for follower in (carol, dave):
            there = follower.api.account_lookup(alice.handle)
            follower.api.account_follow(there["id"])
            assert eventually(lambda f=follower, t=there: following(f, t["id"]))
        follow = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{peer.actor}#follows/1",
            "type": "Follow",
            "actor": peer.actor,
            "object": alice_uri,
        }
        assert peer.send(a.url("/users/alice/inbox"), follow) == 202
        assert eventually(lambda: alice.api.account(alice.id)["followers_count"] == 3)

        # Refused: a target that does not name alice yet, a wrong password.
        def move() -> httpx.Response:
            body = {"target": alice2.handle, "current_password": PASSWORD}
            return call(alice, "POST", "/api/v1/pnyx/move", json=body)

        unlinked = move()
        assert unlinked.status_code == 422
        assert "does not name this account as an alias" in unlinked.json()["error"]
        wrong = call(
            alice,
            "POST",
            "/api/v1/pnyx/move",
            json={"target": alice2.handle, "current_password": "not it"},
        )
        assert wrong.status_code == 422
        assert wrong.json() == {"error": "Validation failed: Current password is invalid"}

        # Alice2 names alice@A (B looks her up with WebFinger), then alice moves.
        alias = call(alice2, "POST", "/api/v1/pnyx/aliases", json={"acct": alice.handle})
        assert alias.status_code == 200, alias.text
        assert alias.json()["uri"] == alice_uri
        moved = move()
        assert moved.status_code == 200, moved.text
        alice2_uri = b.url("/users/alice2")
        assert moved.json()["moved_to"]["url"].startswith(b.base_url)

        # Carol (C) and Dave (A) now follow alice2, accepted, and no longer alice.
        on_c = carol.api.account_lookup(alice2.handle)
        on_a = dave.api.account_lookup(alice2.handle)
        assert eventually(lambda: following(carol, on_c["id"])), c.logs()[-3000:]
        assert eventually(lambda: following(dave, on_a["id"])), a.logs()[-3000:]
        alice_on_c = carol.api.account_lookup(alice.handle)
        assert eventually(lambda: not following(carol, alice_on_c["id"]))
        assert not following(dave, alice.id)
        assert eventually(lambda: alice2.api.account(alice2.id)["followers_count"] == 2)
        # Mastodon.py reads the move on A (and on C).
        assert dave.api.account(alice.id)["moved"]["acct"] == alice2.handle
        assert eventually(
            lambda: (carol.api.account(alice_on_c["id"]).get("moved") or {}).get("acct")
        )
        # Nobody follows the old account anew.
        erin = login(a, "erin")
        refused = call(erin, "POST", f"/api/v1/accounts/{alice.id}/follow")
        assert refused.status_code == 403 and alice2.handle in refused.json()["error"]

        # The Peer got the Move as Mastodon sends it, signed by alice, and the actor with
        # movedTo.
        assert eventually(lambda: peer.of_type("Move"))
        [activity] = peer.of_type("Move")
        # Mastodon's MoveSerializer: these keys and values; Pnyx adds only its Data Integrity
        # proof (FEP-8b32), which Mastodon ignores.
        assert activity["id"].startswith(f"{alice_uri}#moves/")
        assert {k: activity[k] for k in ("type", "target", "actor", "object")} == {
            "type": "Move",
            "target": alice2_uri,
            "actor": alice_uri,
            "object": alice_uri,
        }
        context = activity["@context"]
        assert (context if isinstance(context, list) else [context])[0] == (
            "https://www.w3.org/ns/activitystreams"
        )
        assert set(activity) <= {"@context", "id", "type", "target", "actor", "object", "proof"}
        [(path, headers, body)] = [p for p in posts if json.loads(p[2]).get("type") == "Move"]
        assert path == "/inbox"  # the shared inbox
        actor = httpx.get(alice_uri, headers={"Accept": AP}).json()
        assert actor["movedTo"] == alice2_uri
        assert headers["signature"].startswith(f'keyId="{alice_uri}#main-key"')
        assert verify_cavage("POST", path, headers, body, actor["publicKey"]["publicKeyPem"])
        tampered = body.replace(b"alice2", b"mallory")
        assert not verify_cavage(
            "POST", path, headers, tampered, actor["publicKey"]["publicKeyPem"]
        )
        assert eventually(
            lambda: any(u["object"].get("movedTo") == alice2_uri for u in peer.of_type("Update"))
        )

        # The cooldown: a second move waits 30 days.
        again = move()
        assert again.status_code == 422
        assert "You moved less than 30 days ago" in again.json()["error"]
    finally:
        for server in started:
            server.stop()
        peer.close()
