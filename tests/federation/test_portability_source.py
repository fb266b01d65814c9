"""The source end of a LOLA move: the person grants another server the portability scope on
the consent page, and that grant (and only it) opens their whole account's collections."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.api.test_oauth import CALLBACK, decide, exchange, new_app, sign_in_through

AP = {"Accept": "application/activity+json"}
PORTABILITY = "activitypub_account_portability"


def grant(client, username: str) -> str:
    """The OAuth dance a destination server makes, as the person's browser sees it."""
    app = new_app(client, scopes=PORTABILITY)
    consent = sign_in_through(
        client,
        {
            "client_id": app["client_id"],
            "redirect_uri": CALLBACK,
            "response_type": "code",
            "scope": PORTABILITY,
            "state": "s1",
        },
        username,
    )
    assert "copy your whole account" in consent.text
    answer = decide(client, consent.text)
    assert answer.status_code == 303
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query["activitypub_actor"] == [f"https://pnyx.test/users/{username}"]
    token = exchange(client, app, query["code"][0])
    assert token.status_code == 200, token.text
    assert token.json()["scope"] == PORTABILITY
    return token.json()["access_token"]


def pages(client, url: str, token: str) -> list:
    """Every item of a paged collection, following `next`."""
    root = client.get(url, headers={**AP, "Authorization": f"Bearer {token}"})
    assert root.status_code == 200, root.text
    items, link = [], root.json()["first"]
    while link:
        page = client.get(link, headers={**AP, "Authorization": f"Bearer {token}"})
        assert page.status_code == 200, page.text
        items += page.json()["orderedItems"]
        link = page.json().get("next")
    assert len(items) == root.json()["totalItems"]
    return items


def test_the_grant_opens_every_post_like_and_block(client, make_user):
    alice = make_user("alice")
    bob = make_user("bob")
    make_user("carol")
    uris = set()
    for n, visibility in enumerate(["public", "unlisted", "private", "direct"] * 12):
        r = client.post(
            "/api/v1/statuses",
            headers=alice.headers,
            json={"status": f"post {n} @bob", "visibility": visibility},
        )
        assert r.status_code == 200, r.text
        uris.add(r.json()["uri"])
    liked = client.post("/api/v1/statuses", headers=bob.headers, json={"status": "bob's"}).json()
    assert client.post(
        f"/api/v1/statuses/{liked['id']}/favourite", headers=alice.headers
    ).is_success
    carol_id = client.get("/api/v1/accounts/lookup?acct=carol").json()["id"]
    assert client.post(f"/api/v1/accounts/{carol_id}/block", headers=alice.headers).is_success
    token = grant(client, "alice")

    content = pages(client, "https://pnyx.test/users/alice/content", token)
    assert len(content) == 48  # more than a page; every visibility
    assert {item["id"] for item in content} == uris
    assert all(item["type"] == "Note" for item in content)
    assert all(
        item["proof"]["verificationMethod"].endswith("/alice#ed25519-key") for item in content
    )
    assert pages(client, "https://pnyx.test/users/alice/liked", token) == [liked["uri"]]
    assert pages(client, "https://pnyx.test/users/alice/blocked", token) == [
        "https://pnyx.test/users/carol"
    ]


def test_without_the_grant_the_collections_are_closed(client, make_user):
    alice = make_user("alice")
    bob = make_user("bob")
    token = grant(client, "alice")
    for name in ("content", "liked", "blocked"):
        url = f"https://pnyx.test/users/alice/{name}"
        assert client.get(url, headers=AP).status_code == 401
        # A full-scope token of alice's is not a portability grant.
        full = client.get(url, headers={**AP, "Authorization": f"Bearer {alice.token}"})
        assert full.status_code == 401
        # Alice's grant does not open bob's account.
        other = f"https://pnyx.test/users/bob/{name}"
        assert (
            client.get(other, headers={**AP, "Authorization": f"Bearer {token}"}).status_code == 401
        )
    assert bob.token


def test_the_grant_opens_no_mastodon_api_call(client, make_user):
    make_user("alice")
    token = grant(client, "alice")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/accounts/verify_credentials", headers=headers).status_code == 403
    assert client.get("/api/v1/timelines/home", headers=headers).status_code == 403


def test_the_metadata_names_the_portability_endpoint(client):
    meta = client.get("/.well-known/oauth-authorization-server").json()
    assert meta["activitypub_account_portability"] == "https://pnyx.test/oauth/authorize"
    assert PORTABILITY in meta["scopes_supported"]


def test_the_actor_names_where_to_ask_and_what_to_pull(client, make_user):
    make_user("alice")
    actor = client.get("https://pnyx.test/users/alice", headers=AP).json()
    assert actor["accountPortabilityOauth"] == "https://pnyx.test/oauth/authorize"
    for name in ("content", "liked", "blocked"):
        assert actor[name] == f"https://pnyx.test/users/alice/{name}"
    assert actor["migration"] == "https://pnyx.test/users/alice/content"


def test_the_grant_opens_a_hidden_following_list(client, make_user):
    alice = make_user("alice")
    make_user("bob")
    bob_id = client.get("/api/v1/accounts/lookup?acct=bob").json()["id"]
    assert client.post(f"/api/v1/accounts/{bob_id}/follow", headers=alice.headers).is_success
    hide = client.patch(
        "/api/v1/accounts/update_credentials",
        headers=alice.headers,
        data={"hide_collections": "true"},
    )
    assert hide.status_code == 200, hide.text
    url = "https://pnyx.test/users/alice/following?page=1"
    assert client.get(url, headers=AP).status_code == 403
    token = grant(client, "alice")
    shown = client.get(url, headers={**AP, "Authorization": f"Bearer {token}"})
    assert shown.status_code == 200
    assert shown.json()["orderedItems"] == ["https://pnyx.test/users/bob"]
    assert shown.headers["cache-control"].startswith("max-age=0, private")
    # The grant opens the following list only, not who follows her.
    followers = "https://pnyx.test/users/alice/followers?page=1"
    assert (
        client.get(followers, headers={**AP, "Authorization": f"Bearer {token}"}).status_code == 403
    )
