"""Custom emojis in the browser: the admin page adds (or refuses), disables and deletes them,
and posts, names and bios show `:shortcode:` as the image, escaped, only in text."""

from __future__ import annotations

import re

from images import jpeg_with_gps, png
from pnyx.core import custom_emojis, profiles

from .test_admin import post, sign_in


def test_the_admin_page_adds_refuses_disables_and_deletes(client, make_user):
    make_user("mod", role="moderator")
    sign_in(client, "mod")
    assert client.get("/admin/custom_emojis").status_code == 403  # admins only
    make_user("boss", role="admin")
    sign_in(client, "boss")
    page = client.get("/admin/custom_emojis")
    assert page.status_code == 200 and "No custom emojis yet." in page.text
    csrf = client.cookies["pnyx_csrf"]

    def add(shortcode: str, data: bytes, name: str = "e.png", **fields):
        return client.post(
            "/admin/custom_emojis",
            data={"csrf_token": csrf, "shortcode": shortcode, **fields},
            files={"image": (name, data, "image/png")},
            follow_redirects=False,
        )

    added = add("blobcat", png(32, 32), category="Cats", visible_in_picker="1")
    assert added.status_code == 303, added.text
    listed = client.get("/api/v1/custom_emojis").json()
    assert [(e["shortcode"], e["category"], e["visible_in_picker"]) for e in listed] == [
        ("blobcat", "Cats", True)
    ]
    taken = add("blobcat", png(16, 16))
    assert taken.status_code == 422 and "Shortcode has already been taken" in taken.text
    bad = add("no way", png(16, 16))
    assert bad.status_code == 422 and "Shortcode must be" in bad.text
    wrong = add("photo", jpeg_with_gps(64, 64), name="p.jpg")
    assert wrong.status_code == 422 and "content type is invalid" in wrong.text
    none = client.post(
        "/admin/custom_emojis",
        data={"csrf_token": csrf, "shortcode": "empty"},
        follow_redirects=False,
    )
    assert none.status_code == 422 and "Choose an image" in none.text
    forged = client.post(
        "/admin/custom_emojis",
        data={"shortcode": "forged"},
        files={"image": ("e.png", png(16, 16), "image/png")},
    )
    assert forged.status_code == 403
    assert len(client.get("/api/v1/custom_emojis").json()) == 1

    assert post(client, "/admin/custom_emojis/blobcat/disable").status_code == 303
    assert client.get("/api/v1/custom_emojis").json() == []
    assert "Enable :blobcat:" in client.get("/admin/custom_emojis").text
    assert post(client, "/admin/custom_emojis/blobcat/enable").status_code == 303
    assert post(client, "/admin/custom_emojis/blobcat/delete").status_code == 303
    assert client.get("/api/v1/custom_emojis").json() == []
    assert post(client, "/admin/custom_emojis/blobcat/delete").status_code == 303  # gone
    for odd in ("%00", "x" * 300, "%C3%A9", "%3A%3A"):  # nothing there: the page as it is
        assert post(client, f"/admin/custom_emojis/{odd}/disable").status_code == 303
    assert post(client, "/admin/custom_emojis/blobcat/explode").status_code == 404


def test_posts_and_names_show_the_image_escaped(client, app, make_user):
    db = app.state.db
    row = custom_emojis.upload(db, "blobcat", png(32, 32))
    alice = make_user("alice")
    db.run_sync(
        profiles.update_profile,
        alice.account_id,
        profiles.ProfileUpdate(display_name="<b>Al</b> :blobcat:", note="bio :blobcat:"),
    )
    status = client.post(
        "/api/v1/statuses",
        json={"status": "look :blobcat: at https://example.com/:blobcat:/x and :other:"},
        headers=alice.headers,
    ).json()
    page = client.get(f"/@alice/{status['id']}").text
    image = f'<img class="emoji" src="{row.url}" alt=":blobcat:" title=":blobcat:"'
    assert page.count(image) >= 3  # the name, the text; not the link
    assert "&lt;b&gt;Al&lt;/b&gt; " + image in page  # the name is escaped, then the image
    assert "<b>Al</b>" not in page
    assert ":other:" in page  # an emoji nobody added stays text
    # Inside the link's address the shortcode is left alone.
    links = re.findall(r'href="([^"]*example\.com[^"]*)"', page)
    assert links and all(":blobcat:" in link for link in links)
    profile = client.get("/@alice").text
    assert '<h1 id="profile-name">&lt;b&gt;Al&lt;/b&gt; ' + image in profile
    assert "bio " + image in profile


def test_boosts_and_notifications_show_the_name_with_its_emoji(client, app, make_user):
    db = app.state.db
    row = custom_emojis.upload(db, "blobcat", png(32, 32))
    alice, bob = make_user("alice"), make_user("bob")
    db.run_sync(
        profiles.update_profile,
        bob.account_id,
        profiles.ProfileUpdate(display_name="Bob & :blobcat:"),
    )
    status = client.post(
        "/api/v1/statuses", json={"status": "boost me"}, headers=alice.headers
    ).json()
    client.post(f"/api/v1/statuses/{status['id']}/reblog", headers=bob.headers)
    image = f'<img class="emoji" src="{row.url}" alt=":blobcat:" title=":blobcat:"'
    assert "Bob &amp; " + image in client.get("/@bob").text  # the boost, on Bob's profile
    sign_in(client, "alice")
    notifications = client.get("/notifications").text
    assert "Bob &amp; " + image in notifications
