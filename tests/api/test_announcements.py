"""Announcements: staff write them in the web admin, people read, dismiss and react through
the Mastodon API (unicode emoji, and custom emoji only when they exist here)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import sqlalchemy as sa

from pnyx.core import announcements as core
from pnyx.db.ids import new_id
from pnyx.db.tables import announcements, custom_emojis, moderation_log
from web.test_admin import post, sign_in


def publish(client, text: str = "Maintenance tonight, 22:00 UTC #ops", **fields) -> str:
    answer = post(client, "/admin/announcements", text=text, publish="1", **fields)
    assert answer.status_code == 303, answer.text
    return client.app.state.db.run_sync(
        lambda tx: str(tx.scalar(sa.select(sa.func.max(announcements.c.id))))
    )


def test_staff_publish_and_people_read_dismiss_and_react(client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    make_user("mod", role="moderator")
    sign_in(client, "mod")
    assert client.get("/admin/announcements").status_code == 200
    first = publish(client)
    draft = post(client, "/admin/announcements", text="Not yet")
    assert draft.status_code == 303
    page = client.get("/admin/announcements")
    assert "Maintenance tonight" in page.text and "Not yet" in page.text
    assert "Edit announcement 1" in page.text and "Text of announcement 2" in page.text
    client.cookies.clear()

    listed = client.get("/api/v1/announcements", headers=alice.headers)
    assert listed.status_code == 200, listed.text
    [item] = listed.json()
    assert item["id"] == first and item["read"] is False and item["reactions"] == []
    assert item["content"].startswith("<p>Maintenance tonight")
    assert [t["name"] for t in item["tags"]] == ["ops"]
    assert set(item) >= {"starts_at", "ends_at", "all_day", "published_at", "updated_at"}

    path = f"/api/v1/announcements/{first}"
    assert client.post(f"{path}/dismiss", headers=alice.headers).json() == {}
    assert client.get("/api/v1/announcements", headers=alice.headers).json()[0]["read"] is True
    assert client.get("/api/v1/announcements", headers=bob.headers).json()[0]["read"] is False

    thumbs = quote("👍🏽")
    assert client.put(f"{path}/reactions/{thumbs}", headers=alice.headers).status_code == 200
    assert client.put(f"{path}/reactions/{thumbs}", headers=bob.headers).status_code == 200
    assert client.put(f"{path}/reactions/{quote('🏳️‍🌈')}", headers=bob.headers).status_code == 200
    seen = client.get("/api/v1/announcements", headers=alice.headers).json()[0]["reactions"]
    assert seen == [
        {"name": "👍🏽", "count": 2, "me": True},
        {"name": "🏳️‍🌈", "count": 1, "me": False},
    ]
    assert client.delete(f"{path}/reactions/{thumbs}", headers=alice.headers).status_code == 200
    seen = client.get("/api/v1/announcements", headers=alice.headers).json()[0]["reactions"]
    assert seen[0] == {"name": "👍🏽", "count": 1, "me": False}

    for bad in ("hello", ":nope:", "a👍"):
        refused = client.put(f"{path}/reactions/{quote(bad)}", headers=alice.headers)
        assert refused.status_code == 422, bad
        assert refused.json()["error"] == "Validation failed: " + core.UNRECOGNIZED

    actions = client.app.state.db.run_sync(
        lambda tx: tx.scalars(sa.select(moderation_log.c.action))
    )
    assert actions.count("announcement:create") == 2


def test_custom_emoji_reactions_and_the_limit(client, make_user):
    alice = make_user("alice")
    make_user("boss", role="admin")

    def add_emoji(tx):
        tx.execute(
            custom_emojis.insert().values(
                id=new_id(),
                shortcode="pnyx",
                domain=None,
                url="https://pnyx.test/e/pnyx.png",
                static_url="https://pnyx.test/e/pnyx_static.png",
                created_at=tx.now,
            )
        )

    client.app.state.db.run_sync(add_emoji)
    sign_in(client, "boss")
    first = publish(client, "Hello")
    client.cookies.clear()
    path = f"/api/v1/announcements/{first}/reactions"
    assert client.put(f"{path}/pnyx", headers=alice.headers).status_code == 200
    [reaction] = client.get("/api/v1/announcements", headers=alice.headers).json()[0]["reactions"]
    assert reaction == {
        "name": "pnyx",
        "count": 1,
        "me": True,
        "url": "https://pnyx.test/e/pnyx.png",
        "static_url": "https://pnyx.test/e/pnyx_static.png",
    }
    for emoji in "😀😃😄😁😆😅😂":  # eight different ones in all
        assert client.put(f"{path}/{quote(emoji)}", headers=alice.headers).status_code == 200
    over = client.put(f"{path}/{quote('🤣')}", headers=alice.headers)
    assert over.status_code == 422 and over.json()["error"].endswith(core.LIMIT_REACHED)


def test_hidden_drafts_ended_and_gone(client, make_user):
    alice = make_user("alice")
    make_user("boss", role="admin")
    sign_in(client, "boss")
    first = publish(client, "Ends soon")
    client.app.state.db.run_sync(
        lambda tx: tx.execute(announcements.update().values(ends_at=tx.now - timedelta(minutes=1)))
    )
    assert client.get("/api/v1/announcements", headers=alice.headers).json() == []
    path = f"/api/v1/announcements/{first}"
    assert client.post(f"{path}/dismiss", headers=alice.headers).status_code == 404
    client.app.state.db.run_sync(lambda tx: tx.execute(announcements.update().values(ends_at=None)))
    assert post(client, f"/admin/announcements/{first}/unpublish").status_code == 303
    assert client.get("/api/v1/announcements", headers=alice.headers).json() == []
    assert post(client, f"/admin/announcements/{first}/publish").status_code == 303
    assert len(client.get("/api/v1/announcements", headers=alice.headers).json()) == 1
    assert post(client, f"/admin/announcements/{first}/delete").status_code == 303
    assert client.get("/api/v1/announcements", headers=alice.headers).json() == []
    # Not for people who are not staff, nor without a token.
    client.cookies.clear()
    sign_in(client, "alice")
    assert client.get("/admin/announcements").status_code == 403
    assert client.get("/api/v1/announcements").status_code == 401
