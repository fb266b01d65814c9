"""Leaving with everything, between real servers (issue 14): an account exported on Pnyx server
A, imported on Pnyx server B, and moved there; its followers on a third Pnyx server C and on
another ActivityPub implementation follow the new account, and what C holds of the old posts
(a reply, a boost, a favourite) now hangs on the moved posts. B is a followers' server too
(bob follows alice there): its copies of her old posts give way to alice2's imported ones.

- A, B and C are real `pnyx serve` processes (SQLite; with PNYX_TEST_DATABASE_URL set, a second
  run has B and C on PostgreSQL), driven through Mastodon.py as an app drives them: the
  export, the archive import, the alias and the move are Pnyx's own endpoints, called with
  Mastodon.py's low-level `__api_request` and the person's token.
- The other implementation is Fedify (https://fedify.dev), a TypeScript ActivityPub framework
  written independently of Pnyx: `fedify_follower/follower.mjs` serves one actor with Fedify on
  a loopback port. Fedify does all the ActivityPub work there (its keys and actor document,
  WebFinger, the inbox, HTTP signatures and Object Integrity Proofs checked on what arrives,
  parsing, fetching the Move's target, signing what it sends); the script is only the
  follower's behaviour, Mastodon's: on a Move from an account it follows, whose target
  names the old account in `alsoKnownAs`, follow the target and send the old account an
  Undo(Follow). Without node or npm this module skips and says why, unless
  PNYX_REQUIRE_BROWSER=1 (CI), where that is a failure.

What each server does happens in its job workers, so every check waits with `eventually`
(bounded polling), never on a fixed delay.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from images import png
from server import PnyxServer

from .fedify_follower import FedifyFollower
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
    alice: Person  # on A, moves to alice2
    alice2: Person  # on B
    carol: Person  # on C, follows alice
    bob: Person  # on B, follows alice: she moves to his own server
    follower: FedifyFollower  # on Fedify, follows alice
    on_a: dict[str, dict]  # alice's posts on A: first (with a picture), second, thread
    on_c: dict[str, dict]  # what C holds: those posts, carol's reply and boost
    on_b: dict[str, dict]  # what B held before the move: those posts, bob's reply
    imported: dict[str, dict]  # alice2's posts on B, by the same names
    import_view: dict  # the finished Archive import


def _call(person: Person, method: str, path: str, **options):
    """One of Pnyx's own endpoints, through Mastodon.py with the person's token."""
    return person.api._Mastodon__api_request(method, path, **options)  # noqa: SLF001


def _servers(tmp_path_factory, backend: str) -> list[PnyxServer]:
    """A on SQLite; B and C on PostgreSQL in the postgres run (the import and the remapping
    of moved posts on both kinds of storage)."""
    other = "postgres" if backend == "postgres" else "sqlite"
    return [
        PnyxServer(tmp_path_factory.mktemp(f"move-{backend}-a"), backend="sqlite"),
        PnyxServer(tmp_path_factory.mktemp(f"move-{backend}-b"), backend=other),
        PnyxServer(tmp_path_factory.mktemp(f"move-{backend}-c"), backend=other),
    ]


def _follow(follower: Person, handle: str) -> dict:
    there = follower.api.account_lookup(handle)
    follower.api.account_follow(there["id"])
    assert eventually(
        lambda: follower.api.account_relationships(there["id"])[0]["following"],
        attempts=PATIENCE,
    ), f"{follower.handle} never followed {handle}"
    return there


def _post(alice: Person, carol: Person, word: str) -> tuple[dict[str, dict], dict[str, dict]]:
    """Alice's posts on A (one with a picture, one plain, a reply in her own thread), and
    carol's reply, boost and favourite of them on C."""
    media = alice.api.media_post(
        png(), mime_type="image/png", description="a green square", synchronous=True
    )
    first = alice.api.status_post(f"first {word}: with a picture", media_ids=[media["id"]])
    second = alice.api.status_post(f"second {word}: words alone")
    thread = alice.api.status_post(f"thread {word}: and more", in_reply_to_id=first["id"])
    on_a = {"first": first, "second": second, "thread": thread}
    on_c = {}
    for name in on_a:
        on_c[name] = eventually(lambda n=name: find_in_home(carol, f"{n} {word}"), PATIENCE)
        assert on_c[name], f"alice's {name} post never reached C"
    on_c["reply"] = carol.api.status_post(
        f"@{alice.handle} a reply from C", in_reply_to_id=on_c["first"]["id"]
    )
    on_c["boost"] = carol.api.status_reblog(on_c["second"]["id"])
    carol.api.status_favourite(on_c["second"]["id"])
    return on_a, on_c


def _bob_acts(bob: Person, alice: Person, word: str) -> dict[str, dict]:
    """Bob, on B, replies to alice's first post and favourites her second, as B holds them."""
    on_b = {}
    for name in ("first", "second"):
        on_b[name] = eventually(lambda n=name: find_in_home(bob, f"{n} {word}"), PATIENCE)
        assert on_b[name], f"alice's {name} post never reached B"
    on_b["reply"] = bob.api.status_post(
        f"@{alice.handle} a reply from B", in_reply_to_id=on_b["first"]["id"]
    )
    bob.api.status_favourite(on_b["second"]["id"])
    return on_b


def _export(alice: Person) -> list[bytes]:
    """Alice's archive, asked for, followed to its end and downloaded part by part."""
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


def _import(alice2: Person, parts: list[bytes]) -> dict:
    files = [
        ("file", (f"alice-export-{n}.zip", data, "application/zip"))
        for n, data in enumerate(parts, 1)
    ]
    asked = _call(alice2, "POST", "/api/v1/pnyx/imports/archive", files=files)

    def finished():
        view = _call(alice2, "GET", f"/api/v1/pnyx/imports/archive/{asked['id']}")
        return view if view["state"] in ("finished", "failed") else None

    view = eventually(finished, PATIENCE)
    assert view and view["state"] == "finished", view
    return view


def _imported(alice2: Person, on_a: dict[str, dict]) -> dict[str, dict]:
    """alice2's posts on B, named as the posts on A they were imported from."""
    by_origin = {}
    for status in alice2.api.account_statuses(alice2.id, limit=40):
        origin = (status.get("pnyx") or {}).get("imported_from")
        if origin:
            by_origin[origin["uri"]] = status
    return {name: by_origin.get(post["uri"]) for name, post in on_a.items()}


@pytest.fixture(scope="module", params=BACKENDS)
def world(request, tmp_path_factory) -> World:
    backend = request.param
    follower = FedifyFollower(tmp_path_factory.mktemp(f"fedify-{backend}") / "follower.log")
    servers = _servers(tmp_path_factory, backend)
    started: list[PnyxServer] = []
    try:
        follower.start()
        for server in servers:
            started.append(server.start())
        a, b, c = servers
        alice, alice2, carol = login(a, "alice"), login(b, "alice2"), login(c, "carol")
        bob = login(b, "bob")

        # Alice's followers: carol on C, bob on B, and the Fedify actor.
        _follow(carol, alice.handle)
        _follow(bob, alice.handle)
        follower.follow(a.url("/users/alice"))
        assert eventually(
            lambda: follower.state()["following"][alice_uri(a)]["accepted"], PATIENCE
        ), (follower.state(), follower.logs(), a.logs()[-3000:])
        word = uuid.uuid4().hex[:8]
        on_a, on_c = _post(alice, carol, word)
        on_b = _bob_acts(bob, alice, word)

        # Export on A, import on B.
        view = _import(alice2, _export(alice))
        imported = _imported(alice2, on_a)

        # alice2 names alice@A as her alias, then alice@A moves to alice2@B.
        _call(alice2, "POST", "/api/v1/pnyx/aliases", params={"acct": alice.handle})
        moved = _call(
            alice,
            "POST",
            "/api/v1/pnyx/move",
            params={"target": alice2.handle, "current_password": PASSWORD},
        )
        assert moved["moved_to"]["acct"] == alice2.handle, moved
        yield World(a, b, c, alice, alice2, carol, bob, follower, on_a, on_c, on_b, imported, view)
    except Exception:
        _print_logs(started, follower)
        raise
    finally:
        follower.stop()
        for server in started:
            server.stop()


def _print_logs(servers: list[PnyxServer], follower: FedifyFollower) -> None:
    """What each server wrote, for the report of a failure (pytest shows it then)."""
    for server in servers:
        print(f"--- {server.base_url} ---\n{server.logs()[-8000:]}")
    print(f"--- fedify ({follower.base_url}) ---\n{follower.logs()[-8000:]}")


@pytest.fixture(autouse=True)
def logs_on_failure(request, world: World):
    """The servers' logs in the report of a test that failed (its teardown's output)."""
    failed = request.session.testsfailed
    yield
    if request.session.testsfailed > failed:
        _print_logs([world.a, world.b, world.c], world.follower)


def alice_uri(a: PnyxServer) -> str:
    return a.url("/users/alice")


def test_the_posts_arrive_on_b_with_their_dates_media_and_thread(world: World):
    view = world.import_view
    assert (view["imported"], view["failed"]) == (3, 0), view
    assert all(world.imported.values()), (world.imported, view)
    for name, old in world.on_a.items():
        new = world.imported[name]
        # ActivityStreams dates are to the second: the archive keeps them so.
        assert new["created_at"] == old["created_at"].replace(microsecond=0), name
        assert new["content"] == old["content"], name
        assert new["account"]["id"] == world.alice2.id
        assert new["uri"].startswith(world.b.base_url + "/")
    [picture] = world.imported["first"]["media_attachments"]
    assert picture["type"] == "image" and picture["description"] == "a green square"
    assert (picture["meta"]["original"]["width"], picture["meta"]["original"]["height"]) == (
        64,
        48,
    )
    assert world.imported["second"]["media_attachments"] == []
    thread = world.imported["thread"]
    assert thread["in_reply_to_id"] == world.imported["first"]["id"]
    assert thread["in_reply_to_account_id"] == world.alice2.id


def test_followers_on_c_follow_the_new_account(world: World):
    carol = world.carol
    old = carol.api.account_lookup(world.alice.handle)
    new = carol.api.account_lookup(world.alice2.handle)

    def moved_over():
        old_rel, new_rel = carol.api.account_relationships([old["id"], new["id"]])
        return new_rel["following"] and not old_rel["following"]

    assert eventually(moved_over, PATIENCE), carol.api.account_relationships([old["id"], new["id"]])
    moved_to = carol.api.account(old["id"])["moved"]
    assert moved_to is not None and moved_to["acct"] == world.alice2.handle

    def followers_on_b() -> set[str]:
        return {f["acct"] for f in world.alice2.api.account_followers(world.alice2.id)}

    assert eventually(lambda: carol.handle in followers_on_b(), PATIENCE), followers_on_b()


def test_replies_boosts_and_favourites_on_c_point_at_the_moved_posts(world: World):
    carol, first, second = world.carol, world.imported["first"], world.imported["second"]

    def reply_parent():
        ancestors = carol.api.status_context(world.on_c["reply"]["id"])["ancestors"]
        return ancestors[-1] if ancestors and ancestors[-1]["uri"] == first["uri"] else None

    parent = eventually(reply_parent, PATIENCE)
    assert parent, carol.api.status_context(world.on_c["reply"]["id"])
    assert parent["account"]["acct"] == world.alice2.handle

    boost = carol.api.status(world.on_c["boost"]["id"])
    assert boost["reblog"]["uri"] == second["uri"]
    assert boost["reblog"]["account"]["acct"] == world.alice2.handle
    favourited = [s["uri"] for s in carol.api.favourites()]
    assert second["uri"] in favourited
    assert carol.api.status(boost["reblog"]["id"])["favourited"]
    # Alice's own reply in her thread, as C holds it, answers the moved post too.
    thread = carol.api.status(world.on_c["thread"]["id"])
    assert thread["uri"] == world.imported["thread"]["uri"]
    assert thread["in_reply_to_id"] == parent["id"]
    # One post, one status on C: the new account's posts C may have read from B's outbox on
    # first sight were merged into the old ones, and none is left under the old account.
    old = carol.api.account_lookup(world.alice.handle)
    new = carol.api.account_lookup(world.alice2.handle)
    assert carol.api.account_statuses(old["id"]) == []
    held = sorted(s["uri"] for s in carol.api.account_statuses(new["id"]))
    assert held == sorted(s["uri"] for s in world.imported.values())
    assert {s["id"] for s in carol.api.account_statuses(new["id"])} == {
        world.on_c[name]["id"] for name in ("first", "second", "thread")
    }


def test_on_b_what_bob_held_of_alices_posts_joins_alice2s(world: World):
    """B is a followers' server too: its copies of alice's posts were A's, and alice2's
    imported posts are B's own; bob's reply and favourite now hang on alice2's posts."""
    bob, alice2 = world.bob, world.alice2
    first, second = world.imported["first"], world.imported["second"]
    assert eventually(lambda: bob.api.account_relationships(alice2.id)[0]["following"], PATIENCE), (
        bob.api.account_relationships(alice2.id)
    )

    def favourite_moved():
        return second["uri"] in [s["uri"] for s in bob.api.favourites()]

    assert eventually(favourite_moved, PATIENCE), bob.api.favourites()
    assert bob.api.status(second["id"])["favourited"]
    [parent] = bob.api.status_context(world.on_b["reply"]["id"])["ancestors"]
    assert (parent["id"], parent["account"]["id"]) == (first["id"], alice2.id)


def test_the_fedify_follower_follows_the_new_account(world: World):
    follower, alice2 = world.follower, world.alice2
    new_uri = world.b.url("/users/alice2")

    def followed_over():
        state = follower.state()
        new = state["following"].get(new_uri)
        return state if new and new["accepted"] else None

    state = eventually(followed_over, PATIENCE)
    assert state, (follower.state(), follower.logs())
    [move] = state["moves"]
    assert (move["object"], move["target"]) == (alice_uri(world.a), new_uri)
    assert move["outcome"] == "followed the target"
    assert state["following"][alice_uri(world.a)]["undone"]
    assert state["errors"] == []

    def followers(person: Person) -> set[str]:
        return {f["acct"] for f in person.api.account_followers(person.id)}

    assert eventually(lambda: follower.handle in followers(alice2), PATIENCE), followers(alice2)
    # A took the Undo: the Fedify actor no longer follows alice there.
    assert eventually(lambda: follower.handle not in followers(world.alice), PATIENCE)
