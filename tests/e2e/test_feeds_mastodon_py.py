"""The open feeds driven by Mastodon.py against a real `pnyx serve`, as an app would call
them: the catalog, a ranked feed read page after page through Mastodon.py's own Link
pagination (`fetch_next`), and a composed feed created by one person and read by another."""

from __future__ import annotations

import pytest
from mastodon import Mastodon, MastodonNotFoundError
from mastodon.return_types import PaginatableList, Status

import mastodon_apps
from server import PnyxServer


@pytest.fixture(scope="module")
def people(server: PnyxServer) -> dict[str, Mastodon]:
    return mastodon_apps.people(server, ("ana", "ben", "cy"), ratelimit_method="throw")


def _request(api: Mastodon, method: str, path: str, params: dict | None = None, **options):
    return api._Mastodon__api_request(method, path, params or {}, **options)


def _statuses(api: Mastodon, path: str, limit: int):
    """A page of statuses typed as Mastodon.py types its timelines, so `fetch_next` works."""
    return _request(api, "GET", path, {"limit": limit}, override_type=PaginatableList[Status])


def _all_pages(api: Mastodon, first) -> list[str]:
    seen = [str(s["id"]) for s in first]
    page = api.fetch_next(first)
    while page:
        seen += [str(s["id"]) for s in page]
        page = api.fetch_next(page)
    return seen


def test_a_ranked_feed_and_a_composed_feed_with_mastodon_py(people):
    ana, ben, cy = people["ana"], people["ben"], people["cy"]
    ana.account_follow(ben.account_verify_credentials()["id"])
    posts = [str(ben.status_post(f"#pnyxfeeds number {i}")["id"]) for i in range(7)]

    catalog = _request(cy, "GET", "/api/v1/pnyx/feeds")
    assert [e["id"] for e in catalog][:2] == ["following", "originals"]

    first = _statuses(ana, "/api/v1/pnyx/feeds/diverse/statuses", 3)
    assert len(first) == 3
    assert _all_pages(ana, first) == list(reversed(posts))

    feed = _request(
        cy,
        "POST",
        "/api/v1/pnyx/feeds",
        {"title": "Pnyx feeds", "sources": {"hashtags": ["pnyxfeeds"]}, "order": "newest"},
        use_json=True,
    )
    shared = _request(ana, "GET", f"/api/v1/pnyx/feeds/{feed['id']}")
    assert shared["title"] == "Pnyx feeds" and shared["owned"] is False
    followed = _request(ana, "POST", f"/api/v1/pnyx/feeds/{feed['id']}/follow")
    assert followed["following"] is True
    page = _statuses(ana, f"/api/v1/pnyx/feeds/{feed['id']}/statuses", 2)
    assert _all_pages(ana, page) == list(reversed(posts))
    with pytest.raises(MastodonNotFoundError):
        _request(ana, "DELETE", f"/api/v1/pnyx/feeds/{feed['id']}")
    _request(cy, "DELETE", f"/api/v1/pnyx/feeds/{feed['id']}")
    ana.account_unfollow(ben.account_verify_credentials()["id"])
