"""Lists, followed hashtags and featured tags driven by Mastodon.py against a real `pnyx
serve`, as an app uses them: create a list, add a followed account, read the list timeline,
follow a hashtag and find its posts in home, feature a hashtag and see it on the profile."""

from __future__ import annotations

import uuid

import pytest
from mastodon import Mastodon, MastodonAPIError, MastodonNotFoundError

from server import PnyxServer

PASSWORD = "correct horse battery staple"
SCOPES = ["read", "write", "follow", "push"]


def _login(server: PnyxServer, client_id: str, secret: str, name: str) -> Mastodon:
    api = Mastodon(
        client_id=client_id,
        client_secret=secret,
        api_base_url=server.base_url,
        version_check_mode="created",
        ratelimit_method="throw",
        request_timeout=60,
    )
    api.log_in(username=f"{name}@example.com", password=PASSWORD, scopes=SCOPES, allow_http=True)
    return api


@pytest.fixture(scope="module")
def people(server: PnyxServer) -> dict[str, Mastodon]:
    names = ("dora", "eli", "finn")
    for name in names:
        server.create_user(name, f"{name}@example.com", PASSWORD)
    client_id, secret = Mastodon.create_app(
        "Pnyx lists e2e",
        scopes=SCOPES,
        redirect_uris="urn:ietf:wg:oauth:2.0:oob",
        api_base_url=server.base_url,
    )
    return {name: _login(server, client_id, secret, name) for name in names}


def _id(api: Mastodon) -> str:
    return str(api.account_verify_credentials()["id"])


def test_lists_with_mastodon_py(people):
    dora, eli, finn = people["dora"], people["eli"], people["finn"]
    eli_id, finn_id = _id(eli), _id(finn)
    dora.account_follow(eli_id)
    made = dora.list_create("Friends", replies_policy="followed")
    assert made["title"] == "Friends" and made["replies_policy"] == "followed"
    assert made["exclusive"] is False
    dora.list_accounts_add(made["id"], [eli_id])
    with pytest.raises(MastodonAPIError):
        dora.list_accounts_add(made["id"], [finn_id])  # not followed
    assert [str(a["id"]) for a in dora.list_accounts(made["id"])] == [eli_id]
    assert [str(x["id"]) for x in dora.account_lists(eli_id)] == [str(made["id"])]

    word = f"w{uuid.uuid4().hex[:8]}"
    eli_post = eli.status_post(f"from eli {word}")
    private = eli.status_post(f"followers {word}", visibility="private")
    finn.status_post(f"from finn {word}")
    timeline = [str(s["id"]) for s in dora.timeline_list(made["id"])]
    assert timeline == [str(private["id"]), str(eli_post["id"])]
    # Someone else's list does not exist for them.
    with pytest.raises(MastodonNotFoundError):
        finn.timeline_list(made["id"])

    updated = dora.list_update(made["id"], "Close friends", exclusive=True)
    assert updated["title"] == "Close friends" and updated["exclusive"] is True
    home = [str(s["id"]) for s in dora.timeline_home(limit=40)]
    assert str(eli_post["id"]) not in home

    dora.account_unfollow(eli_id)
    assert list(dora.list_accounts(made["id"])) == []
    dora.list_delete(made["id"])
    assert [x for x in dora.lists() if str(x["id"]) == str(made["id"])] == []


def test_followed_and_featured_tags_with_mastodon_py(people):
    dora, finn = people["dora"], people["finn"]
    tag = f"t{uuid.uuid4().hex[:8]}"
    followed = dora.tag_follow(tag)
    assert followed["name"] == tag and followed["following"] is True
    assert tag in [t["name"] for t in dora.followed_tags()]
    post = finn.status_post(f"about #{tag}")
    assert str(post["id"]) in [str(s["id"]) for s in dora.timeline_home(limit=40)]
    seen = dora.tag(tag)
    assert seen["history"][0]["uses"] == "1"
    assert dora.tag_unfollow(tag)["following"] is False
    assert str(post["id"]) not in [str(s["id"]) for s in dora.timeline_home(limit=40)]

    finn_id = _id(finn)
    assert tag in [t["name"] for t in finn.featured_tag_suggestions()]
    featured = finn.featured_tag_create(tag)
    assert featured["name"] == tag
    shown = dora.account_featured_tags(finn_id)
    assert [t["name"] for t in shown] == [tag]
    assert [t["name"] for t in finn.featured_tags()] == [tag]
    finn.featured_tag_delete(featured["id"])
    assert list(dora.account_featured_tags(finn_id)) == []
