"""Emoji tags as servers in the wild publish them: a Pleroma actor (tests/fixtures) with three
custom emojis in its name and bio is stored, and the Account entity lists them, once each, in
the order they first appear, shown from their origin until the cache fetches them."""

from __future__ import annotations

import json
from pathlib import Path

from pnyx.core.remote_store import account_by_uri, store_account
from pnyx.federation import as2_to_internal as parse
from pnyx.federation.as2_to_received import incoming_account

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "activitypub"


def test_a_pleroma_actor_keeps_its_emojis(db, client):
    doc = json.loads((FIXTURES / "pleroma" / "person.json").read_text())
    actor = parse.parse_actor(doc)
    assert [e.shortcode for e in actor.emojis] == ["anarchy", "bzh", "gentoo"]
    db.run_sync(store_account, incoming_account(actor))
    row = db.run_sync(account_by_uri, actor.uri)
    shown = client.get(f"/api/v1/accounts/{row.id}").json()
    assert shown["display_name"].endswith(":bzh:")  # the text keeps its shortcodes
    base = "https://queer.hacktivis.me/emoji/custom/"
    assert shown["emojis"] == [
        {
            "shortcode": "bzh",
            "url": base + "mastodon.xyz/bzh.png",
            "static_url": base + "mastodon.xyz/bzh.png",
            "visible_in_picker": True,
            "category": None,
        },
        {
            "shortcode": "anarchy",
            "url": base + "symbols/anarchy.png",
            "static_url": base + "symbols/anarchy.png",
            "visible_in_picker": True,
            "category": None,
        },
        {
            "shortcode": "gentoo",
            "url": base + "gentoo.png",
            "static_url": base + "gentoo.png",
            "visible_in_picker": True,
            "category": None,
        },
    ]
    # Their server's emojis are not this server's.
    assert client.get("/api/v1/custom_emojis").json() == []
