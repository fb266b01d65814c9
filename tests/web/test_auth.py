"""Joining and signing in from the browser: sign-up in each registration mode, the site's
sign-in and sign-out, CSRF refusals, French pages, and a French text for every string."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from starlette.testclient import TestClient

from pnyx.app import create_app
from pnyx.core import accounts as core_accounts
from pnyx.core import instance_settings, registrations
from pnyx.core import oauth as core_oauth
from pnyx.db.tables import users, web_sessions
from pnyx.web import auth as web_auth
from pnyx.web.i18n import translations

PASSWORD = "correct horse battery"
WEB = Path(__file__).resolve().parents[2] / "src" / "pnyx" / "web"
FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(client, login: str, password: str = PASSWORD):
    token = csrf_of(client.get("/auth/sign_in").text)
    return client.post(
        "/auth/sign_in",
        data={"login": login, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


def sign_up(client, name: str, **fields):
    client.get("/auth/sign_up")
    data = {
        "username": name,
        "email": f"{name}@example.com",
        "password": PASSWORD,
        "password_confirmation": PASSWORD,
        "agreement": "1",
        "csrf_token": client.cookies.get("pnyx_csrf"),  # also when the page has no form
        **fields,
    }
    return client.post("/auth/sign_up", data={k: v for k, v in data.items() if v is not None})


@pytest.fixture
def client_for(settings):
    """A client of an instance configured with the given registration mode (same database)."""
    opened: list[TestClient] = []

    def make(mode: str) -> TestClient:
        app = create_app(
            settings.with_overrides(registrations=mode), run_workers=False, migrate=False
        )
        client = TestClient(app, base_url="https://pnyx.test", follow_redirects=False)
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


def user_row(client, name: str):
    def work(tx):
        account = core_accounts.find_local(tx, name)
        return None if account is None else core_accounts.user_for_account(tx, account.id)

    return client.app.state.db.run_sync(work)


def test_open_sign_up_signs_in_and_home_works(client_for):
    client = client_for("open")
    client.app.state.db.run_sync(
        lambda tx: instance_settings.add_rule(tx, "Be kind to each other", "No harassment")
    )
    page = client.get("/auth/sign_up")
    assert page.status_code == 200
    assert 'id="sign-up-form"' in page.text and "Be kind to each other" in page.text
    assert '<label for="password_confirmation">Confirm password</label>' in page.text
    answer = sign_up(client, "newcomer")
    assert answer.status_code == 303 and answer.headers["location"] == "/home"
    assert "pnyx_session" in answer.headers["set-cookie"]
    assert "httponly" in answer.headers["set-cookie"].lower()
    home = client.get("/home")
    assert home.status_code == 200
    assert 'href="/@newcomer"' in home.text
    assert user_row(client, "newcomer").approved is True
    # Signed in: the sign-up page sends them home.
    assert client.get("/auth/sign_up").headers["location"] == "/home"


def test_refused_fields_are_shown_next_to_their_inputs(client_for, make_user):
    client = client_for("open")
    make_user("taken")
    answer = sign_up(
        client,
        "taken",
        email="not-an-email",
        password="short",
        password_confirmation="different",
        agreement=None,
    )
    assert answer.status_code == 422
    text = answer.text
    assert 'role="alert"' in text
    for field, message in (
        ("username", "Username has already been taken"),
        ("email", "Email is invalid"),
        ("password", "Password is too short (minimum is 8 characters)"),
        ("password_confirmation", "Passwords do not match"),
        ("agreement", "You must agree to the rules"),
    ):
        assert re.search(rf'id="{field}-error">[^<]*{re.escape(message)}', text), field
        assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', text), field
    assert 'value="taken"' in text and 'value="not-an-email"' in text  # kept
    assert 'value="short"' not in text  # passwords are never sent back
    assert "set-cookie" not in answer.headers or "pnyx_session" not in answer.headers["set-cookie"]


def test_a_mismatched_confirmation_alone_creates_nothing(client_for):
    client = client_for("open")
    answer = sign_up(client, "almost", password_confirmation="correct horse batterY")
    assert answer.status_code == 422
    assert "Passwords do not match" in answer.text
    assert user_row(client, "almost") is None
    assert sign_up(client, "almost").status_code == 303  # the name was not kept either


def test_approval_mode_creates_a_pending_account(client_for):
    client = client_for("approval")
    page = client.get("/auth/sign_up")
    assert '<label for="reason">' in page.text
    assert "A moderator reviews every new account" in page.text
    refused = sign_up(client, "hopeful")
    assert refused.status_code == 422 and "Please say why you want to join" in refused.text
    answer = sign_up(client, "hopeful", reason="I speak at assemblies")
    assert answer.status_code == 200
    assert 'role="status"' in answer.text and "will review it" in answer.text
    assert "pnyx_session" not in client.cookies
    row = user_row(client, "hopeful")
    assert row.approved is False and row.registration_reason == "I speak at assemblies"
    denied = sign_in(client, "hopeful")
    assert denied.status_code == 403 and "waiting for approval" in denied.text
    assert client.get("/home").status_code == 303


def test_invite_mode_needs_a_valid_code(client_for):
    client = client_for("invite")
    page = client.get("/auth/sign_up")
    assert '<label for="invite_code">Invite code</label>' in page.text
    missing = sign_up(client, "guest")
    assert missing.status_code == 422
    assert re.search(r'id="invite_code-error">An invite code is needed', missing.text)
    wrong = sign_up(client, "guest", invite_code="nope")
    assert wrong.status_code == 422 and "Invite code is invalid" in wrong.text
    assert user_row(client, "guest") is None
    code = client.app.state.db.run_sync(registrations.create_invite, None, max_uses=1)
    assert code in client.get(f"/auth/sign_up?invite_code={code}").text  # pre-filled
    answer = sign_up(client, "guest", invite_code=code)
    assert answer.status_code == 303 and answer.headers["location"] == "/home"
    assert client.get("/home").status_code == 200
    client.cookies.clear()
    used_up = sign_up(client, "second", invite_code=code)
    assert used_up.status_code == 422 and "Invite code has been used up" in used_up.text


def test_closed_mode_shows_no_form_and_refuses_posts(client_for):
    client = client_for("closed")
    page = client.get("/auth/sign_up")
    assert page.status_code == 200
    assert "Registrations are closed on this instance." in page.text
    assert 'id="sign-up-form"' not in page.text
    answer = sign_up(client, "intruder")
    assert answer.status_code == 403
    assert user_row(client, "intruder") is None


def test_an_admin_override_of_the_mode_applies_to_sign_up(client_for):
    client = client_for("open")
    db = client.app.state.db
    db.run_sync(instance_settings.set_override, "registrations", "closed")
    assert 'id="sign-up-form"' not in client.get("/auth/sign_up").text
    assert sign_up(client, "late").status_code == 403
    db.run_sync(instance_settings.set_override, "registrations", "approval")
    assert sign_up(client, "late", reason="please").status_code == 200
    assert user_row(client, "late").approved is False


def test_sign_in_goes_home_and_the_page_uses_the_site_layout(client, make_user):
    make_user("alice")
    page = client.get("/auth/sign_in")
    assert page.status_code == 200
    assert '<nav aria-label="Main">' in page.text and 'id="sign-in-form"' in page.text
    wrong = sign_in(client, "alice", "not the password")
    assert wrong.status_code == 401
    assert 'role="alert"' in wrong.text and "Invalid email/username or password." in wrong.text
    assert '<nav aria-label="Main">' in wrong.text and 'value="alice"' in wrong.text
    answer = sign_in(client, "alice")
    assert answer.status_code == 303 and answer.headers["location"] == "/home"
    again = client.get("/auth/sign_in", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/home"


def test_sign_out_from_the_site_goes_to_the_landing_page(client, make_user):
    make_user("alice")
    sign_in(client, "alice")
    home = client.get("/home")
    answer = client.post(
        "/auth/sign_out", data={"csrf_token": csrf_of(home.text)}, follow_redirects=False
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    assert client.get("/home", follow_redirects=False).status_code == 303
    revoked = client.app.state.db.run_sync(
        lambda tx: tx.scalar(
            sa.select(sa.func.count()).where(web_sessions.c.revoked_at.is_not(None))
        )
    )
    assert revoked == 1


def test_every_post_needs_the_csrf_token(client, make_user):
    make_user("alice")
    client.get("/auth/sign_in")  # sets the CSRF cookie
    data = {"login": "alice", "password": PASSWORD, "csrf_token": "forged"}
    assert client.post("/auth/sign_in", data=data).status_code == 403
    refused = client.post("/auth/sign_up", data={"username": "x", "csrf_token": "forged"})
    assert refused.status_code == 403
    assert user_row(client, "x") is None
    token = csrf_of(client.get("/auth/sign_up").text)
    cross_site = client.post(
        "/auth/sign_up",
        data={"username": "x", "csrf_token": token},
        headers={"Origin": "https://evil.example"},
    )
    assert cross_site.status_code == 403
    sign_in(client, "alice")
    out = client.post("/auth/sign_out", data={"csrf_token": "forged"}, follow_redirects=False)
    assert out.status_code == 403
    assert client.get("/home", follow_redirects=False).status_code == 200  # still signed in


def test_pages_and_refusals_in_french(client_for):
    client = client_for("approval")
    page = client.get("/auth/sign_up", headers=FRENCH)
    assert '<html lang="fr">' in page.text
    assert "Créer un compte" in page.text and "Confirmer le mot de passe" in page.text
    refused = client.post(
        "/auth/sign_up",
        data={
            "username": "pas un nom",
            "email": "x@example.com",
            "password": "court",
            "password_confirmation": "court",
            "csrf_token": csrf_of(page.text),
        },
        headers=FRENCH,
    )
    assert refused.status_code == 422
    assert "Le mot de passe est trop court (8 caractères minimum)" in refused.text
    assert "Vous devez accepter les règles" in refused.text
    sign_in_page = client.get("/auth/sign_in", headers=FRENCH)
    assert "Adresse e-mail ou nom d’utilisateur" in sign_in_page.text


def test_sign_in_messages_are_cores():
    assert web_auth.SIGN_IN_MESSAGES == (
        core_oauth.BAD_LOGIN,
        core_oauth.SUSPENDED,
        core_oauth.PENDING,
    )


def _my_strings() -> set[str]:
    """Every string the account pages mark for translation (templates and Python)."""
    found: set[str] = set()
    templates = WEB / "templates" / "site"
    names = [
        p
        for p in templates.iterdir()
        if p.name.startswith(("auth_", "settings_", "admin_")) and p.suffix == ".html"
    ]
    for path in names:
        for _line, message, _comments, _context in extract_from_file(
            "jinja2.ext.babel_extract",
            str(path),
            keywords={"_": None, "gettext": None},
            options={"extensions": "jinja2.ext.i18n", "trim_blocks": "true"},
        ):
            found.add(message if isinstance(message, str) else (message or (None,))[0])
    for name in ("auth.py", "settings.py", "admin.py", "admin_emojis.py"):
        for _line, message, _comments, _context in extract_from_file(
            "python", str(WEB / name), keywords={"_": None, "N_": None}
        ):
            found.add(message if isinstance(message, str) else (message or (None,))[0])
    return {m for m in found if m}


def test_every_string_has_a_french_translation():
    folder = WEB / "locale" / "fr" / "LC_MESSAGES"
    catalogs = []
    for path in folder.glob("*.po"):
        with path.open("rb") as fh:
            catalogs.append(read_po(fh, locale="fr"))
    strings = _my_strings()
    assert len(strings) > 100
    missing = sorted(
        s for s in strings if not any(c.get(s) is not None and c.get(s).string for c in catalogs)
    )
    assert missing == []
    assert translations("fr").gettext("Confirm password") == "Confirmer le mot de passe"


def test_user_rows_keep_no_locale_from_the_browser(client_for):
    client = client_for("open")
    client.get("/auth/sign_up", headers=FRENCH)
    sign_up(client, "francophone")
    locale = client.app.state.db.run_sync(
        lambda tx: tx.scalar(sa.select(users.c.locale).where(users.c.email.like("francophone@%")))
    )
    assert locale is None  # the interface follows the browser until they choose
