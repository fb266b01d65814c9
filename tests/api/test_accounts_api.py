"""Registration, verify/update_credentials, and account lookup through the Mastodon API."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from images import png
from pnyx.core import accounts as core_accounts
from pnyx.core import instance_settings, oauth, registrations
from pnyx.core.errors import Invalid

PASSWORD = "correct horse battery"


def app_token(client, scopes: str = "read write follow push") -> tuple[dict, dict]:
    app = client.post(
        "/api/v1/apps",
        data={
            "client_name": "Signup",
            "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
            "scopes": scopes,
        },
    ).json()
    token = client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "scope": scopes,
        },
    ).json()["access_token"]
    return app, {"Authorization": f"Bearer {token}"}


def signup(client, headers, username="newbie", **extra):
    return client.post(
        "/api/v1/accounts",
        data={
            "username": username,
            "email": f"{username}@example.com",
            "password": PASSWORD,
            "agreement": "true",
            "locale": "en",
            **extra,
        },
        headers=headers,
    )


def password_login(client, app, username):
    return client.post(
        "/oauth/token",
        data={
            "grant_type": "password",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "username": username,
            "password": PASSWORD,
            "scope": "read",
        },
    )


@pytest.fixture
def with_registrations(settings):
    """An app built with a given registration mode (the default fixture is 'open')."""
    from starlette.testclient import TestClient

    from pnyx.app import create_app

    clients = []

    def make(mode: str):
        application = create_app(
            settings.with_overrides(registrations=mode), run_workers=False, migrate=False
        )
        c = TestClient(application, base_url="https://pnyx.test")
        c.__enter__()
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.__exit__(None, None, None)


def test_open_registration(client):
    app, headers = app_token(client)
    r = signup(client, headers)
    assert r.status_code == 200, r.text
    token = r.json()
    assert token["token_type"] == "Bearer"
    assert token["scope"] == "read write follow push"
    assert isinstance(token["created_at"], int)
    me = client.get(
        "/api/v1/accounts/verify_credentials",
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    assert me.status_code == 200
    assert me.json()["username"] == "newbie"
    assert password_login(client, app, "newbie").status_code == 200

    taken = signup(client, headers)
    assert taken.status_code == 422
    assert "taken" in taken.json()["error"]
    assert taken.json()["details"]["username"][0]["error"] == "ERR_TAKEN"


def test_registration_validation(client):
    _, headers = app_token(client)
    short = signup(client, headers, password="short")
    assert short.status_code == 422
    assert short.json()["details"] == {
        "password": [
            {
                "error": "ERR_TOO_SHORT",
                "description": "Password is too short (minimum is 8 characters)",
            }
        ]
    }
    assert signup(client, headers, username="bad name").status_code == 422
    assert signup(client, headers, email="not-an-email").status_code == 422
    r = signup(client, headers, agreement="false")
    assert r.status_code == 422
    assert "Agreement" in r.json()["error"]
    assert r.json()["details"]["agreement"][0]["error"] == "ERR_ACCEPTED"


def test_registration_needs_an_app_token_with_write_accounts(client):
    r = client.post(
        "/api/v1/accounts",
        data={"username": "x", "email": "x@example.com", "password": PASSWORD, "agreement": "1"},
    )
    assert r.status_code == 401
    _, read_only = app_token(client, "read")
    assert signup(client, read_only).status_code == 403


def test_closed_registrations(with_registrations):
    client = with_registrations("closed")
    _, headers = app_token(client)
    r = signup(client, headers)
    assert r.status_code == 403
    assert "closed" in r.json()["error"]


def test_invite_registrations(with_registrations):
    client = with_registrations("invite")
    _, headers = app_token(client)
    assert signup(client, headers).status_code == 403
    code = client.app.state.db.run_sync(lambda tx: registrations.create_invite(tx, None))
    r = signup(client, headers, invite_code=code)
    assert r.status_code == 200, r.text
    assert signup(client, headers, username="other", invite_code="wrong").status_code == 422


def test_approval_registrations(with_registrations):
    client = with_registrations("approval")
    app, headers = app_token(client)
    assert signup(client, headers).status_code == 422  # a reason is required
    r = signup(client, headers, reason="I like assemblies")
    assert r.status_code == 200, r.text
    token_headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    # Not approved yet: neither the token nor the password works.
    assert (
        client.get("/api/v1/accounts/verify_credentials", headers=token_headers).status_code == 401
    )
    assert password_login(client, app, "newbie").json()["error"] == "invalid_grant"

    def approve(tx):
        account = core_accounts.find_local(tx, "newbie")
        core_accounts.approve(tx, account.id)

    client.app.state.db.run_sync(approve)
    assert (
        client.get("/api/v1/accounts/verify_credentials", headers=token_headers).status_code == 200
    )
    assert password_login(client, app, "newbie").status_code == 200


def test_verify_credentials_shape(client, make_user):
    alice = make_user("alice", role="moderator")
    r = client.get("/api/v1/accounts/verify_credentials", headers=alice.headers)
    assert r.status_code == 200
    me = r.json()
    assert me["id"] == str(alice.account_id)
    assert me["acct"] == "alice"
    assert me["source"]["privacy"] == "public"
    assert me["source"]["sensitive"] is False
    assert me["source"]["note"] == ""
    assert me["source"]["fields"] == []
    assert me["source"]["follow_requests_count"] == 0
    assert me["role"]["name"] == "Moderator"
    assert me["avatar"] == "https://pnyx.test/static/avatar.png"
    assert client.get("/api/v1/accounts/verify_credentials").status_code == 401


def test_default_avatar_and_header_are_served(client):
    for name in ("avatar.png", "header.png"):
        r = client.get(f"/static/{name}")
        assert r.status_code == 200
        assert r.headers["content-type"] == "image/png"
        assert r.content.startswith(b"\x89PNG\r\n\x1a\n")


def test_update_credentials_form_with_fields_and_bio(client, make_user):
    alice = make_user("alice")
    r = client.patch(
        "/api/v1/accounts/update_credentials",
        data={
            "display_name": "Alice <b>A</b>",
            "note": "Hello <script>x</script>\nsee https://example.com/a?b=1&c=2",
            "locked": "true",
            "bot": "1",
            "discoverable": "false",
            "hide_collections": "true",
            "fields_attributes[0][name]": "Site",
            "fields_attributes[0][value]": "https://alice.example",
            "fields_attributes[1][name]": "Pronouns",
            "fields_attributes[1][value]": "she/her",
            "source[privacy]": "unlisted",
            "source[sensitive]": "true",
            "source[language]": "fr",
        },
        files={"avatar": ("a.png", png(), "image/png")},
        headers=alice.headers,
    )
    assert r.status_code == 200, r.text
    me = r.json()
    assert me["display_name"] == "Alice <b>A</b>"  # plain text; clients escape it
    assert "<script>" not in me["note"]
    assert "&lt;script&gt;" in me["note"]
    assert 'href="https://example.com/a?b=1&amp;c=2"' in me["note"]
    assert 'rel="nofollow noopener noreferrer"' in me["note"]
    assert 'target="_blank"' in me["note"]
    assert me["source"]["note"] == "Hello <script>x</script>\nsee https://example.com/a?b=1&c=2"
    assert me["locked"] is True and me["bot"] is True
    assert me["discoverable"] is False and me["hide_collections"] is True
    assert [f["name"] for f in me["fields"]] == ["Site", "Pronouns"]
    assert 'href="https://alice.example"' in me["fields"][0]["value"]
    assert me["fields"][1]["value"] == "she/her"
    assert me["source"]["fields"][0] == {
        "name": "Site",
        "value": "https://alice.example",
        "verified_at": None,
    }
    assert me["source"]["privacy"] == "unlisted"
    assert me["source"]["sensitive"] is True
    assert me["source"]["language"] == "fr"
    assert "/system/media/accounts/" in me["avatar"]

    # What others see.
    public = client.get(f"/api/v1/accounts/{alice.account_id}").json()
    assert public["display_name"] == "Alice <b>A</b>"
    assert public["fields"][1]["value"] == "she/her"
    assert "source" not in public


def test_update_credentials_json_and_partial(client, make_user):
    alice = make_user("alice")
    r = client.patch(
        "/api/v1/accounts/update_credentials",
        json={
            "display_name": "Alice",
            "fields_attributes": {"0": {"name": "a", "value": "1"}, "1": {"name": "", "value": ""}},
        },
        headers=alice.headers,
    )
    assert r.status_code == 200, r.text
    assert [(f["name"], f["value"]) for f in r.json()["fields"]] == [("a", "1")]
    r = client.patch(
        "/api/v1/accounts/update_credentials",
        json={"note": "just a bio", "fields_attributes": [{"name": "b", "value": "2"}]},
        headers=alice.headers,
    )
    me = r.json()
    assert me["display_name"] == "Alice"  # untouched
    assert me["note"] == "<p>just a bio</p>"
    assert [f["name"] for f in me["fields"]] == ["b"]


def test_update_credentials_limits(client, make_user):
    alice = make_user("alice")

    def patch(**data):
        return client.patch("/api/v1/accounts/update_credentials", json=data, headers=alice.headers)

    assert patch(display_name="x" * 31).status_code == 422
    assert patch(display_name="x" * 30).status_code == 200
    assert patch(note="x" * 501).status_code == 422
    r = patch(fields_attributes=[{"name": f"n{i}", "value": "v"} for i in range(5)])
    assert r.status_code == 422
    assert "Fields" in r.json()["error"]
    assert patch(fields_attributes=[{"name": "n" * 256, "value": "v"}]).status_code == 422
    assert patch(fields_attributes=[{"name": "n", "value": "v" * 256}]).status_code == 422
    assert patch(fields_attributes="nope").status_code == 422
    assert patch(source={"privacy": "direct"}).status_code == 422
    assert patch(locked="maybe").status_code == 422
    # Nothing of the refused changes was kept.
    me = client.get("/api/v1/accounts/verify_credentials", headers=alice.headers).json()
    assert me["display_name"] == "x" * 30
    assert me["fields"] == []


def test_update_credentials_needs_write_accounts(client, make_user):
    reader = make_user("alice", scopes="read")
    r = client.patch(
        "/api/v1/accounts/update_credentials", json={"display_name": "x"}, headers=reader.headers
    )
    assert r.status_code == 403


def test_show_and_lookup(client, make_user, app):
    alice = make_user("alice")
    bob = make_user("bob")
    r = client.get(f"/api/v1/accounts/{alice.account_id}")
    assert r.status_code == 200
    assert r.json()["acct"] == "alice"
    assert (
        client.get(f"/api/v1/accounts/{alice.account_id}", headers=bob.headers).status_code == 200
    )
    assert client.get("/api/v1/accounts/12345").status_code == 404
    assert client.get("/api/v1/accounts/99999999999999999999999").status_code == 404

    assert client.get("/api/v1/accounts/lookup", params={"acct": "alice"}).json()["id"] == str(
        alice.account_id
    )
    r = client.get("/api/v1/accounts/lookup", params={"acct": "@ALICE@pnyx.test"})
    assert r.json()["id"] == str(alice.account_id)
    assert client.get("/api/v1/accounts/lookup", params={"acct": "nobody"}).status_code == 404
    assert client.get("/api/v1/accounts/lookup").status_code == 404

    app.state.db.run_sync(lambda tx: core_accounts.suspend(tx, alice.account_id, "spam"))
    shown = client.get(f"/api/v1/accounts/{alice.account_id}").json()
    assert shown["suspended"] is True
    assert shown["display_name"] == "" and shown["fields"] == []


def test_change_password_revokes_other_credentials(client, make_user, app):
    alice = make_user("alice")

    def change(tx):
        core_accounts.change_password(tx, alice.user_id, "a brand new password")

    app.state.db.run_sync(change)
    assert (
        client.get("/api/v1/accounts/verify_credentials", headers=alice.headers).status_code == 401
    )


def test_a_minimum_age_set_by_the_admin_asks_for_a_date_of_birth(client):
    """The admin's setting (an override of PNYX_MIN_AGE) applies at once; the boundary is the
    birthday itself; a date in the future or not a date is invalid."""
    _, headers = app_token(client)
    assert client.get("/api/v2/instance").json()["registrations"]["min_age"] is None
    assert signup(client, headers, username="before").status_code == 200
    client.app.state.db.run_sync(lambda tx: instance_settings.set_override(tx, "min_age", "18"))
    assert client.get("/api/v2/instance").json()["registrations"]["min_age"] == 18

    today = client.app.state.db.run_sync(lambda tx: tx.now.date())

    def years_ago(n: int) -> date:
        try:
            return today.replace(year=today.year - n)
        except ValueError:
            return today.replace(year=today.year - n, day=28)

    for value, code in (
        (None, "ERR_BLANK"),
        ("yesterday", "ERR_INVALID"),
        ("2999-01-01", "ERR_INVALID"),
        (str(years_ago(18) + timedelta(days=1)), "ERR_BELOW_LIMIT"),
    ):
        extra = {} if value is None else {"date_of_birth": value}
        refused = signup(client, headers, username="young", **extra)
        assert refused.status_code == 422, value
        assert refused.json()["details"]["date_of_birth"][0]["error"] == code, value
    # Several problems are told at once, the age with them.
    both = signup(client, headers, username="young", agreement="false")
    assert set(both.json()["details"]) == {"agreement", "date_of_birth"}
    assert (
        signup(client, headers, username="adult", date_of_birth=str(years_ago(18))).status_code
        == 200
    )
    with pytest.raises(Invalid):
        client.app.state.db.run_sync(
            lambda tx: instance_settings.set_override(tx, "min_age", "old")
        )


def test_a_locale_must_look_like_a_language(client):
    _, headers = app_token(client)
    bad = signup(client, headers, username="babel", locale="<script>")
    assert bad.status_code == 422
    assert bad.json()["details"]["locale"][0]["error"] == "ERR_INCLUSION"
    assert signup(client, headers, username="babel", locale="pt-BR").status_code == 200


def test_the_staff_hear_of_a_sign_up_once_it_is_approved(with_registrations):
    """Mastodon tells the staff (admin.sign_up) when a new account may be used: at once when
    open, when approved otherwise."""
    client = with_registrations("approval")
    db = client.app.state.db
    boss_headers = {}

    def make_boss(tx):
        _, user_id = core_accounts.create_local(
            tx, "boss", "boss@example.com", PASSWORD, role="admin"
        )
        app_row = oauth.create_app(tx, "t", [oauth.OOB], ["read"])
        token, _ = oauth.issue_token(tx, app_row.id, user_id, ["read"])
        return token

    boss_headers["Authorization"] = f"Bearer {db.run_sync(make_boss)}"
    _, headers = app_token(client)
    assert signup(client, headers, reason="I like assemblies").status_code == 200

    def sign_ups():
        return client.get(
            "/api/v1/notifications", params={"types[]": "admin.sign_up"}, headers=boss_headers
        ).json()

    assert sign_ups() == []
    newbie = db.run_sync(lambda tx: core_accounts.find_local(tx, "newbie").id)
    db.run_sync(core_accounts.approve, newbie)
    [told] = sign_ups()
    assert told["account"]["id"] == str(newbie) and told["group_key"].startswith("admin.sign_up-")
