"""Aliases and moving out in the browser's pages (/settings/aliases, /settings/move), the
profile that says where an account went, and every string of them in French."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

import pnyx.web
from pnyx.core import account_moves

from .forms import HTML, as_person, csrf_token, page

WEB = Path(pnyx.web.__file__).parent


def form(client, path: str, **fields):
    token = csrf_token(page(client, path.rsplit("/", 1)[0] if "remove" in path else path))
    return client.post(
        path, data={"csrf_token": token, **fields}, headers=HTML, follow_redirects=False
    )


def test_aliases_are_added_and_removed_on_their_page(client, make_user, app):
    alice = make_user("alice")
    make_user("alice_old")
    as_person(client, "alice")
    text = page(client, "/settings/aliases")
    assert 'href="/settings/aliases" aria-current="page"' in text
    assert "You have no aliases." in text

    for handle, message in (
        ("", "Enter the handle of an account"),
        ("nobody", "No account was found with this handle."),
        ("alice", "You cannot name your own account"),
    ):
        answer = form(client, "/settings/aliases", handle=handle)
        assert answer.status_code == 422 and message in answer.text, handle

    answer = form(client, "/settings/aliases", handle="@alice_old")
    assert answer.status_code == 303 and answer.headers["location"].endswith("saved=added")
    text = page(client, answer.headers["location"])
    assert "The alias was added." in text and "@alice_old@pnyx.test" in text
    again = form(client, "/settings/aliases", handle="alice_old")
    assert again.status_code == 422 and "This account is already an alias" in again.text

    uri = "https://pnyx.test/users/alice_old"
    answer = form(client, "/settings/aliases/remove", uri=uri)
    assert answer.status_code == 303 and answer.headers["location"].endswith("saved=removed")
    assert app.state.db.run_sync(account_moves.aliases, alice.account_id) == []


def test_moving_on_the_page_and_the_profile_that_says_where(client, make_user, app):
    alice, new = make_user("alice"), make_user("alice_new")
    make_user("erin")
    app.state.db.run_sync(account_moves.add_alias, new.account_id, alice.account_id)
    as_person(client, "alice")
    text = page(client, "/settings/move")
    assert "add this account as an alias: @alice@pnyx.test" in text

    wrong = form(client, "/settings/move", handle="alice_new", current_password="nope")
    assert wrong.status_code == 422 and "Current password is invalid" in wrong.text
    french = client.post(
        "/settings/move",
        data={
            "csrf_token": csrf_token(text),
            "handle": "erin",
            "current_password": "correct horse battery",
        },
        headers={**HTML, "Accept-Language": "fr"},
    )
    assert french.status_code == 422
    assert "@erin@pnyx.test ne déclare pas ce compte comme alias" in french.text

    moved = form(
        client, "/settings/move", handle="alice_new", current_password="correct horse battery"
    )
    assert moved.status_code == 303 and moved.headers["location"].endswith("saved=moved")
    text = page(client, moved.headers["location"])
    assert "Your account has moved to" in text and "@alice_new@pnyx.test" in text
    assert "you can move again after" in text  # the cooldown: no form
    assert 'name="current_password"' not in text

    as_person(client, "erin")
    profile = page(client, "/@alice")
    assert "alice has moved to" in profile and 'href="/@alice_new"' in profile
    assert f'action="/accounts/{alice.account_id}/follow"' not in profile


def test_the_pages_need_a_session_and_a_form_token(client, make_user):
    for path in ("/settings/aliases", "/settings/move"):
        answer = client.get(path, follow_redirects=False)
        assert answer.headers["location"] == "/auth/sign_in"
    make_user("alice")
    as_person(client, "alice")
    assert client.post("/settings/aliases", data={"handle": "x"}).status_code == 403
    assert client.post("/settings/move", data={"handle": "x"}).status_code == 403


PAGES = ("settings_aliases.html", "settings_move.html", "settings_nav.html", "profile.html")


def test_every_string_of_the_move_pages_has_a_french_translation():
    found: set[str] = set()
    for name in PAGES:
        for _line, message, _comments, _context in extract_from_file(
            "jinja2.ext.babel_extract",
            str(WEB / "templates" / "site" / name),
            keywords={"_": None, "ngettext": (1, 2)},
            options={"extensions": "jinja2.ext.i18n", "trim_blocks": "true"},
        ):
            found.add(message if isinstance(message, str) else message[0])
    for _line, message, _comments, _context in extract_from_file(
        "python", str(WEB / "move_pages.py"), keywords={"_": None, "N_": None}
    ):
        found.add(message if isinstance(message, str) else message[0])
    assert "Move my followers" in found and "%(name)s has moved to" in found
    catalogs = []
    for po in sorted((WEB / "locale" / "fr" / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as fh:
            catalogs.append(read_po(fh, locale="fr"))
    assert sorted(m for m in found if not any(c.get(m) and c.get(m).string for c in catalogs)) == []
