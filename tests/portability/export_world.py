"""A person with something of everything an export holds, made through the Mastodon API (the
paths people use), plus a remote account and a shared-list block made as rows."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.testclient import TestClient

import factories
from images import jpeg_with_gps, png
from pnyx.db.engine import Database


@dataclass
class World:
    alice: object
    bob: object
    carol_id: int
    statuses: dict[str, str] = field(default_factory=dict)  # name -> status id
    media_ids: list[str] = field(default_factory=list)


def _ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def _post(client: TestClient, user, **data) -> str:
    return _ok(client.post("/api/v1/statuses", json=data, headers=user.headers))["id"]


def make_world(client: TestClient, db: Database, make_user) -> World:
    alice, bob = make_user("alice"), make_user("bob")
    dave, erin = make_user("dave"), make_user("erin")
    carol_id = factories.remote_account(db, "carol", "remote.example")
    world = World(alice, bob, carol_id)
    _ok(
        client.patch(
            "/api/v1/accounts/update_credentials",
            files={
                "avatar": ("me.png", png(), "image/png"),
                "header": ("sea.jpg", jpeg_with_gps(600, 200), "image/jpeg"),
            },
            data={"display_name": "Alice A."},
            headers=alice.headers,
        )
    )
    s = world.statuses
    s["public"] = _post(client, alice, status="Hello world #first", visibility="public")
    s["unlisted"] = _post(client, alice, status="quietly", visibility="unlisted")
    s["private"] = _post(client, alice, status="followers only", visibility="private")
    s["direct"] = _post(client, alice, status="@bob just you", visibility="direct")
    s["reply"] = _post(client, alice, status="and another thing", in_reply_to_id=s["public"])
    for name, data in (("one.jpg", jpeg_with_gps(300, 200)), ("two.png", png(40, 30))):
        media = _ok(
            client.post(
                "/api/v1/media",
                files={"file": (name, data, "image/png" if name.endswith("png") else "image/jpeg")},
                data={"description": f"alt of {name}"},
                headers=alice.headers,
            )
        )
        world.media_ids.append(media["id"])
    s["media"] = _post(client, alice, status="two pictures", media_ids=world.media_ids)
    s["poll"] = _post(
        client,
        alice,
        status="tea or coffee?",
        poll={"options": ["tea", "coffee"], "expires_in": 3600},
    )
    s["bob"] = _post(client, bob, status="bob speaks")
    s["boost"] = _ok(client.post(f"/api/v1/statuses/{s['bob']}/reblog", headers=alice.headers))[
        "id"
    ]
    _ok(client.post(f"/api/v1/statuses/{s['bob']}/favourite", headers=alice.headers))
    _ok(client.post(f"/api/v1/statuses/{s['bob']}/bookmark", headers=alice.headers))
    _ok(client.post(f"/api/v1/statuses/{s['public']}/bookmark", headers=alice.headers))
    _ok(
        client.post(
            f"/api/v1/accounts/{bob.account_id}/follow",
            json={"reblogs": False, "notify": True, "languages": ["fr", "en"]},
            headers=alice.headers,
        )
    )
    factories.follow(db, alice.account_id, carol_id)
    _ok(client.post(f"/api/v1/accounts/{alice.account_id}/follow", headers=bob.headers))
    friends = _ok(
        client.post("/api/v1/lists", json={"title": "Friends, close"}, headers=alice.headers)
    )
    _ok(
        client.post(
            f"/api/v1/lists/{friends['id']}/accounts",
            json={"account_ids": [str(bob.account_id), str(carol_id)]},
            headers=alice.headers,
        )
    )
    _ok(client.post(f"/api/v1/accounts/{dave.account_id}/block", headers=alice.headers))
    _ok(
        client.post(
            f"/api/v1/accounts/{erin.account_id}/mute",
            json={"notifications": False},
            headers=alice.headers,
        )
    )
    _ok(
        client.post("/api/v1/domain_blocks", data={"domain": "spam.example"}, headers=alice.headers)
    )
    return world
