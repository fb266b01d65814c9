"""Labels across three real servers (issue 12): a labeler on A labels a post that lives on B; a
subscriber on C, who follows the post's author, sees it as `filtered` (warn) through
Mastodon.py, no longer sees it once they set the label to hide, and sees it again after the
labeler takes it back; a label that expires stops applying by itself. Each label travels
signed (eddsa-jcs-2022), and C checks the proof against the key A's actor announces."""

from __future__ import annotations

import os
import uuid

import httpx

from server import PnyxServer

from .people import Person, eventually, find_in_home, login

PG_URL = os.environ.get("PNYX_TEST_DATABASE_URL", "")
DEFINITIONS = {
    "definitions": [
        {"value": "disputed", "severity": "warn", "default_setting": "warn"},
        {"value": "gore", "severity": "hide", "default_setting": "hide"},
    ]
}


def pnyx(person: Person, method: str, path: str, **kwargs) -> httpx.Response:
    """A call to the Pnyx API with the person's token (Mastodon.py knows no Pnyx routes)."""
    headers = {"Authorization": f"Bearer {person.api.access_token}"}
    return httpx.request(
        method, person.server.base_url + path, headers=headers, timeout=30, **kwargs
    )


def titles(status: dict) -> list[tuple[str, str]]:
    return [(f["filter"]["title"], f["filter"]["filter_action"]) for f in status["filtered"]]


def test_a_label_from_a_reaches_a_subscriber_on_c_about_a_post_on_b(tmp_path):
    servers = [
        PnyxServer(tmp_path / "a", backend="sqlite"),
        PnyxServer(tmp_path / "b", backend="postgres" if PG_URL else "sqlite"),
        PnyxServer(tmp_path / "c", backend="sqlite"),
    ]
    started = []
    try:
        for server in servers:
            started.append(server.start())
        a, b, c = servers
        checkers, bob, carol = login(a, "checkers"), login(b, "bob"), login(c, "carol")
        assert pnyx(checkers, "PUT", "/api/v1/pnyx/labeler", json=DEFINITIONS).status_code == 200

        # Carol (C) follows Bob (B) and gets his post.
        there = carol.api.account_lookup(bob.handle)
        carol.api.account_follow(there["id"])
        assert eventually(lambda: carol.api.account_relationships(there["id"])[0]["following"])
        word = f"claim{uuid.uuid4().hex[:8]}"
        bob.api.status_post(f"{word}: the moon is made of cheese")
        post = eventually(lambda: find_in_home(carol, word))
        assert post

        # Carol finds the labeler on A and subscribes: C asks A for its labels.
        found = carol.api.search_v2(f"@{checkers.handle}", resolve=True)["accounts"]
        labeler_id = found[0]["id"]
        answer = pnyx(carol, "POST", f"/api/v1/pnyx/labelers/{labeler_id}/subscribe")
        assert answer.status_code == 200, answer.text
        shown = pnyx(carol, "GET", f"/api/v1/pnyx/labelers/{labeler_id}").json()
        assert [d["value"] for d in shown["definitions"]] == ["disputed", "gore"]
        followed = eventually(lambda: checkers.api.account(checkers.id)["followers_count"] == 1)
        assert followed, a.logs()[-3000:] + "\n----- C -----\n" + c.logs()[-3000:]

        # The labeler on A labels the post on B.
        answer = pnyx(
            checkers,
            "POST",
            "/api/v1/pnyx/labels",
            json={"subject": post["uri"], "value": "disputed"},
        )
        assert answer.status_code == 200, answer.text
        warned = [(f"Label: disputed (by @{checkers.handle})", "warn")]
        assert eventually(lambda: titles(find_in_home(carol, word)) == warned), c.logs()[-3000:]
        # Anyone may read the labels C holds on the post.
        on = httpx.get(c.base_url + "/api/v1/pnyx/labels", params={"subject": post["uri"]}).json()
        assert [(x["value"], x["labeler"]["acct"]) for x in on] == [("disputed", checkers.handle)]

        # Set to hide: gone from Carol's home; back, plainly, once A takes the label back.
        answer = pnyx(
            carol,
            "POST",
            f"/api/v1/pnyx/labelers/{labeler_id}/settings",
            json={"value": "disputed", "setting": "hide"},
        )
        assert answer.status_code == 200, answer.text
        assert find_in_home(carol, word) is None
        pnyx(
            checkers,
            "POST",
            "/api/v1/pnyx/labels",
            json={"subject": post["uri"], "value": "disputed", "neg": True},
        )
        assert eventually(lambda: (find_in_home(carol, word) or {}).get("filtered") == [])

        # A label that expires (hidden by default) stops applying by itself.
        pnyx(
            checkers,
            "POST",
            "/api/v1/pnyx/labels",
            json={"subject": post["uri"], "value": "gore", "expires_in": 10},
        )
        assert eventually(lambda: find_in_home(carol, word) is None), c.logs()[-3000:]
        assert eventually(lambda: find_in_home(carol, word) is not None, attempts=400)
    finally:
        for server in started:
            server.stop()
