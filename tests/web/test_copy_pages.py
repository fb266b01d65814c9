"""The page of a live copy (`/settings/import/copy`, LOLA) without the network: what it shows
of a copy, its refusals (an address that is none, an answer that matches no copy, a copy
refused at the old server, the follow step asked too early), in French too, and every string
translated. (The whole flow between two real servers: tests/federation/test_lola_two_servers.py.)"""

from __future__ import annotations

import html
from pathlib import Path

import sqlalchemy as sa
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from pnyx.core.lola import clients, following, transfers
from pnyx.db.tables import jobs
from pnyx.federation import lola_client
from pnyx.web import copy_pages
from web.forms import HTML, as_person, csrf_token, page

PATH = "/settings/import/copy"
FRENCH = {"Accept-Language": "fr"}
ENDPOINTS = {"origin": "https://old.example", "authorize": "https://old.example/oauth/authorize"}


def begun(db, account_id: int, via: str = "web") -> tuple[int, str]:
    app = db.run_sync(clients.keep, "https://old.example", "https://pnyx.test" + PATH, "c", "s")
    transfer_id, state, _verifier = db.run_sync(
        transfers.begin, account_id, "alice@old.example", app.id, ENDPOINTS, via=via
    )
    return transfer_id, state


def callback(client, **query):
    return client.get(PATH + "/callback", params=query, headers=HTML, follow_redirects=False)


def test_the_page_is_linked_and_says_what_a_copy_does(client, make_user):
    make_user("alice")
    assert client.get(PATH, follow_redirects=False).headers["location"] == "/auth/sign_in"
    as_person(client, "alice")
    assert 'href="/settings/import/copy"' in page(client, "/settings/import")
    answer = client.get(PATH, headers=HTML)
    # The form leads to the old server: its redirect there must not be blocked by the policy
    # (Chromium enforces form-action on it; tests/web/test_browser_copy.py goes through).
    policy = answer.headers["content-security-policy"]
    assert "form-action 'self' https:;" in policy + ";" and "script-src 'self'" in policy
    shown = html.unescape(answer.text)
    assert "Copy your account from another server" in shown
    assert "You have not copied an account yet." in shown
    french = html.unescape(page(client, PATH, **FRENCH))
    assert "Copier votre compte depuis un autre serveur" in french


def test_an_address_that_is_none_is_refused_before_any_network(client, make_user):
    make_user("alice")
    as_person(client, "alice")
    for language, words in ((None, "Enter the address of your old account"), ("fr", "Saisissez")):
        form = page(client, PATH)
        answer = client.post(
            PATH,
            data={"csrf_token": csrf_token(form), "source": "not an address"},
            headers={**HTML, **({"Accept-Language": language} if language else {})},
        )
        assert answer.status_code == 422
        assert words in html.unescape(answer.text)
        assert 'value="not an address"' in answer.text  # the field keeps what was typed
    expired = client.post(PATH, data={"csrf_token": "x", "source": "a@b.example"}, headers=HTML)
    assert expired.status_code == 403


def test_an_answer_that_matches_no_copy_is_refused(client, db, make_user):
    alice = make_user("alice")
    bob = make_user("bob")
    _id, state = begun(db, alice.account_id)
    assert callback(client, code="c", state=state).status_code == 403  # nobody signed in
    as_person(client, "bob")
    for query in ({"code": "c", "state": "forged"}, {"code": "c", "state": state}, {}):
        answer = callback(client, **query)  # forged, alice's, or none
        assert answer.status_code == 400
        assert "matches no copy you started here" in html.unescape(answer.text)
    assert db.run_sync(transfers.awaiting, state) is not None  # alice's is untouched
    assert bob.account_id


def test_a_refusal_at_the_old_server_says_so(client, db, make_user):
    alice = make_user("alice")
    as_person(client, "alice")
    denied_id, state = begun(db, alice.account_id)
    answer = callback(client, error="access_denied", state=state)
    assert answer.status_code == 200
    assert "You did not allow the copy at old.example. Nothing was copied." in html.unescape(
        answer.text
    )
    assert db.run_sync(transfers.get, denied_id).state == "denied"
    other_id, state = begun(db, alice.account_id)
    answer = callback(client, error="server_error", error_description="down\x00", state=state)
    assert answer.status_code == 422
    assert "old.example refused the copy: down" in html.unescape(answer.text)
    assert db.run_sync(transfers.get, other_id).state == "failed"
    french = html.unescape(page(client, PATH, **FRENCH))
    assert "Non autorisée sur l’ancien serveur" in french


def test_a_copy_started_by_an_app_finishes_in_any_browser(client, db, make_user):
    """The answer to a copy an app started may come back to a browser not signed in here
    (the app opened it): a refusal there is a page of its own."""
    alice = make_user("alice")
    copy_id, state = begun(db, alice.account_id, via="api")
    answer = callback(client, error="access_denied", state=state)
    assert answer.status_code == 200 and "You did not allow the copy" in answer.text
    assert db.run_sync(transfers.get, copy_id).state == "denied"


def test_a_finished_copy_offers_to_follow_the_same_accounts(client, db, make_user):
    alice = make_user("alice")
    make_user("bob")
    as_person(client, "alice")
    copy_id, _state = begun(db, alice.account_id)
    db.run_sync(transfers.authorized, copy_id, "https://old.example/users/alice", "tok")
    db.run_sync(
        lambda tx: transfers.advance(
            tx, copy_id, cursor=None, total=3, imported=2, skipped={"direct": 1}, favourites=1
        )
    )
    db.run_sync(following.add, copy_id, ["https://pnyx.test/users/bob"])
    running = html.unescape(page(client, PATH))
    assert "Waiting to start" in running and 'http-equiv="refresh"' in running
    assert "3 of 3 posts processed" in running and "Follow the same accounts" not in running
    form = page(client, PATH)
    early = client.post(
        f"{PATH}/{copy_id}/follow", data={"csrf_token": csrf_token(form)}, headers=HTML
    )
    assert "The copy is not over yet" in html.unescape(early.text)
    db.run_sync(transfers.finish, copy_id)
    db.run_sync(lambda tx: tx.execute(jobs.delete()))
    done = html.unescape(page(client, PATH))
    assert "Finished" in done and 'http-equiv="refresh"' not in done
    assert "Posts copied: 2. Skipped: 1. Failed: 0. Favourites: 1. Blocks: 0." in done
    assert "Skipped: direct messages: 1" in done
    assert "Your old account followed 1 accounts." in done
    answer = client.post(
        f"{PATH}/{copy_id}/follow",
        data={"csrf_token": csrf_token(form)},
        headers=HTML,
        follow_redirects=False,
    )
    assert answer.headers["location"] == PATH + "?following=1"
    assert db.run_sync(lambda tx: tx.scalars(sa.select(jobs.c.kind))) == [following.FOLLOW_JOB]
    shown = html.unescape(page(client, PATH + "?following=1"))
    assert "The same accounts are being followed" in shown
    assert "Following the same accounts: 0 of 1." in shown
    assert (
        client.post(f"{PATH}/999/follow", data={"csrf_token": csrf_token(form)}).status_code == 404
    )


def test_every_string_is_translated():
    web = copy_pages.__file__.rsplit("/", 1)[0]
    found = set()
    for _line, message, _c, _ctx in extract_from_file(
        "jinja2.ext.babel_extract",
        f"{web}/templates/site/settings_import_copy.html",
        keywords={"_": None},
        options={"extensions": "jinja2.ext.i18n", "trim_blocks": "true"},
    ):
        found.add(message if isinstance(message, str) else message[0])
    for _line, message, _c, _ctx in extract_from_file(
        "python", copy_pages.__file__, keywords={"_": None, "N_": None}
    ):
        found.add(message if isinstance(message, str) else message[0])
    catalogs = []
    for po in sorted(Path(f"{web}/locale/fr/LC_MESSAGES").glob("*.po")):
        with po.open("rb") as fh:
            catalogs.append(read_po(fh, locale="fr"))
    assert "Copy your account from another server" in found
    missing = [m for m in found if not any(c.get(m) and c.get(m).string for c in catalogs)]
    assert sorted(missing) == []
    # Every problem the network side names has its sentence here.
    assert lola_client.PROBLEMS == copy_pages.PROBLEMS
