"""The export page (`/settings/export`): the archive asked for with the page's form (its CSRF
token), its progress while it is prepared, its parts to download (with the web session) with
their size and expiry, one unfinished archive at a time, the CSV files; in English and French;
in the settings navigation; every string translated."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

import pnyx.web
from pnyx.api import exports as api_exports
from pnyx.core.exports import records
from pnyx.portability import archive
from pnyx.web import session

from .forms import HTML, as_person, csrf_token, page

WEB = Path(pnyx.web.__file__).parent
FRENCH = {**HTML, "Accept-Language": "fr"}


def ask(client, token: str):
    return client.post(
        "/settings/export", data={"csrf_token": token}, headers=HTML, follow_redirects=False
    )


def test_signed_out_visitors_are_sent_to_sign_in(client):
    answer = client.get("/settings/export", headers=HTML, follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/auth/sign_in")


def test_an_archive_is_asked_for_followed_and_downloaded(client, make_user):
    me = make_user("me")
    client.post("/api/v1/statuses", json={"status": "take me along"}, headers=me.headers)
    as_person(client, "me")
    form = page(client, "/settings/export")
    assert '<a href="/settings/export" aria-current="page">Export</a>' in form
    assert "You have not asked for an archive yet." in form
    for kind in (
        "following",
        "followers",
        "lists",
        "blocks",
        "mutes",
        "domain_blocks",
        "bookmarks",
    ):
        assert f'href="/api/v1/pnyx/exports/csv/{kind}.csv"' in form
    answer = ask(client, csrf_token(form))
    assert (answer.status_code, answer.headers["location"]) == (303, "/settings/export?saved=1")
    waiting = page(client, "/settings/export?saved=1")
    assert "Your archive is being prepared." in waiting and "Waiting to start" in waiting
    assert '<a href="/settings/export">Refresh</a>' in waiting
    assert "disabled" in waiting  # no second request while one is prepared
    again = ask(client, csrf_token(waiting))
    assert again.status_code == 422
    assert "An archive is already being prepared: wait for it to be ready." in again.text

    [export] = client.app.state.db.run_sync(records.list_own, me.account_id)
    archive.build(client.app.state.db, export.id)
    ready = page(client, "/settings/export")
    assert "Ready to download" in ready and "Can be downloaded until" in ready
    assert "Refresh" not in ready
    link = f"/api/v1/pnyx/exports/{export.id}/parts/1"
    assert f'<a href="{link}" download>Part 1 of 1</a>' in ready
    # The download link works with the web session alone (the API's route reads it too).
    assert api_exports.SESSION_COOKIE == session.SESSION_COOKIE
    download = client.get(link)
    assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
    outbox = zipfile.ZipFile(io.BytesIO(download.content)).read("outbox.json")
    assert b"take me along" in outbox
    csv_file = client.get("/api/v1/pnyx/exports/csv/following.csv")
    assert csv_file.status_code == 200
    assert csv_file.text == "Account address,Show boosts,Notify on new posts,Languages\n"
    # Someone else's session downloads nothing.
    make_user("you")
    as_person(client, "you")
    assert client.get(link).status_code == 404


def test_the_page_in_french(client, make_user):
    make_user("me")
    as_person(client, "me")
    french = client.get("/settings/export", headers=FRENCH).text
    assert "Demander votre archive" in french and "Fichiers CSV" in french
    assert "Comptes bloqués" in french
    assert (
        '<a href="/settings/export">Exporter</a>'
        in client.get("/settings/profile", headers=FRENCH).text
    )


def test_a_form_without_its_token_is_refused(client, make_user):
    make_user("me")
    as_person(client, "me")
    assert ask(client, "forged").status_code == 403


def test_every_string_of_the_export_page_has_a_french_translation():
    found: set[str] = set()
    for _line, message, _comments, _context in extract_from_file(
        "jinja2.ext.babel_extract",
        str(WEB / "templates" / "site" / "settings_export.html"),
        keywords={"_": None, "ngettext": (1, 2)},
        options={"extensions": "jinja2.ext.i18n", "trim_blocks": "true"},
    ):
        found.add(message if isinstance(message, str) else message[0])
    for _line, message, _comments, _context in extract_from_file(
        "python", str(WEB / "export_pages.py"), keywords={"_": None, "N_": None}
    ):
        found.add(message if isinstance(message, str) else message[0])
    assert len(found) > 30
    with (WEB / "locale" / "fr" / "LC_MESSAGES" / "exports.po").open("rb") as fh:
        catalog = read_po(fh, locale="fr")
    assert sorted(m for m in found if not (catalog.get(m) and catalog.get(m).string)) == []
