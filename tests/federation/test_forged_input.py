"""Forged federation input against a real `pnyx serve`: refused, and nothing of it stored.

The "remote server" is a small HTTP server in this process on 127.0.0.1 (the peer). It serves
the actor documents of Mallory and Alice, whose key pairs the test holds, so the test can sign
exactly as a real server would, then break one thing at a time. Pnyx fetches their keys from
the peer like from any other server. Olive, a local user, follows both (Pnyx drops posts that
nobody here asked for, which would otherwise make "not stored" prove nothing).

"Nothing stored" is shown through the public API: after each forged request a valid control
activity is sent and awaited (so the worker has run past the forged one), then the forged post
must be absent from the public timeline. For requests refused with 401 the genuine activity
with the same id is sent afterwards and must be stored: a refused request may not even mark
its id as seen (or a forger could suppress real posts in advance).
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import orjson
import pytest
import sqlalchemy as sa

from pnyx.core.keys import KeyPair, generate_keypair
from pnyx.db.tables import accounts
from pnyx.federation.signatures import sign_request
from server import PnyxServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "activitypub"
PG_URL = os.environ.get("PNYX_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgres"] if PG_URL else [])
AP = "application/activity+json"
AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
PASSWORD = "correct horse battery staple"


# --------------------------------------------------------------------------- the remote peer


class Peer:
    """A loopback HTTP server playing another fediverse server: path -> (status, type, body)."""

    def __init__(self) -> None:
        self.documents: dict[str, tuple[int, str, bytes]] = {}
        self.requests: list[str] = []
        self.received: list[dict] = []  # activities Pnyx delivered to the peer's inboxes
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def answer(self, status: int, kind: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                parts = urlsplit(self.path)
                peer.requests.append(parts.path)
                if parts.path == "/.well-known/webfinger":
                    self.answer(*peer.webfinger(parse_qs(parts.query).get("resource", [""])[0]))
                    return
                self.answer(*peer.documents.get(parts.path, (404, "text/plain", b"not found")))

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                peer.received.append(json.loads(self.rfile.read(length)))
                self.answer(202, "application/json", b"{}")

            def log_message(self, *args) -> None:  # keep pytest output clean
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def serve(self, path: str, doc: dict, kind: str = AP) -> str:
        self.documents[path] = (200, kind, json.dumps(doc).encode())
        return self.base_url + path

    def webfinger(self, resource: str) -> tuple[int, str, bytes]:
        name, _, host = resource.removeprefix("acct:").partition("@")
        if f"/users/{name}" not in self.documents or f"http://{host}" != self.base_url:
            return 404, "text/plain", b"not found"
        jrd = {
            "subject": resource,
            "links": [{"rel": "self", "type": AP, "href": f"{self.base_url}/users/{name}"}],
        }
        return 200, "application/jrd+json", json.dumps(jrd).encode()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass
class Actor:
    name: str
    uri: str
    keys: KeyPair = field(default_factory=generate_keypair)

    @property
    def key_id(self) -> str:
        return f"{self.uri}#main-key"


def actor_document(actor: Actor, *, claimed_id: str | None = None) -> dict:
    """A Mastodon-shaped Person; `claimed_id` lets the peer lie about who it is."""
    uri = claimed_id or actor.uri
    return {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": uri,
        "type": "Person",
        "preferredUsername": actor.name,
        "inbox": f"{uri}/inbox",
        "outbox": f"{uri}/outbox",
        "followers": f"{uri}/followers",
        "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": actor.keys.public_pem},
    }


def add_actor(peer: Peer, name: str, *, claimed_id: str | None = None) -> Actor:
    actor = Actor(name, f"{peer.base_url}/users/{name}")
    peer.serve(f"/users/{name}", actor_document(actor, claimed_id=claimed_id))
    return actor


def note(actor: Actor, text: str, *, note_id: str | None = None, author: str | None = None):
    return {
        "id": note_id or f"{actor.uri}/statuses/{uuid.uuid4().hex}",
        "type": "Note",
        "attributedTo": author or actor.uri,
        "content": f"<p>{text}</p>",
        "published": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "to": [AS_PUBLIC],
        "cc": [f"{actor.uri}/followers"],
    }


def create(actor: Actor, obj: dict) -> dict:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor.uri}/activities/{uuid.uuid4().hex}",
        "type": "Create",
        "actor": actor.uri,
        "published": obj["published"],
        "to": obj["to"],
        "cc": obj["cc"],
        "object": obj,
    }


# --------------------------------------------------------------------------- the world


@dataclass
class World:
    server: PnyxServer
    peer: Peer
    mallory: Actor
    alice: Actor
    token: str


def login(server: PnyxServer, username: str) -> str:
    server.create_user(username, f"{username}@example.com", PASSWORD)
    app = httpx.post(
        server.url("/api/v1/apps"),
        data={
            "client_name": "forge",
            "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
            "scopes": "read follow",
        },
    ).json()
    answer = httpx.post(
        server.url("/oauth/token"),
        data={
            "grant_type": "password",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "username": f"{username}@example.com",
            "password": PASSWORD,
            "scope": "read follow",
        },
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def follow(world: World, actor: Actor) -> None:
    """Olive follows `actor` as on any server: WebFinger lookup, Follow delivered to the peer,
    Accept signed by the actor. Pnyx keeps only posts that someone here asked for."""
    auth = {"Authorization": f"Bearer {world.token}"}
    handle = f"{actor.name}@{world.peer.base_url.removeprefix('http://')}"
    found = httpx.get(world.server.url("/api/v1/accounts/lookup"), params={"acct": handle})
    assert found.status_code == 200, found.text
    account_id = found.json()["id"]
    answer = httpx.post(world.server.url(f"/api/v1/accounts/{account_id}/follow"), headers=auth)
    assert answer.status_code == 200, answer.text

    def delivered():
        return next(
            (a for a in world.peer.received if a["type"] == "Follow" and a["object"] == actor.uri),
            None,
        )

    follow_activity = eventually(delivered)
    assert follow_activity, "the Follow never reached the peer"
    accept = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor.uri}#accepts/{uuid.uuid4().hex}",
        "type": "Accept",
        "actor": actor.uri,
        "object": {k: v for k, v in follow_activity.items() if k != "@context"},
    }
    assert deliver(world, accept, actor).status_code == 202

    def following() -> bool:
        relations = httpx.get(
            world.server.url("/api/v1/accounts/relationships"),
            params={"id[]": account_id},
            headers=auth,
        ).json()
        return relations[0]["following"]

    assert eventually(following), f"Olive's follow of {actor.name} was never accepted"


@pytest.fixture(scope="module", params=BACKENDS)
def world(request, tmp_path_factory):
    peer = Peer()
    mallory, alice = add_actor(peer, "mallory"), add_actor(peer, "alice")
    server = PnyxServer(
        tmp_path_factory.mktemp(f"forge-{request.param}"),
        backend=request.param,
        postgres_url=PG_URL or None,
    )
    server.start()
    try:
        world = World(server, peer, mallory, alice, login(server, "olive"))
        follow(world, mallory)
        follow(world, alice)
        yield world
    finally:
        server.stop()
        peer.close()


def deliver(
    world: World,
    activity: dict,
    signer: Actor | None,
    *,
    sign_url: str | None = None,
    now: datetime | None = None,
    send_body: bytes | None = None,
) -> httpx.Response:
    """POST `activity` to Pnyx's shared inbox, signed by `signer` (None: unsigned)."""
    url = world.server.url("/inbox")
    body = orjson.dumps(activity)
    headers = {"Content-Type": AP}
    if signer is not None:
        headers |= sign_request(
            method="POST",
            url=sign_url or url,
            body=body,
            key_id=signer.key_id,
            private_key_pem=signer.keys.private_pem,
            now=now,
        )
    return httpx.post(url, content=body if send_body is None else send_body, headers=headers)


def public_uris(world: World) -> list[str]:
    answer = httpx.get(
        world.server.url("/api/v1/timelines/public"), params={"remote": "true", "limit": 40}
    )
    assert answer.status_code == 200, answer.text
    return [status["uri"] for status in answer.json()]


def eventually(check, attempts: int = 150, pause: float = 0.1):
    result = None
    for _ in range(attempts):
        if result := check():
            return result
        time.sleep(pause)
    return result


def wait_until_stored(world: World, uri: str) -> None:
    assert eventually(lambda: uri in public_uris(world)), f"{uri} never stored"


def assert_not_stored(world: World, uri: str) -> None:
    """A later valid activity is processed; the forged post is still nowhere to be seen."""
    control = note(world.mallory, "control")
    assert deliver(world, create(world.mallory, control), world.mallory).status_code == 202
    wait_until_stored(world, control["id"])
    assert uri not in public_uris(world)


def assert_refused_then_genuine_accepted(world: World, answer, activity: dict, signer: Actor):
    """401, nothing stored, and the id not burnt: the genuine activity still gets through."""
    assert answer.status_code == 401, answer.text
    assert "error" in answer.json()
    assert_not_stored(world, activity["object"]["id"])
    assert deliver(world, activity, signer).status_code == 202
    wait_until_stored(world, activity["object"]["id"])


# --------------------------------------------------------------------------- the cases


def test_valid_activity_from_the_peer_is_stored(world: World):
    """The baseline the refusals are measured against: the peer is reachable, signing works."""
    post = note(world.mallory, "hello from the peer")
    assert deliver(world, create(world.mallory, post), world.mallory).status_code == 202
    wait_until_stored(world, post["id"])


def test_unsigned_post_is_refused(world: World):
    activity = create(world.mallory, note(world.mallory, "unsigned"))
    answer = deliver(world, activity, None)
    assert_refused_then_genuine_accepted(world, answer, activity, world.mallory)
    assert "not signed" in answer.json()["error"]


def test_body_altered_after_signing_is_refused(world: World):
    activity = create(world.mallory, note(world.mallory, "original words"))
    altered = json.loads(json.dumps(activity))
    altered["object"]["content"] = "<p>words Mallory never signed</p>"
    answer = deliver(world, activity, world.mallory, send_body=orjson.dumps(altered))
    assert_refused_then_genuine_accepted(world, answer, activity, world.mallory)


def test_signature_for_another_host_is_refused(world: World):
    """Signed for other.example's inbox (Host: other.example), replayed here byte for byte."""
    activity = create(world.mallory, note(world.mallory, "meant for another server"))
    answer = deliver(world, activity, world.mallory, sign_url="http://other.example/inbox")
    assert_refused_then_genuine_accepted(world, answer, activity, world.mallory)


def test_badly_signed_requests_do_not_make_us_fetch_the_signers_key(world: World):
    """A stale Date or a wrong Digest is refused before any fetch: otherwise anyone could make
    us fetch a victim's actor document once per junk request."""
    actor_path = urlsplit(world.mallory.uri).path
    before = world.peer.requests.count(actor_path)
    for shift in (timedelta(hours=-20), timedelta(hours=3)):
        activity = create(world.mallory, note(world.mallory, "junk"))
        assert (
            deliver(world, activity, world.mallory, now=datetime.now(UTC) + shift).status_code
            == 401
        )
    activity = create(world.mallory, note(world.mallory, "tampered"))
    answer = deliver(world, activity, world.mallory, send_body=orjson.dumps({**activity, "x": 1}))
    assert answer.status_code == 401
    assert "Digest" in answer.json()["error"]  # the reason is told, for the remote admin
    assert world.peer.requests.count(actor_path) == before


@pytest.mark.parametrize("shift", [timedelta(hours=-13), timedelta(hours=2)], ids=["old", "future"])
def test_date_outside_the_window_is_refused(world: World, shift: timedelta):
    activity = create(world.mallory, note(world.mallory, "stale"))
    answer = deliver(world, activity, world.mallory, now=datetime.now(UTC) + shift)
    assert_refused_then_genuine_accepted(world, answer, activity, world.mallory)


def test_signer_who_is_not_the_actor_is_refused(world: World):
    """Mallory, with her own valid signature, speaks as Alice."""
    activity = create(world.alice, note(world.alice, "Alice never said this"))
    answer = deliver(world, activity, world.mallory)
    assert_refused_then_genuine_accepted(world, answer, activity, world.alice)


def test_someone_elses_key_id_with_ones_own_key_is_refused(world: World):
    """Mallory names Alice's key but signs with her own: Alice's real key does not verify."""
    activity = create(world.alice, note(world.alice, "Alice never said this either"))
    impostor = Actor("alice", world.alice.uri, world.mallory.keys)
    answer = deliver(world, activity, impostor)
    assert_refused_then_genuine_accepted(world, answer, activity, world.alice)


def test_key_from_an_actor_document_claiming_another_origin_is_refused(world: World):
    """The key's actor document, fetched from the peer, says it is https://elsewhere.example."""
    liar = add_actor(world.peer, "liar", claimed_id="https://elsewhere.example/users/liar")
    activity = create(liar, note(liar, "who am I"))
    answer = deliver(world, activity, liar)
    assert answer.status_code == 401, answer.text
    assert_not_stored(world, activity["object"]["id"])


@pytest.mark.parametrize("where", ["id", "attributedTo", "both"])
def test_object_attributed_to_another_origin_is_not_stored(world: World, where: str):
    """Validly signed by Mallory; the Note inside claims to come from elsewhere.example."""
    elsewhere = "https://elsewhere.example/users/bob"
    obj = note(
        world.mallory,
        f"forged {where}",
        note_id=f"{elsewhere}/statuses/{uuid.uuid4().hex}" if where != "attributedTo" else None,
        author=elsewhere if where != "id" else None,
    )
    answer = deliver(world, create(world.mallory, obj), world.mallory)
    assert answer.status_code in (202, 401, 403), answer.text
    reason = "not on the origin of its sender" if where != "attributedTo" else "not its sender"
    assert eventually(lambda: obj["id"] in world.server.logs() and reason in world.server.logs())
    assert_not_stored(world, obj["id"])


def search_statuses(world: World, q: str, *, resolve: bool = True) -> list[dict]:
    answer = httpx.get(
        world.server.url("/api/v2/search"),
        params={"q": q, "resolve": str(resolve).lower(), "type": "statuses"},
        headers={"Authorization": f"Bearer {world.token}"},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["statuses"]


def test_fetched_document_with_an_id_on_another_origin_is_not_stored(world: World):
    """Pleroma's spoofed object, served from the peer, still claiming https://patch.cx."""
    spoof = json.loads((FIXTURES / "negative" / "spoofed_object.json").read_text())
    url = world.peer.serve(f"/media/{uuid.uuid4().hex}.json", spoof)
    assert search_statuses(world, url) == []
    assert "not on the origin it was fetched from" in world.server.logs()
    # Not resolve=true: that would ask the real patch.cx (no network beyond loopback here).
    assert search_statuses(world, spoof["id"], resolve=False) == []
    assert_not_stored(world, spoof["id"])


def test_create_naming_a_remote_document_on_another_origin_is_not_stored(world: World):
    """Create by reference: the Note fetched from Mallory's server claims another origin."""
    spoof = note(world.mallory, "fetched forgery", note_id="https://elsewhere.example/notes/1")
    spoof["attributedTo"] = "https://elsewhere.example/users/bob"
    url = world.peer.serve(f"/notes/{uuid.uuid4().hex}", spoof)
    activity = create(world.mallory, note(world.mallory, "unused"))
    activity["object"] = url
    assert deliver(world, activity, world.mallory).status_code == 202
    assert eventually(lambda: url in world.server.logs())
    assert_not_stored(world, spoof["id"])
    assert_not_stored(world, url)


def test_fetched_document_whose_id_is_another_url_of_the_same_origin_is_not_trusted(world: World):
    """Pleroma's original attack: an uploaded file on the author's own server claims to be a
    post there (same origin, other path). Only the document found at its own id counts; here
    that id answers 404, so nothing may be stored."""
    spoof = json.loads((FIXTURES / "negative" / "spoofed_object.json").read_text())
    text = json.dumps(spoof).replace("https://patch.cx", world.peer.base_url)
    spoof = json.loads(text.replace("/users/rin", "/users/mallory"))
    url = world.peer.serve(f"/media/{uuid.uuid4().hex}.json", spoof)
    assert search_statuses(world, url) == []
    assert world.peer.requests[-1] == urlsplit(spoof["id"]).path  # it asked the id itself
    assert_not_stored(world, spoof["id"])


def test_tampered_peertube_sample_is_refused(world: World):
    """Mastodon's real headers with a body changed after signing, replayed to Pnyx's inbox."""
    sample = json.loads((FIXTURES / "peertube-tests" / "mastodon_bad_body_http_signature.json")
                        .read_text())  # fmt: skip
    headers = {k: v for k, v in sample["headers"].items() if k.lower() != "content-length"}
    answer = httpx.post(
        world.server.url("/inbox"), content=orjson.dumps(sample["body"]), headers=headers
    )
    assert answer.status_code == 401, answer.text
    assert_not_stored(world, sample["body"]["object"]["id"])


def test_replayed_activity_is_accepted_and_stored_once(world: World):
    activity = create(world.mallory, note(world.mallory, "say it twice"))
    assert deliver(world, activity, world.mallory).status_code == 202
    assert deliver(world, activity, world.mallory).status_code == 202
    wait_until_stored(world, activity["object"]["id"])
    assert_not_stored(world, "nothing")  # lets any second copy be processed first
    assert public_uris(world).count(activity["object"]["id"]) == 1


def test_refusals_are_logged_with_their_reason(world: World):
    activity = create(world.mallory, note(world.mallory, "logged"))
    assert deliver(world, activity, None).status_code == 401
    assert deliver(world, activity, world.alice).status_code == 401
    logs = world.server.logs()
    assert "/inbox refused" in logs and "Request not signed" in logs
    assert "The signer is not the activity's actor" in logs


def test_a_move_carries_followers_over_only_when_the_new_account_claims_the_old(world: World):
    """Olive follows Maya. Maya says she moved to Nora, who does not name her: nothing
    changes. Then to Nina, who names her in alsoKnownAs: Olive asks to follow Nina (a Follow
    reaches the peer) and stops following Maya (an Undo reaches the peer)."""
    auth = {"Authorization": f"Bearer {world.token}"}
    maya = add_actor(world.peer, "maya")
    nora = add_actor(world.peer, "nora")  # does not name Maya
    nina = Actor("nina", f"{world.peer.base_url}/users/nina")
    world.peer.serve("/users/nina", {**actor_document(nina), "alsoKnownAs": [maya.uri]})
    follow(world, maya)

    def move(target: Actor) -> None:
        activity = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{maya.uri}#moves/{uuid.uuid4().hex}",
            "type": "Move",
            "actor": maya.uri,
            "object": maya.uri,
            "target": target.uri,
        }
        assert deliver(world, activity, maya).status_code == 202

    def sent(kind: str, about: str):
        for activity in world.peer.received:
            inner = activity.get("object")
            inner_target = inner.get("object") if isinstance(inner, dict) else None
            if activity["type"] == kind and about in (inner, inner_target):
                return activity
        return None

    def relationship(actor: Actor) -> dict:
        handle = f"{actor.name}@{world.peer.base_url.removeprefix('http://')}"
        found = httpx.get(world.server.url("/api/v1/accounts/lookup"), params={"acct": handle})
        relations = httpx.get(
            world.server.url("/api/v1/accounts/relationships"),
            params={"id[]": found.json()["id"]},
            headers=auth,
        )
        return relations.json()[0]

    move(nora)
    move(nina)  # processed after the refused one: when it has taken effect, so has that one
    assert eventually(lambda: sent("Follow", nina.uri)), "no Follow reached Nina"
    assert eventually(lambda: sent("Undo", maya.uri)), "the follow of Maya was not undone"
    assert sent("Follow", nora.uri) is None
    assert eventually(lambda: relationship(nina)["requested"])
    assert relationship(maya)["following"] is False
    assert relationship(nora)["following"] is False and relationship(nora)["requested"] is False


def test_an_actor_deleted_at_its_origin_is_erased_here(world: World):
    """Dana posts, then her server deletes her: her post leaves the timeline and her account
    this server (after the erasing job). A Delete of someone else's actor does nothing."""
    dana = add_actor(world.peer, "dana")
    follow(world, dana)
    post = note(dana, "soon gone")
    assert deliver(world, create(dana, post), dana).status_code == 202
    wait_until_stored(world, post["id"])
    handle = f"dana@{world.peer.base_url.removeprefix('http://')}"

    def delete_of(actor_uri: str, signer: Actor) -> dict:
        return {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{signer.uri}#delete/{uuid.uuid4().hex}",
            "type": "Delete",
            "actor": signer.uri,
            "object": actor_uri,
        }

    assert deliver(world, delete_of(dana.uri, world.mallory), world.mallory).status_code == 202
    world.peer.documents.pop("/users/dana")  # her server no longer has her (Mastodon: 410)
    assert deliver(world, delete_of(dana.uri, dana), dana).status_code == 202

    def gone() -> bool:
        lookup = httpx.get(world.server.url("/api/v1/accounts/lookup"), params={"acct": handle})
        return lookup.status_code == 404 and post["id"] not in public_uris(world)

    assert eventually(gone), "Dana's account or post is still here"

    # Not only hidden: erased from the database (by the job that follows the suspension).
    engine = sa.create_engine(world.server.database_url)
    try:

        def erased() -> bool:
            with engine.connect() as conn:
                found = conn.execute(sa.select(accounts.c.id).where(accounts.c.uri == dana.uri))
                return found.first() is None

        assert eventually(erased), "Dana's account row is still stored"
    finally:
        engine.dispose()
