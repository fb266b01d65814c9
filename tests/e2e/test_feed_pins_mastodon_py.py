"""A pinned feed read by Mastodon.py against a real `pnyx serve`, exactly as an app reads a
list: it is in `lists()`, `timeline_list` pages through it with `fetch_next`, its members
cannot be changed (422, saying why), and unpinning removes it."""

from __future__ import annotations

import uuid

import httpx
import pytest
from mastodon import MastodonAPIError

from mastodon_apps import people as log_in_people


@pytest.fixture(scope="module")
def people(server):
    return log_in_people(server, ("gwen", "hugo"))


def _pnyx(server, api, path: str) -> httpx.Response:
    return httpx.post(
        f"{server.base_url}{path}",
        headers={"Authorization": f"Bearer {api.access_token}"},
        timeout=60,
    )


def test_a_pinned_feed_reads_as_a_list(server, people):
    gwen, hugo = people["gwen"], people["hugo"]
    hugo_id = hugo.account_verify_credentials()["id"]
    gwen.account_follow(hugo_id)
    word = uuid.uuid4().hex[:8]
    posted = [hugo.status_post(f"{word} {i}")["id"] for i in range(5)]

    pinned = _pnyx(server, gwen, "/api/v1/pnyx/feeds/diverse/pin")
    assert pinned.status_code == 200, pinned.text
    pin_id = pinned.json()["id"]
    found = [x for x in gwen.lists() if str(x["id"]) == str(pin_id)]
    assert len(found) == 1 and found[0]["title"] == "Diverse"
    assert gwen.list(pin_id)["replies_policy"] == "list"
    assert list(gwen.list_accounts(pin_id)) == []

    page = gwen.timeline_list(pin_id, limit=2)
    seen = [s["id"] for s in page]
    while True:
        page = gwen.fetch_next(page)
        if not page:
            break
        seen += [s["id"] for s in page]
    assert [str(i) for i in seen] == [str(i) for i in reversed(posted)]

    with pytest.raises(MastodonAPIError) as refused:
        gwen.list_accounts_add(pin_id, [hugo_id])
    assert "422" in str(refused.value) and "chosen by its algorithm" in str(refused.value)
    with pytest.raises(MastodonAPIError):
        gwen.list_accounts_delete(pin_id, [hugo_id])
    assert gwen.account_lists(hugo_id) == []

    assert _pnyx(server, gwen, "/api/v1/pnyx/feeds/diverse/unpin").status_code == 200
    assert [x for x in gwen.lists() if str(x["id"]) == str(pin_id)] == []
    gwen.account_unfollow(hugo_id)
