"""POST /api/v1/apps and GET /api/v1/apps/verify_credentials."""

from __future__ import annotations

from pnyx.core import oauth as core_oauth

OOB = "urn:ietf:wg:oauth:2.0:oob"


def test_register_app_with_form(client):
    r = client.post(
        "/api/v1/apps",
        data={
            "client_name": "Form App",
            "redirect_uris": f"{OOB}\nhttps://app.example/cb",
            "scopes": "read write follow push",
            "website": "https://app.example",
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["name"] == "Form App"
    assert body["website"] == "https://app.example"
    assert body["scopes"] == ["read", "write", "follow", "push"]
    assert body["redirect_uris"] == [OOB, "https://app.example/cb"]
    assert body["redirect_uri"] == f"{OOB}\nhttps://app.example/cb"
    assert body["client_secret_expires_at"] == 0
    # The instance's Web Push key, as /api/v2/instance shows it (tests/api/test_push.py).
    vapid = client.get("/api/v2/instance").json()["configuration"]["vapid"]["public_key"]
    assert body["vapid_key"] == vapid != ""
    assert len(body["client_id"]) > 20 and len(body["client_secret"]) > 20
    assert isinstance(body["id"], str) and body["id"].isdigit()


def test_register_app_with_json_and_uri_array(client):
    r = client.post(
        "/api/v1/apps",
        json={
            "client_name": "JSON App",
            "redirect_uris": ["https://a.example/cb", "tusky://oauth"],
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["scopes"] == ["read"]  # Mastodon's default
    assert body["redirect_uris"] == ["https://a.example/cb", "tusky://oauth"]
    assert body["website"] is None


def test_register_app_space_separated_uris(client):
    r = client.post(
        "/api/v1/apps",
        json={"client_name": "x", "redirect_uris": "https://a.example/1 https://a.example/2"},
    )
    assert r.json()["redirect_uris"] == ["https://a.example/1", "https://a.example/2"]


def test_register_app_errors(client):
    r = client.post("/api/v1/apps", data={"redirect_uris": OOB})
    assert r.status_code == 422
    assert "Name" in r.json()["error"]
    r = client.post("/api/v1/apps", data={"client_name": "x"})
    assert r.status_code == 422
    assert "Redirect URI" in r.json()["error"]
    r = client.post("/api/v1/apps", data={"client_name": "x", "redirect_uris": "not a uri"})
    assert r.status_code == 422
    r = client.post(
        "/api/v1/apps", data={"client_name": "x", "redirect_uris": OOB, "scopes": "read fly"}
    )
    assert r.status_code == 422
    assert "fly" in r.json()["error"]
    r = client.post(
        "/api/v1/apps", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 400


def test_verify_app_credentials_with_app_and_user_tokens(client, make_user):
    app = client.post(
        "/api/v1/apps",
        data={"client_name": "Verifier", "redirect_uris": OOB, "scopes": "read write"},
    ).json()
    token = client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
        },
    ).json()["access_token"]
    r = client.get("/api/v1/apps/verify_credentials", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body == {
        "id": app["id"],
        "name": "Verifier",
        "website": None,
        "scopes": ["read", "write"],
        "redirect_uri": OOB,
        "redirect_uris": [OOB],
        "vapid_key": app["vapid_key"],
    }
    assert "client_secret" not in body

    alice = make_user("alice")
    r = client.get("/api/v1/apps/verify_credentials", headers=alice.headers)
    assert r.status_code == 200
    assert r.json()["name"] == "test app"

    assert client.get("/api/v1/apps/verify_credentials").status_code == 401
    r = client.get("/api/v1/apps/verify_credentials", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401


def test_split_redirect_uris_keeps_order_and_drops_repeats():
    assert core_oauth.split_redirect_uris("a://1\n a://2 a://1") == ["a://1", "a://2"]
    assert core_oauth.split_redirect_uris(["a://1", "a://2 a://3"]) == ["a://1", "a://2", "a://3"]
    assert core_oauth.split_redirect_uris(None) == []
