"""Announcing a move from the new account in the browser (/settings/move/announce): what an
imported archive makes possible, the button with the password, the refusals translated, the
progress once announced; and every string of the page in French."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

import factories
import pnyx.web
from pnyx.core import integrity_keys, pull_moves
from pnyx.federation import data_integrity, identity_proofs

from .forms import HTML, as_person, csrf_token, page

WEB = Path(pnyx.web.__file__).parent
PATH = "/settings/move/announce"
PASSWORD = "correct horse battery"
OLD = "https://old.example/users/alice"


def carried_archive(db, account_id: int, *, key_known: bool = True) -> int:
    """What importing a Pnyx export of alice@old.example leaves: the key, the followers."""
    private = data_integrity.new_private_key()
    public = data_integrity.public_key_of(private)
    subject = identity_proofs.did_key(public)
    old = factories.remote_account(db, "alice", "old.example")
    known = public if key_known else data_integrity.public_key_of(data_integrity.new_private_key())
    db.run_sync(integrity_keys.remember_remote, old, OLD + "#ed25519-key", known)
    db.run_sync(integrity_keys.remember_carried, account_id, subject, public, private)

    def work(tx):
        move_id = pull_moves.keep_archive(tx, account_id, None, OLD, subject)
        pull_moves.keep_followers(tx, move_id, ["carol@127.0.0.1:9"])
        return move_id

    return db.run_sync(work)


def announce(client, text: str, move_id: int, password: str, **headers):
    return client.post(
        PATH,
        data={"csrf_token": csrf_token(text), "id": str(move_id), "current_password": password},
        headers={**HTML, **headers},
        follow_redirects=False,
    )


def test_an_imported_archive_is_announced_from_its_page(client, make_user, app):
    alice2 = make_user("alice2")
    as_person(client, "alice2")
    text = page(client, PATH)
    assert f'href="{PATH}" aria-current="page"' in text
    assert "You have not imported the archive of another account yet." in text
    move_id = carried_archive(app.state.db, alice2.account_id)
    text = page(client, PATH)
    assert "@alice@old.example" in text and "Not announced yet" in text
    assert "Announce the move to my followers" in text
    wrong = announce(client, text, move_id, "nope")
    assert wrong.status_code == 422 and "Current password is invalid" in wrong.text
    assert 'aria-invalid="true"' in wrong.text
    done = announce(client, text, move_id, PASSWORD)
    assert done.status_code == 303 and done.headers["location"].endswith("saved=1")
    text = page(client, done.headers["location"])
    assert "The move is announced." in text and "Finding your followers" in text
    assert "0 of 1 followers looked up" in text
    assert "Reload this page to follow it." in text
    assert 'name="current_password"' not in text


def test_a_refusal_in_french(client, make_user, app):
    mallory = make_user("mallory")
    move_id = carried_archive(app.state.db, mallory.account_id, key_known=False)
    as_person(client, "mallory")
    text = page(client, PATH)
    refused = announce(client, text, move_id, PASSWORD, **{"Accept-Language": "fr"})
    assert refused.status_code == 422
    assert f"Ce serveur connaît {OLD} par une autre clé" in refused.text


def test_the_page_needs_a_session_and_a_form_token(client, make_user):
    assert client.get(PATH, follow_redirects=False).headers["location"] == "/auth/sign_in"
    make_user("alice")
    as_person(client, "alice")
    assert client.post(PATH, data={"current_password": PASSWORD}).status_code == 403


def test_every_string_of_the_page_has_a_french_translation():
    found: set[str] = set()
    for name in ("settings_pull_move.html", "settings_nav.html"):
        for _line, message, _comments, _context in extract_from_file(
            "jinja2.ext.babel_extract",
            str(WEB / "templates" / "site" / name),
            keywords={"_": None, "ngettext": (1, 2)},
            options={"extensions": "jinja2.ext.i18n", "trim_blocks": "true"},
        ):
            found.add(message if isinstance(message, str) else message[0])
    for _line, message, _comments, _context in extract_from_file(
        "python", str(WEB / "pull_move_pages.py"), keywords={"_": None, "N_": None}
    ):
        found.add(message if isinstance(message, str) else message[0])
    assert "Announce the move to my followers" in found and "Announce a move" in found
    catalogs = []
    for po in sorted((WEB / "locale" / "fr" / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as fh:
            catalogs.append(read_po(fh, locale="fr"))
    missing = sorted(m for m in found if not any(c.get(m) and c.get(m).string for c in catalogs))
    assert missing == []
