"""OAuth 2 as Mastodon does it: the authorization-code flow through the HTML sign-in and consent
pages (with PKCE), the password and client_credentials grants, revocation and the metadata."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from pnyx.core import accounts as core_accounts
from pnyx.db.tables import oauth_codes

OOB = "urn:ietf:wg:oauth:2.0:oob"
CALLBACK = "https://app.example/callback"
PASSWORD = "correct horse battery"


class _Forms(HTMLParser):
    """Just enough of a browser: the forms of a page, their hidden fields and buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, dict] = {}
        self.ids: dict[str, dict] = {}
        self._current: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids[a["id"]] = a
        if tag == "form":
            self._current = {"action": a.get("action"), "fields": {}, "buttons": {}}
            self.forms[a.get("id") or a.get("action")] = self._current
        elif tag == "input" and self._current is not None and a.get("name"):
            self._current["fields"][a["name"]] = a.get("value") or ""
        elif tag == "button" and self._current is not None and a.get("name"):
            self._current["buttons"][a.get("id")] = (a["name"], a.get("value"))

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def parse(html: str) -> _Forms:
    page = _Forms()
    page.feed(html)
    return page


def new_app(client, redirect_uris=(OOB, CALLBACK), scopes="read write follow push") -> dict:
    r = client.post(
        "/api/v1/apps",
        data={
            "client_name": "Test Client",
            "redirect_uris": "\n".join(redirect_uris),
            "scopes": scopes,
        },
    )
    assert r.status_code == 200, r.text
    return r.json()


def sign_in_through(client, authorize_params: dict, login: str, password: str = PASSWORD):
    """GET /oauth/authorize, fill in the sign-in form, and land on the consent page."""
    r = client.get("/oauth/authorize", params=authorize_params)
    assert r.status_code == 200, r.text
    form = parse(r.text).forms["sign-in-form"]
    data = dict(form["fields"], login=login, password=password)
    r = client.post(form["action"], data=data, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["location"].startswith("/oauth/authorize?")
    consent = client.get(r.headers["location"])
    assert consent.status_code == 200
    assert 'id="consent-form"' in consent.text
    return consent


def decide(client, consent_page: str, button: str = "authorize"):
    form = parse(consent_page).forms["consent-form"]
    name, value = form["buttons"][button]
    return client.post(form["action"], data={**form["fields"], name: value}, follow_redirects=False)


def exchange(client, app: dict, code: str, redirect_uri: str = CALLBACK, **extra):
    return client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "code": code,
            "redirect_uri": redirect_uri,
            **extra,
        },
    )


def code_from(response) -> tuple[str, dict]:
    assert response.status_code == 303, response.text
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    query = parse_qs(location.query)
    return query["code"][0], query


def s256(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


def test_metadata(client):
    r = client.get("/.well-known/oauth-authorization-server")
    assert r.status_code == 200
    meta = r.json()
    assert meta["issuer"] == "https://pnyx.test/"
    assert meta["authorization_endpoint"] == "https://pnyx.test/oauth/authorize"
    assert meta["token_endpoint"] == "https://pnyx.test/oauth/token"
    assert meta["revocation_endpoint"] == "https://pnyx.test/oauth/revoke"
    assert meta["app_registration_endpoint"] == "https://pnyx.test/api/v1/apps"
    assert meta["response_types_supported"] == ["code"]
    assert meta["grant_types_supported"] == ["authorization_code", "password", "client_credentials"]
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert {"read", "write", "follow", "push", "profile", "read:statuses"} <= set(
        meta["scopes_supported"]
    )
    assert meta["service_documentation"].startswith("https://")
    assert "query" in meta["response_modes_supported"]


def test_full_authorization_code_flow(client, make_user):
    make_user("alice")
    app = new_app(client)
    consent = sign_in_through(
        client,
        {
            "client_id": app["client_id"],
            "redirect_uri": CALLBACK,
            "response_type": "code",
            "scope": "read write",
            "state": "xyz 123",
        },
        "alice",
    )
    assert "Test Client" in consent.text
    assert "@alice" in consent.text
    assert "<code>read</code>" in consent.text and "<code>write</code>" in consent.text
    code, query = code_from(decide(client, consent.text))
    assert query["state"] == ["xyz 123"]

    r = exchange(client, app, code)
    assert r.status_code == 200, r.text
    token = r.json()
    assert token["token_type"] == "Bearer"
    assert token["scope"] == "read write"
    assert isinstance(token["created_at"], int)
    me = client.get(
        "/api/v1/accounts/verify_credentials",
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    assert me.status_code == 200
    assert me.json()["username"] == "alice"

    # A code works once.
    again = exchange(client, app, code)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert again.json()["error_description"]


def test_second_authorization_skips_sign_in(client, make_user):
    make_user("alice")
    app = new_app(client)
    params = {"client_id": app["client_id"], "redirect_uri": CALLBACK, "response_type": "code"}
    sign_in_through(client, params, "alice@example.com")  # email works as login too
    r = client.get("/oauth/authorize/", params=params)  # trailing slash, as toot sends it
    assert r.status_code == 200
    assert 'id="consent-form"' in r.text
    # Forced login shows the sign-in form even with a session.
    r = client.get("/oauth/authorize", params={**params, "force_login": "true"})
    assert 'id="sign-in-form"' in r.text


def test_out_of_band_code_is_shown_on_a_page(client, make_user):
    make_user("alice")
    app = new_app(client)
    consent = sign_in_through(
        client,
        {
            "client_id": app["client_id"],
            "redirect_uri": OOB,
            "response_type": "code",
            "scope": "read write follow push",
            # What Mastodon.py sends when these are unset.
            "state": "None",
            "lang": "None",
            "force_login": "False",
        },
        "alice",
    )
    r = decide(client, consent.text)
    assert r.status_code == 200
    code = parse(r.text).ids["authorization-code"]["value"]
    assert code
    token = exchange(client, app, code, OOB)
    assert token.status_code == 200, token.text
    assert token.json()["scope"] == "read write follow push"


def test_pkce_s256(client, make_user):
    make_user("alice")
    app = new_app(client)
    verifier = "v" * 20 + "-the-verifier-of-this-test-" + "x" * 20
    params = {
        "client_id": app["client_id"],
        "redirect_uri": CALLBACK,
        "response_type": "code",
        "code_challenge": s256(verifier),
        "code_challenge_method": "S256",
    }
    consent = sign_in_through(client, params, "alice")
    code, _ = code_from(decide(client, consent.text))
    wrong = exchange(client, app, code, code_verifier="w" * 50)
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    missing = exchange(client, app, code)
    assert missing.status_code == 400
    ok = exchange(client, app, code, code_verifier=verifier)
    assert ok.status_code == 200, ok.text
    assert ok.json()["scope"] == "read"

    # Wrong verifiers did not use the code up; the successful exchange did.
    assert exchange(client, app, code, code_verifier=verifier).status_code == 400


def test_pkce_plain_and_bad_method(client, make_user):
    make_user("alice")
    app = new_app(client)
    verifier = "p" * 64
    params = {
        "client_id": app["client_id"],
        "redirect_uri": CALLBACK,
        "response_type": "code",
        "code_challenge": verifier,
        "code_challenge_method": "plain",
    }
    # Only S256 is advertised (issue 9): plain, like an unknown method, is refused.
    for method in ("plain", "S512"):
        r = client.get(
            "/oauth/authorize",
            params={**params, "code_challenge_method": method},
            follow_redirects=False,
        )
        assert r.status_code == 303
        assert parse_qs(urlsplit(r.headers["location"]).query)["error"] == ["invalid_request"]


def test_wrong_redirect_uri_is_refused_without_redirecting(client, make_user):
    make_user("alice")
    app = new_app(client)
    for uri in ("https://evil.example/steal", CALLBACK + "/more", CALLBACK + "?x=1"):
        r = client.get(
            "/oauth/authorize",
            params={"client_id": app["client_id"], "redirect_uri": uri, "response_type": "code"},
            follow_redirects=False,
        )
        assert r.status_code == 400
        assert "location" not in r.headers
        assert "redirect uri" in r.text.lower()
    r = client.get(
        "/oauth/authorize",
        params={"client_id": "nope", "redirect_uri": CALLBACK, "response_type": "code"},
        follow_redirects=False,
    )
    assert r.status_code == 401
    assert "location" not in r.headers


def test_token_redirect_uri_must_match_the_codes(client, make_user):
    make_user("alice")
    app = new_app(client)
    consent = sign_in_through(
        client,
        {"client_id": app["client_id"], "redirect_uri": CALLBACK, "response_type": "code"},
        "alice",
    )
    code, _ = code_from(decide(client, consent.text))
    assert exchange(client, app, code, OOB).json()["error"] == "invalid_grant"
    # Another app cannot use the code either.
    other = new_app(client)
    assert exchange(client, other, code).json()["error"] == "invalid_grant"
    # Neither can someone without the secret.
    r = exchange(client, dict(app, client_secret="wrong"), code)
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"
    assert exchange(client, app, code).status_code == 200


def test_expired_code_is_refused(client, make_user, app):
    make_user("alice")
    oauth_app = new_app(client)
    consent = sign_in_through(
        client,
        {"client_id": oauth_app["client_id"], "redirect_uri": CALLBACK, "response_type": "code"},
        "alice",
    )
    code, _ = code_from(decide(client, consent.text))

    def age(tx):
        tx.execute(oauth_codes.update().values(expires_at=tx.now - timedelta(seconds=1)))

    app.state.db.run_sync(age)
    assert exchange(client, oauth_app, code).json()["error"] == "invalid_grant"


def test_deny_redirects_with_access_denied(client, make_user):
    make_user("alice")
    app = new_app(client)
    consent = sign_in_through(
        client,
        {
            "client_id": app["client_id"],
            "redirect_uri": CALLBACK,
            "response_type": "code",
            "state": "s1",
        },
        "alice",
    )
    r = decide(client, consent.text, "deny")
    assert r.status_code == 303
    query = parse_qs(urlsplit(r.headers["location"]).query)
    assert query["error"] == ["access_denied"]
    assert query["state"] == ["s1"]
    assert "code" not in query


def test_scope_beyond_the_apps_is_refused(client, make_user):
    app = new_app(client, scopes="read")
    r = client.get(
        "/oauth/authorize",
        params={
            "client_id": app["client_id"],
            "redirect_uri": CALLBACK,
            "response_type": "code",
            "scope": "read write",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert parse_qs(urlsplit(r.headers["location"]).query)["error"] == ["invalid_scope"]
    r = client.get(
        "/oauth/authorize",
        params={"client_id": app["client_id"], "redirect_uri": CALLBACK, "response_type": "token"},
        follow_redirects=False,
    )
    assert parse_qs(urlsplit(r.headers["location"]).query)["error"] == ["unsupported_response_type"]


def test_sign_in_errors_keep_the_oauth_request(client, make_user, app):
    make_user("alice")
    oauth_app = new_app(client)
    params = {
        "client_id": oauth_app["client_id"],
        "redirect_uri": CALLBACK,
        "response_type": "code",
        "scope": "read",
        "state": "keep-me",
    }
    page = client.get("/oauth/authorize", params=params)
    form = parse(page.text).forms["sign-in-form"]
    r = client.post(
        form["action"], data=dict(form["fields"], login="alice", password="wrong password")
    )
    assert r.status_code == 401
    assert "Invalid email/username or password" in r.text
    again = parse(r.text).forms["sign-in-form"]["fields"]
    assert again["state"] == "keep-me"
    assert again["client_id"] == oauth_app["client_id"]
    assert again["login"] == "alice"


def test_suspended_and_pending_users_cannot_sign_in(client, make_user, app):
    bob = make_user("bob")

    def setup(tx):
        core_accounts.suspend(tx, bob.account_id, "spam")
        core_accounts.create_local(tx, "carol", "carol@example.com", PASSWORD, approved=False)

    app.state.db.run_sync(setup)
    oauth_app = new_app(client)
    params = {
        "client_id": oauth_app["client_id"],
        "redirect_uri": CALLBACK,
        "response_type": "code",
    }
    form = parse(client.get("/oauth/authorize", params=params).text).forms["sign-in-form"]
    r = client.post(form["action"], data=dict(form["fields"], login="bob", password=PASSWORD))
    assert r.status_code == 403
    assert "suspended" in r.text
    r = client.post(form["action"], data=dict(form["fields"], login="carol", password=PASSWORD))
    assert r.status_code == 403
    assert "waiting for approval" in r.text
    assert "pnyx_session" not in client.cookies


def test_session_cookie_flags_and_csrf(client, make_user):
    make_user("alice")
    oauth_app = new_app(client)
    params = {
        "client_id": oauth_app["client_id"],
        "redirect_uri": CALLBACK,
        "response_type": "code",
    }
    form = parse(client.get("/oauth/authorize", params=params).text).forms["sign-in-form"]
    data = dict(form["fields"], login="alice", password=PASSWORD)

    no_token = dict(data, csrf_token="forged")
    r = client.post(form["action"], data=no_token, follow_redirects=False)
    assert r.status_code == 403
    r = client.post(
        form["action"],
        data=data,
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert r.status_code == 403

    r = client.post(form["action"], data=data, follow_redirects=False)
    assert r.status_code == 303
    cookie = next(
        v for k, v in r.headers.multi_items() if k == "set-cookie" and "pnyx_session=" in v
    )
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=lax" in lowered and "secure" in lowered

    # The consent form needs the CSRF token too.
    consent = client.get(r.headers["location"])
    consent_form = parse(consent.text).forms["consent-form"]
    r = client.post(
        consent_form["action"],
        data=dict(consent_form["fields"], csrf_token="forged", decision="approve"),
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert "location" not in r.headers


def test_sign_out_ends_the_session(client, make_user):
    make_user("alice")
    oauth_app = new_app(client)
    params = {
        "client_id": oauth_app["client_id"],
        "redirect_uri": CALLBACK,
        "response_type": "code",
    }
    consent = sign_in_through(client, params, "alice")
    form = parse(consent.text).forms["/auth/sign_out"]
    r = client.post(form["action"], data=form["fields"], follow_redirects=False)
    assert r.status_code == 303
    page = client.get(r.headers["location"])
    assert 'id="sign-in-form"' in page.text


def _password_grant(client, app, username, password=PASSWORD, **extra):
    return client.post(
        "/oauth/token",
        data={
            "grant_type": "password",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "username": username,
            "password": password,
            "scope": "read write follow push",
            **extra,
        },
    )


def test_password_grant(client, make_user):
    make_user("alice")
    app = new_app(client)
    # Mastodon.py's junk field is ignored.
    r = _password_grant(client, app, "alice@example.com", oauth_info="junk")
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"access_token", "token_type", "scope", "created_at"}
    assert body["scope"] == "read write follow push"
    assert r.headers["cache-control"] == "no-store"
    me = client.get(
        "/api/v1/accounts/verify_credentials",
        headers={"Authorization": f"Bearer {body['access_token']}"},
    )
    assert me.json()["username"] == "alice"

    assert _password_grant(client, app, "ALICE").status_code == 200  # username, any case

    bad = _password_grant(client, app, "alice", "wrong password")
    assert bad.status_code == 400
    assert bad.json()["error"] == "invalid_grant"
    assert _password_grant(client, app, "nobody").json()["error"] == "invalid_grant"
    r = _password_grant(client, dict(app, client_secret="x"), "alice")
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"
    narrow = new_app(client, scopes="read")
    r = _password_grant(client, narrow, "alice")
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_scope"


def test_password_grant_with_json_and_basic_auth(client, make_user):
    make_user("alice")
    app = new_app(client)
    r = client.post(
        "/oauth/token",
        json={
            "grant_type": "password",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "username": "alice",
            "password": PASSWORD,
            "scope": "read",
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["scope"] == "read"
    r = client.post(
        "/oauth/token",
        data={"grant_type": "password", "username": "alice", "password": PASSWORD},
        auth=(app["client_id"], app["client_secret"]),
    )
    assert r.status_code == 200, r.text
    assert r.json()["scope"] == "read"  # Mastodon's default scope


def test_suspended_user_gets_no_token(client, make_user, app):
    bob = make_user("bob")
    oauth_app = new_app(client)
    app.state.db.run_sync(lambda tx: core_accounts.suspend(tx, bob.account_id, "spam"))
    assert _password_grant(client, oauth_app, "bob").json()["error"] == "invalid_grant"
    # ...and the token they had stopped working.
    assert client.get("/api/v1/accounts/verify_credentials", headers=bob.headers).status_code == 401


def test_client_credentials(client):
    app = new_app(client)
    r = client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "scope": "read write",
        },
    )
    assert r.status_code == 200, r.text
    token = r.json()
    assert token["scope"] == "read write"
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert client.get("/api/v1/apps/verify_credentials", headers=headers).status_code == 200
    r = client.get("/api/v1/accounts/verify_credentials", headers=headers)
    assert r.status_code == 422
    assert r.json()["error"] == "This method requires an authenticated user"


def test_bad_token_requests(client):
    app = new_app(client)
    creds = {"client_id": app["client_id"], "client_secret": app["client_secret"]}
    r = client.post("/oauth/token", data={**creds, "grant_type": "implicit"})
    assert r.status_code == 400
    assert r.json()["error"] == "unsupported_grant_type"
    r = client.post("/oauth/token", data={**creds, "grant_type": "authorization_code"})
    assert r.json()["error"] == "invalid_grant"
    r = client.post(
        "/oauth/token", content=b"{broken", headers={"content-type": "application/json"}
    )
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_request"
    r = client.post("/oauth/token", data={"grant_type": "client_credentials"})
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"


def test_revoke(client, make_user):
    make_user("alice")
    app = new_app(client)
    token = _password_grant(client, app, "alice").json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/accounts/verify_credentials", headers=headers).status_code == 200

    other = new_app(client)
    r = client.post(
        "/oauth/revoke",
        data={
            "client_id": other["client_id"],
            "client_secret": other["client_secret"],
            "token": token,
        },
    )
    assert r.status_code == 403
    assert client.get("/api/v1/accounts/verify_credentials", headers=headers).status_code == 200

    r = client.post(
        "/oauth/revoke",
        data={"client_id": app["client_id"], "client_secret": "wrong", "token": token},
    )
    assert r.status_code == 401

    r = client.post(
        "/oauth/revoke",
        data={"client_id": app["client_id"], "client_secret": app["client_secret"], "token": token},
    )
    assert r.status_code == 200
    assert r.json() == {}
    assert client.get("/api/v1/accounts/verify_credentials", headers=headers).status_code == 401
    # Revoking an unknown token is fine.
    r = client.post(
        "/oauth/revoke",
        data={"client_id": app["client_id"], "client_secret": app["client_secret"], "token": "x"},
    )
    assert r.status_code == 200


@pytest.mark.parametrize("scopes", ["write", "read:statuses", "push"])
def test_token_without_account_scope_gets_403_on_verify_credentials(client, make_user, scopes):
    user = make_user("alice", scopes=scopes)
    r = client.get("/api/v1/accounts/verify_credentials", headers=user.headers)
    assert r.status_code == 403
    assert r.json()["error"] == "This action is outside the authorized scopes"


@pytest.mark.parametrize("scopes", ["profile", "read:accounts", "read"])
def test_profile_or_read_accounts_scopes_may_verify_credentials(client, make_user, scopes):
    user = make_user("alice", scopes=scopes)
    assert (
        client.get("/api/v1/accounts/verify_credentials", headers=user.headers).status_code == 200
    )


def test_codes_are_stored_as_digests(client, make_user, app):
    make_user("alice")
    oauth_app = new_app(client)
    consent = sign_in_through(
        client,
        {"client_id": oauth_app["client_id"], "redirect_uri": CALLBACK, "response_type": "code"},
        "alice",
    )
    code, _ = code_from(decide(client, consent.text))
    stored = app.state.db.run_sync(lambda tx: tx.scalars(sa.select(oauth_codes.c.code_hash)))
    assert code not in stored
    assert hashlib.sha256(code.encode()).hexdigest() in stored


def test_consent_page_escapes_what_the_app_registered(client, make_user):
    make_user("alice")
    refused = client.post(
        "/api/v1/apps",
        data={"client_name": "x", "redirect_uris": CALLBACK, "website": "javascript:alert(1)"},
    )
    assert refused.status_code == 422  # a website must be an http(s) link
    r = client.post(
        "/api/v1/apps",
        data={
            "client_name": "<script>alert(1)</script>",
            "redirect_uris": CALLBACK,
            "website": 'https://app.test/"><script>alert(2)</script>',
        },
    )
    app = r.json()
    consent = sign_in_through(
        client,
        {"client_id": app["client_id"], "redirect_uri": CALLBACK, "response_type": "code"},
        "alice",
    )
    assert "<script>alert" not in consent.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in consent.text
    assert '"><script>alert(2)' not in consent.text
    assert 'href="javascript:' not in consent.text
    assert "frame-ancestors 'none'" in consent.headers["content-security-policy"]
