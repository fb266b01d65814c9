"""The instance entities, field types as Mastodon 4.3 has them (toot and Mastodon.py read them
into typed structures), plus rules, peers, emojis, preferences and the smaller endpoints."""

from __future__ import annotations

import io

from PIL import Image

import factories as f
from pnyx.db.ids import new_id
from pnyx.db.tables import custom_emojis, rules


def _types(data: dict, spec: dict) -> None:
    for key, kind in spec.items():
        assert key in data, key
        assert isinstance(data[key], kind), (key, data[key])


def test_v2_instance_shape(client, make_user):
    admin = make_user("boss", role="admin")
    response = client.get("/api/v2/instance/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    data = response.json()
    _types(
        data,
        {
            "domain": str,
            "title": str,
            "version": str,
            "source_url": str,
            "description": str,
            "usage": dict,
            "thumbnail": dict,
            "icon": list,
            "languages": list,
            "configuration": dict,
            "registrations": dict,
            "api_versions": dict,
            "contact": dict,
            "rules": list,
        },
    )
    assert data["domain"] == "pnyx.test"
    assert data["version"] == "4.5.0 (compatible; Pnyx 0.1.0)"
    assert data["api_versions"] == {"mastodon": 7}
    assert [i["size"] for i in data["icon"]] == ["16x16", "32x32", "48x48", "64x64"]
    for icon in data["icon"]:  # each is served, a PNG of the size it says
        served = client.get(icon["src"].removeprefix("https://pnyx.test"))
        assert served.status_code == 200 and served.headers["content-type"] == "image/png"
        width, height = (int(n) for n in icon["size"].split("x"))
        assert Image.open(io.BytesIO(served.content)).size == (width, height)
    assert client.get("/icons/20x20.png").status_code == 404
    assert client.get("/icons/16x32.png").status_code == 404
    assert isinstance(data["usage"]["users"]["active_month"], int)
    assert data["usage"]["users"]["active_month"] >= 1  # the admin's token was just made
    assert isinstance(data["thumbnail"]["url"], str)
    config = data["configuration"]
    assert config["urls"]["streaming"] == "wss://pnyx.test"
    assert config["limited_federation"] is False
    assert config["timelines_access"] == {
        feed: {"local": "public", "remote": "public"}
        for feed in ("live_feeds", "hashtag_feeds", "trending_link_feeds")
    }
    for feed in (
        "/api/v1/timelines/public",
        "/api/v1/timelines/public?local=true",
        "/api/v1/timelines/public?remote=true",
        "/api/v1/timelines/tag/cats",
    ):
        assert client.get(feed).status_code == 200, feed  # as timelines_access says: signed out
    assert isinstance(config["vapid"]["public_key"], str)
    assert config["accounts"] == {"max_featured_tags": 10, "max_pinned_statuses": 5}
    assert config["statuses"] == {
        "max_characters": 500,
        "max_media_attachments": 4,
        "characters_reserved_per_url": 23,
    }
    for key in ("image_size_limit", "image_matrix_limit", "video_size_limit", "description_limit"):
        assert isinstance(config["media_attachments"][key], int)
    assert "image/png" in config["media_attachments"]["supported_mime_types"]
    assert config["polls"] == {
        "max_options": 4,
        "max_characters_per_option": 50,
        "min_expiration": 300,
        "max_expiration": 2629746,
    }
    assert config["translation"] == {"enabled": False}
    assert data["registrations"] == {
        "enabled": True,
        "approval_required": False,
        "reason_required": False,
        "min_age": None,  # Mastodon 4.4: no minimum age set
        "message": None,
        "url": None,
    }
    assert isinstance(data["contact"]["email"], str)
    assert data["contact"]["account"]["id"] == str(admin.account_id)


def test_v1_instance_shape(client, db, make_user):
    make_user("alice")
    make_user("bob")
    f.status(db, make_user("carol").account_id, "hi")
    f.remote_account(db, "dave", "one.example")
    f.remote_account(db, "erin", "One.Example")
    f.remote_account(db, "finn", "two.example")
    data = client.get("/api/v1/instance").json()
    _types(
        data,
        {
            "uri": str,
            "title": str,
            "short_description": str,
            "description": str,
            "email": str,
            "version": str,
            "urls": dict,
            "stats": dict,
            "thumbnail": str,
            "languages": list,
            "registrations": bool,
            "approval_required": bool,
            "invites_enabled": bool,
            "configuration": dict,
            "rules": list,
        },
    )
    assert data["uri"] == "pnyx.test"
    assert data["urls"] == {"streaming_api": "wss://pnyx.test"}
    assert data["stats"] == {"user_count": 3, "status_count": 1, "domain_count": 2}
    assert data["contact_account"] is None  # no admin yet
    assert data["configuration"]["statuses"]["max_characters"] == 500
    assert set(data["configuration"]) == {"accounts", "statuses", "media_attachments", "polls"}
    assert client.get("/api/v1/instance/peers").json() == ["one.example", "two.example"]


def test_rules_emojis_and_small_endpoints(client, db, make_user):
    def seed(tx):
        tx.execute(
            rules.insert().values(
                id=new_id(), text="Be kind", hint="", position=1, created_at=tx.now
            )
        )
        tx.execute(
            rules.insert().values(
                id=new_id(), text="No spam", hint="h", position=0, created_at=tx.now
            )
        )
        tx.execute(
            custom_emojis.insert().values(
                id=new_id(),
                shortcode="blobcat",
                url="https://pnyx.test/e/blobcat.png",
                static_url="https://pnyx.test/e/blobcat_s.png",
                created_at=tx.now,
            )
        )

    db.run_sync(seed)
    listed = client.get("/api/v1/instance/rules").json()
    assert [r["text"] for r in listed] == ["No spam", "Be kind"]
    assert all(isinstance(r["id"], str) and "hint" in r for r in listed)
    assert [r["text"] for r in client.get("/api/v2/instance").json()["rules"]] == [
        "No spam",
        "Be kind",
    ]

    emojis = client.get("/api/v1/custom_emojis").json()
    assert emojis == [
        {
            "shortcode": "blobcat",
            "url": "https://pnyx.test/e/blobcat.png",
            "static_url": "https://pnyx.test/e/blobcat_s.png",
            "visible_in_picker": True,
            "category": None,
        }
    ]
    activity = client.get("/api/v1/instance/activity").json()
    assert len(activity) == 12 and all(isinstance(w["statuses"], str) for w in activity)
    described = client.get("/api/v1/instance/extended_description").json()
    assert set(described) == {"updated_at", "content"}

    me = make_user("me")
    prefs = client.get("/api/v1/preferences", headers=me.headers).json()
    assert prefs == {
        "posting:default:visibility": "public",
        "posting:default:sensitive": False,
        "posting:default:language": None,
        "posting:default:quote_policy": "public",
        "reading:expand:media": "default",
        "reading:expand:spoilers": False,
    }
    assert client.get("/api/v1/preferences").status_code == 401
    narrow = make_user("narrow", scopes="read:statuses")
    assert client.get("/api/v1/preferences", headers=narrow.headers).status_code == 403
