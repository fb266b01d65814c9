"""A person's own settings in the browser: profile (with fields), account (password, privacy),
preferences (defaults for new posts, interface language)."""

from __future__ import annotations

import re

import pytest

from images import jpeg_with_gps, png_bomb
from pnyx.core import accounts as core_accounts

PASSWORD = "correct horse battery"
PAGES = ("/settings/profile", "/settings/account", "/settings/preferences")
POSTS = ("/settings/profile", "/settings/account", "/settings/password", "/settings/preferences")


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(client, login: str, password: str = PASSWORD):
    client.get("/auth/sign_in")
    return client.post(
        "/auth/sign_in",
        data={"login": login, "password": password, "csrf_token": client.cookies["pnyx_csrf"]},
        follow_redirects=False,
    )


def submit(client, path: str, **fields):
    token = csrf_of(client.get(path.replace("/password", "/account")).text)
    return client.post(path, data={"csrf_token": token, **fields}, follow_redirects=False)


def account(client, account_id: int):
    return client.app.state.db.run_sync(core_accounts.get, account_id)


def user(client, account_id: int):
    return client.app.state.db.run_sync(core_accounts.user_for_account, account_id)


@pytest.fixture
def alice(client, make_user):
    person = make_user("alice")
    assert sign_in(client, "alice").status_code == 303
    return person


def test_settings_need_a_session(client):
    for path in PAGES:
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/auth/sign_in"
    client.get("/auth/sign_in")
    for path in POSTS:
        answer = client.post(
            path, data={"csrf_token": client.cookies["pnyx_csrf"]}, follow_redirects=False
        )
        assert answer.status_code == 303 and answer.headers["location"] == "/auth/sign_in"
    assert client.get("/settings", follow_redirects=False).headers["location"] == (
        "/settings/profile"
    )


def test_profile_is_saved_and_shown(client, alice):
    answer = submit(
        client,
        "/settings/profile",
        display_name="Alice of Athens",
        note="Speaks at the #assembly",
        field_name_0="Deme",
        field_value_0="Cholargos",
        field_name_1="Site",
        field_value_1="https://example.org/alice",
        bot="1",
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/settings/profile?saved=1"
    page = client.get(answer.headers["location"])
    assert re.search(r'role="status">Your changes were saved.', page.text)
    assert 'value="Alice of Athens"' in page.text
    assert ">Speaks at the #assembly</textarea>" in page.text
    assert 'value="Cholargos"' in page.text and 'value="https://example.org/alice"' in page.text
    assert re.search(r'id="bot"[^>]*checked', page.text)
    row = account(client, alice.account_id)
    assert row.display_name == "Alice of Athens" and row.bot is True
    assert [f["name"] for f in row.fields] == ["Deme", "Site"]
    assert 'href="https://example.org/alice"' in row.fields[1]["value"]
    # The same profile through the API.
    api = client.get("/api/v1/accounts/verify_credentials", headers=alice.headers).json()
    assert api["display_name"] == "Alice of Athens"
    assert api["source"]["fields"][0] == {"name": "Deme", "value": "Cholargos", "verified_at": None}
    # Unticking the box and emptying a row remove them.
    submit(client, "/settings/profile", display_name="Alice", field_name_0="Deme")
    row = account(client, alice.account_id)
    assert row.bot is False and [f["name"] for f in row.fields] == ["Deme"]


def test_profile_refusal_is_shown_next_to_the_input(client, alice):
    answer = submit(client, "/settings/profile", display_name="x" * 31, note="kept")
    assert answer.status_code == 422
    assert re.search(
        r'id="display_name-error">Display name is too long \(maximum is 30', answer.text
    )
    assert 'role="alert"' in answer.text and ">kept</textarea>" in answer.text
    assert 'role="status"' not in answer.text
    assert account(client, alice.account_id).note_source == ""


def test_avatar_and_header_are_saved_refused_and_removed(client, alice):
    token = csrf_of(client.get("/settings/profile").text)
    form = {"csrf_token": token, "display_name": "Alice"}
    saved = client.post(
        "/settings/profile",
        data=form,
        files={"avatar": ("a.jpg", jpeg_with_gps(900, 600), "image/jpeg"), "header": ("", b"")},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    row = account(client, alice.account_id)
    assert row.avatar_key and row.header_key is None
    page = client.get("/settings/profile").text
    assert f'src="{row.avatar_url}" alt="Your current avatar"' in page
    assert 'id="remove_avatar"' in page and 'id="remove_header"' not in page

    refused = client.post(
        "/settings/profile",
        data={**form, "display_name": "Changed"},
        files={"header": ("bomb.png", png_bomb(), "image/png")},
    )
    assert refused.status_code == 422
    assert 'id="header-error"' in refused.text and 'aria-invalid="true"' in refused.text
    after = account(client, alice.account_id)
    assert after.display_name == "Alice" and after.header_key is None

    removed = client.post(
        "/settings/profile", data={**form, "remove_avatar": "1"}, follow_redirects=False
    )
    assert removed.status_code == 303
    assert account(client, alice.account_id).avatar_url is None


def test_password_change_ends_other_sessions_and_the_old_password(client, alice, app):
    from starlette.testclient import TestClient

    with TestClient(app, base_url="https://pnyx.test") as other:
        assert sign_in(other, "alice").status_code == 303
        wrong = submit(
            client,
            "/settings/password",
            current_password="not it",
            new_password="a new long password",
            new_password_confirmation="a new long password",
        )
        assert wrong.status_code == 422
        assert 'id="current_password-error">Current password is incorrect' in wrong.text
        mismatch = submit(
            client,
            "/settings/password",
            current_password=PASSWORD,
            new_password="a new long password",
            new_password_confirmation="another one",
        )
        assert mismatch.status_code == 422 and "Passwords do not match" in mismatch.text
        short = submit(
            client,
            "/settings/password",
            current_password=PASSWORD,
            new_password="short",
            new_password_confirmation="short",
        )
        assert short.status_code == 422
        assert 'id="new_password-error">Password is too short' in short.text
        done = submit(
            client,
            "/settings/password",
            current_password=PASSWORD,
            new_password="a new long password",
            new_password_confirmation="a new long password",
        )
        assert done.status_code == 303
        assert done.headers["location"] == "/settings/account?saved=password"
        assert (
            "other sessions and apps were signed out" in client.get(done.headers["location"]).text
        )
        # This browser stays signed in; the other one and the app token do not.
        assert client.get("/home", follow_redirects=False).status_code == 200
        assert other.get("/home", follow_redirects=False).status_code == 303
        api = client.get("/api/v1/accounts/verify_credentials", headers=alice.headers)
        assert api.status_code == 401
    client.cookies.clear()
    assert sign_in(client, "alice").status_code == 401
    assert sign_in(client, "alice", "a new long password").status_code == 303


def test_privacy_flags_toggle(client, alice):
    assert submit(client, "/settings/account", locked="1", hide_collections="1").status_code == 303
    row = account(client, alice.account_id)
    assert row.locked is True and row.hide_collections is True
    assert row.discoverable is False and row.indexable is False
    page = client.get("/settings/account?saved=1")
    assert re.search(r'id="locked"[^>]*checked', page.text)
    assert re.search(r'role="status"', page.text)
    assert submit(client, "/settings/account", discoverable="1", indexable="1").status_code == 303
    row = account(client, alice.account_id)
    assert row.locked is False and row.hide_collections is False
    assert row.discoverable is True and row.indexable is True
    api = client.get("/api/v1/accounts/verify_credentials", headers=alice.headers).json()
    assert api["locked"] is False and api["discoverable"] is True


def test_preferences_are_saved_and_the_interface_language_applies(client, alice):
    answer = submit(
        client,
        "/settings/preferences",
        privacy="private",
        language="de",
        sensitive="1",
        interface_language="fr",
    )
    assert answer.status_code == 303
    row = user(client, alice.account_id)
    assert (row.default_visibility, row.default_language, row.default_sensitive) == (
        "private",
        "de",
        True,
    )
    assert row.locale == "fr"
    page = client.get("/settings/preferences?saved=1")
    assert '<html lang="fr">' in page.text
    assert "Vos modifications ont été enregistrées." in page.text
    assert '<option value="private" selected>' in page.text
    api = client.get("/api/v1/accounts/verify_credentials", headers=alice.headers).json()
    assert api["source"]["privacy"] == "private" and api["source"]["language"] == "de"
    # Back to the browser's language; a value outside the list is refused.
    submit(client, "/settings/preferences", privacy="public", interface_language="")
    assert user(client, alice.account_id).locale is None
    assert '<html lang="en">' in client.get("/settings/preferences").text
    refused = submit(client, "/settings/preferences", privacy="direct")
    assert refused.status_code == 422
    assert 'id="privacy-error">Choose a visibility from the list' in refused.text
    refused = submit(client, "/settings/preferences", privacy="public", interface_language="xx")
    assert refused.status_code == 422


def test_every_settings_post_needs_the_csrf_token(client, alice):
    client.get("/settings/profile")
    for path in POSTS:
        answer = client.post(
            path,
            data={"csrf_token": "forged", "display_name": "Mallory", "locked": "1"},
            follow_redirects=False,
        )
        assert answer.status_code == 403, path
    row = account(client, alice.account_id)
    assert row.display_name != "Mallory" and row.locked is False


def test_settings_pages_in_french(client, alice):
    page = client.get("/settings/account", headers={"Accept-Language": "fr"})
    assert '<html lang="fr">' in page.text
    assert "Approuver manuellement les abonnements" in page.text
    assert "Changer le mot de passe" in page.text
