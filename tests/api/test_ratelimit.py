"""Rate limits: Mastodon's headers, 429 when over, stricter buckets for sign-ups and passwords."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from starlette.testclient import TestClient

from pnyx.app import create_app


@pytest.fixture
def limited(settings):
    """A client of an app with rate limits on (the shared fixture turns them off)."""
    clients = []

    def make(**overrides) -> TestClient:
        overrides.setdefault("rate_limits", True)
        application = create_app(
            settings.with_overrides(**overrides), run_workers=False, migrate=False
        )
        c = TestClient(application, base_url="https://pnyx.test")
        c.__enter__()
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.__exit__(None, None, None)


def test_headers_and_429(limited):
    client = limited(rate_limit_requests=3, rate_limit_window=300)
    remaining = []
    for _ in range(3):
        r = client.get("/api/v1/accounts/lookup", params={"acct": "nobody"})
        assert r.status_code == 404
        assert r.headers["x-ratelimit-limit"] == "3"
        remaining.append(r.headers["x-ratelimit-remaining"])
    assert remaining == ["2", "1", "0"]
    reset = datetime.strptime(r.headers["x-ratelimit-reset"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert reset.replace(tzinfo=UTC) > datetime.now(UTC)

    r = client.get("/api/v1/accounts/lookup", params={"acct": "nobody"})
    assert r.status_code == 429
    assert r.json() == {"error": "Too many requests"}
    assert r.headers["content-type"] == "application/json"
    assert r.headers["x-ratelimit-limit"] == "3"
    assert r.headers["x-ratelimit-remaining"] == "0"
    assert "x-ratelimit-reset" in r.headers
    # Any API path shares the bucket; the OAuth token endpoint too.
    assert client.post("/api/v1/apps", data={}).status_code == 429
    assert client.post("/oauth/token", data={}).status_code == 429


def test_each_token_has_its_own_bucket(limited, make_user):
    client = limited(rate_limit_requests=2)
    alice = make_user("alice")
    for _ in range(2):
        client.get("/api/v1/accounts/lookup", params={"acct": "alice"})
    assert client.get("/api/v1/accounts/lookup", params={"acct": "alice"}).status_code == 429
    r = client.get("/api/v1/accounts/verify_credentials", headers=alice.headers)
    assert r.status_code == 200
    assert r.headers["x-ratelimit-remaining"] == "1"
    client.get("/api/v1/accounts/verify_credentials", headers=alice.headers)
    r = client.get("/api/v1/accounts/verify_credentials", headers=alice.headers)
    assert r.status_code == 429


def test_web_pages_and_static_are_not_counted(limited):
    client = limited(rate_limit_requests=1)
    for _ in range(3):
        r = client.get("/static/avatar.png")
        assert r.status_code == 200
        assert "x-ratelimit-limit" not in r.headers


def test_off_when_disabled(limited):
    client = limited(rate_limits=False, rate_limit_requests=1)
    for _ in range(3):
        r = client.get("/api/v1/accounts/lookup", params={"acct": "x"})
        assert r.status_code == 404
        assert "x-ratelimit-limit" not in r.headers


def test_sign_ups_are_limited_to_5_per_30_minutes(limited):
    client = limited()
    for i in range(5):
        r = client.post("/api/v1/accounts", data={"username": f"u{i}"})
        assert r.status_code == 401  # no app token; still an attempt
    r = client.post("/api/v1/accounts", data={"username": "u6"})
    assert r.status_code == 429
    assert r.headers["x-ratelimit-limit"] == "5"
    assert r.json() == {"error": "Too many requests"}
    # The web sign-up form shares the same allowance.
    assert client.post("/auth/sign_up", data={"username": "u7"}).status_code == 429
    # Other API calls are still fine.
    assert client.get("/api/v1/accounts/lookup", params={"acct": "x"}).status_code == 404


@pytest.mark.parametrize("as_json", [False, True])
def test_password_attempts_are_limited(limited, as_json):
    client = limited()
    attempt = {"grant_type": "password", "client_id": "x", "client_secret": "y"}
    for _ in range(25):
        r = client.post("/oauth/token", **({"json": attempt} if as_json else {"data": attempt}))
        assert r.status_code == 401
    r = client.post("/oauth/token", **({"json": attempt} if as_json else {"data": attempt}))
    assert r.status_code == 429
    assert r.headers["x-ratelimit-limit"] == "25"
    # Other grants are not password attempts, and the body still reaches the handler intact.
    r = client.post("/oauth/token", data={**attempt, "grant_type": "client_credentials"})
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"
    # The HTML sign-in form and the web password change count as password attempts too.
    assert client.post("/auth/sign_in", data={"login": "a", "password": "b"}).status_code == 429
    assert client.post("/settings/password", data={"current_password": "b"}).status_code == 429


def test_made_up_tokens_do_not_buy_fresh_buckets(limited):
    """A random bearer token per request had a bucket of its own each time: now the 401s they
    earn count against the client's IP, which is refused once it spent the allowance."""
    client = limited(rate_limit_requests=3)
    for n in range(3):
        r = client.get(
            "/api/v1/accounts/verify_credentials", headers={"Authorization": f"Bearer made-up-{n}"}
        )
        assert r.status_code == 401
    r = client.get(
        "/api/v1/accounts/verify_credentials", headers={"Authorization": "Bearer made-up-x"}
    )
    assert r.status_code == 429
    assert r.json() == {"error": "Too many requests"}
    # The token endpoint counts by IP whatever bearer token comes along.
    client = limited(rate_limit_requests=2)
    for n in range(2):
        r = client.post("/oauth/token", data={}, headers={"Authorization": f"Bearer t{n}"})
        assert r.status_code != 429
    r = client.post("/oauth/token", data={}, headers={"Authorization": "Bearer t9"})
    assert r.status_code == 429
