"""A move when the old server is gone (issue 14, FEP-7628's "pull" move), between real servers.

alice has followers on two servers, carol on C and dave on B, whose servers learn her key as
they follow her (her actor's `assertionMethod`). She exports everything on A (the API; the
test downloads the parts), then **A is stopped for good**. alice2 on B imports the archive:
its identity.json carries alice's key, its followers.csv her followers. alice2 announces the
move (`/api/v1/pnyx/move/announce`): dave on B follows her at once; B finds carol on C and
sends C the Move `{actor: alice2, object: alice, target: alice2}`, which C accepts without A
because alice2's actor proves (FEP-c390) the key C knew alice by. carol then follows alice2,
C shows alice@A as moved, and what C held of alice's post is alice2's. Forgeries move nobody:
an announce with no carried key (mallory on B), and a Move a stand-in server sends C for an
actor whose statement names another key (logged as refused by C).

A, B and C are real `pnyx serve` processes driven through Mastodon.py; with
PNYX_TEST_DATABASE_URL set, a second run has B and C on PostgreSQL. Every check waits with
`eventually` (bounded polling) for the servers' jobs, never on a fixed delay.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from mastodon import MastodonAPIError

from pnyx.federation import data_integrity, identity_proofs
from server import PnyxServer

from .peer import Peer
from .people import PASSWORD, Person, eventually, find_in_home, login

PG_URL = os.environ.get("PNYX_TEST_DATABASE_URL", "")
PATIENCE = 900  # attempts of `eventually` (a tenth of a second apart) for work done by jobs

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgres",
        id="postgres",
        marks=pytest.mark.skipif(not PG_URL, reason="PNYX_TEST_DATABASE_URL is not set"),
    ),
]


@dataclass
class World:
    a: PnyxServer
    b: PnyxServer
    c: PnyxServer
    alice: Person  # on A, which is gone
    alice2: Person  # on B, the new account
    carol: Person  # on C, followed alice
    dave: Person  # on B, followed alice
    mallory: Person  # on B, carried nothing
    alice_on_c: dict  # alice@A as C knows her
    alice_on_b: dict  # alice@A as B knows her
    post_on_c: dict  # alice's post, as C held it
    announced: dict  # the PullMove, as the announce answered


def _call(person: Person, method: str, path: str, **options):
    """One of Pnyx's own endpoints, through Mastodon.py with the person's token."""
    return person.api._Mastodon__api_request(method, path, **options)  # noqa: SLF001


def _follow(follower: Person, handle: str) -> dict:
    there = follower.api.account_lookup(handle)
    follower.api.account_follow(there["id"])
    assert eventually(
        lambda: follower.api.account_relationships(there["id"])[0]["following"],
        attempts=PATIENCE,
    ), f"{follower.handle} never followed {handle}"
    return there


def _export(alice: Person) -> list[bytes]:
    asked = _call(alice, "POST", "/api/v1/pnyx/exports")

    def done():
        export = _call(alice, "GET", f"/api/v1/pnyx/exports/{asked['id']}")
        return export if export["state"] == "done" else None

    export = eventually(done, PATIENCE)
    assert export, "the export never finished"
    parts = []
    for part in export["parts"]:
        answer = _call(alice, "GET", urlsplit(part["url"]).path, return_response_object=True)
        assert answer.status_code == 200
        parts.append(answer.content)
    return parts


def _import(person: Person, parts: list[bytes]) -> dict:
    files = [
        ("file", (f"export-{n}.zip", data, "application/zip")) for n, data in enumerate(parts, 1)
    ]
    asked = _call(person, "POST", "/api/v1/pnyx/imports/archive", files=files)

    def finished():
        view = _call(person, "GET", f"/api/v1/pnyx/imports/archive/{asked['id']}")
        return view if view["state"] in ("finished", "failed") else None

    view = eventually(finished, PATIENCE)
    assert view and view["state"] == "finished", view
    return view


def _servers(tmp_path_factory, backend: str) -> list[PnyxServer]:
    other = "postgres" if backend == "postgres" else "sqlite"
    return [
        PnyxServer(tmp_path_factory.mktemp(f"pull-{backend}-a"), backend="sqlite"),
        PnyxServer(tmp_path_factory.mktemp(f"pull-{backend}-b"), backend=other),
        PnyxServer(tmp_path_factory.mktemp(f"pull-{backend}-c"), backend=other),
    ]


@pytest.fixture(scope="module", params=BACKENDS)
def world(request, tmp_path_factory):
    servers = _servers(tmp_path_factory, request.param)
    started: list[PnyxServer] = []
    try:
        for server in servers:
            started.append(server.start())
        a, b, c = servers
        alice, alice2, carol = login(a, "alice"), login(b, "alice2"), login(c, "carol")
        dave, mallory = login(b, "dave"), login(b, "mallory")
        alice_on_c = _follow(carol, alice.handle)
        alice_on_b = _follow(dave, alice.handle)
        word = uuid.uuid4().hex[:8]
        alice.api.status_post(f"before {word}: still on A")
        post_on_c = eventually(lambda: find_in_home(carol, word), PATIENCE)
        assert post_on_c, "alice's post never reached C"

        parts = _export(alice)
        a.stop()  # A is gone: nothing below may need it
        _import(alice2, parts)
        [ready] = _call(alice2, "GET", "/api/v1/pnyx/move/announce")["moves"]
        assert (ready["has_key"], ready["followers"], ready["state"]) == (True, 2, "ready")
        announced = _call(
            alice2,
            "POST",
            "/api/v1/pnyx/move/announce",
            params={"current_password": PASSWORD},
        )
        yield World(
            a,
            b,
            c,
            alice,
            alice2,
            carol,
            dave,
            mallory,
            alice_on_c,
            alice_on_b,
            post_on_c,
            announced,
        )
    except Exception:
        _print_logs(started)
        raise
    finally:
        for server in started:
            server.stop()


def _print_logs(servers: list[PnyxServer]) -> None:
    for server in servers:
        print(f"--- {server.base_url} ---\n{server.logs()[-8000:]}")


@pytest.fixture(autouse=True)
def logs_on_failure(request, world: World):
    failed = request.session.testsfailed
    yield
    if request.session.testsfailed > failed:
        _print_logs([world.b, world.c])


def test_the_announce_finds_the_followers_and_sends_the_move(world: World):
    assert world.announced["state"] == "finding" and world.announced["old_uri"] == world.a.url(
        "/users/alice"
    )

    def sent():
        [move] = _call(world.alice2, "GET", "/api/v1/pnyx/move/announce")["moves"]
        return move if move["state"] == "sent" else None

    move = eventually(sent, PATIENCE)
    assert move, _call(world.alice2, "GET", "/api/v1/pnyx/move/announce")
    assert (move["found"], move["failed"], move["inboxes"]) == (2, 0, 1), move
    me = world.alice2.api.account_verify_credentials()
    assert me["id"] == world.alice2.id
    aliases = _call(world.alice2, "GET", "/api/v1/pnyx/aliases")
    assert [a["uri"] for a in aliases] == [world.a.url("/users/alice")]


def test_dave_on_b_follows_alice2_at_once(world: World):
    dave, alice2 = world.dave, world.alice2
    assert eventually(lambda: dave.api.account_relationships(alice2.id)[0]["following"], PATIENCE)
    old = world.alice_on_b["id"]
    assert not dave.api.account_relationships(old)[0]["following"]
    assert dave.api.account(old)["moved"]["id"] == alice2.id


def test_carol_on_c_follows_alice2_and_c_shows_alice_moved(world: World):
    carol = world.carol
    old = world.alice_on_c["id"]

    def moved():
        shown = carol.api.account(old)
        return shown["moved"] if shown.get("moved") else None

    moved_to = eventually(moved, PATIENCE)
    assert moved_to and moved_to["acct"] == world.alice2.handle, world.c.logs()[-3000:]
    new = moved_to["id"]

    def moved_over():
        old_rel, new_rel = carol.api.account_relationships([old, new])
        return new_rel["following"] and not old_rel["following"]

    assert eventually(moved_over, PATIENCE), carol.api.account_relationships([old, new])
    followers = {f["acct"] for f in world.alice2.api.account_followers(world.alice2.id)}
    assert carol.handle in followers and world.dave.username in followers
    # What C held of alice's post is now alice2's (the moved posts, mapped).
    assert eventually(
        lambda: carol.api.status(world.post_on_c["id"])["account"]["acct"] == world.alice2.handle,
        PATIENCE,
    ), carol.api.status(world.post_on_c["id"])


def test_an_announce_with_no_carried_key_is_refused(world: World):
    with pytest.raises(MastodonAPIError) as refused:
        _call(
            world.mallory,
            "POST",
            "/api/v1/pnyx/move/announce",
            params={"current_password": PASSWORD},
        )
    assert "Import the archive" in str(refused.value)


def test_a_move_by_an_actor_proving_another_key_is_refused_by_c(world: World):
    """A stand-in server's actor, with a valid statement for a key of its own, tells C it is
    alice: C refuses it (and asks A, which does not answer), and alice stays alice2's."""
    peer = Peer("mallory")
    try:
        own = data_integrity.new_private_key()
        statement = identity_proofs.statement(peer.actor, own, datetime.now(UTC))
        peer.docs["/users/mallory"] = {**peer.actor_document(), "attachment": [statement]}
        move_id = f"{peer.actor}#moves/pull/{uuid.uuid4().hex}"
        forged = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": move_id,
            "type": "Move",
            "actor": peer.actor,
            "object": world.a.url("/users/alice"),
            "target": peer.actor,
        }
        assert peer.send(world.c.url("/inbox"), forged) == 202
        assert eventually(
            lambda: f"Move {move_id} from {peer.actor} refused" in world.c.logs(), PATIENCE
        ), world.c.logs()[-3000:]
    finally:
        peer.close()
    shown = world.carol.api.account(world.alice_on_c["id"])
    assert shown["moved"]["acct"] == world.alice2.handle
