"""Request plumbing shared by every endpoint: body size limit, NUL characters, CORS."""

from starlette.testclient import TestClient

from pnyx.app import create_app


def test_request_body_limit_follows_the_setting(settings, make_user):
    app = create_app(
        settings.with_overrides(max_request_bytes=200), run_workers=False, migrate=False
    )
    with TestClient(app, base_url="https://pnyx.test") as client:
        response = client.post(
            "/api/v1/apps",
            data={"client_name": "x" * 500, "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"},
        )
        assert response.status_code == 413
        assert response.json() == {"error": "Request body too large"}
        small = client.post(
            "/api/v1/apps", data={"client_name": "ok", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"}
        )
        assert small.status_code == 200


def test_nul_characters_are_dropped_not_stored(client, make_user):
    alice = make_user("alice")
    response = client.post("/api/v1/statuses", json={"status": "he\x00llo"}, headers=alice.headers)
    assert response.status_code == 200
    assert "hello" in response.json()["content"]


def test_cors_preflight_on_the_api_but_not_on_html_pages(client):
    headers = {"Origin": "https://elk.example", "Access-Control-Request-Method": "POST"}
    api = client.options("/api/v1/statuses", headers=headers)
    assert api.status_code == 200
    assert api.headers["access-control-allow-origin"] == "*"
    page = client.options("/oauth/authorize", headers=headers)
    assert "access-control-allow-origin" not in page.headers
