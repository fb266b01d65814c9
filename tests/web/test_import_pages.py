"""The import page (`/settings/import`): Mastodon's form (what the file holds, merge or
overwrite, the file) posted with its CSRF token, the import listed with its progress and each
failed row, a refused file shown again with the reason, in English and in French; the page is
in the settings navigation and links to the import of an archive's posts."""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

import pnyx.web
from pnyx import registry
from pnyx.db.tables import blocks, users

from .forms import HTML, as_person, csrf_token, page

WEB = Path(pnyx.web.__file__).parent
FRENCH = {**HTML, "Accept-Language": "fr"}


def upload(client, token: str, kind: str, content: bytes, mode: str = "merge", **extra):
    return client.post(
        "/settings/import/csv",
        data={"csrf_token": token, "type": kind, "mode": mode},
        files={"data": ("blocked_accounts.csv", content, "text/csv")},
        headers=HTML,
        follow_redirects=False,
        **extra,
    )


def test_signed_out_visitors_are_sent_to_sign_in(client):
    answer = client.get("/settings/import", headers=HTML, follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/auth/sign_in")


def test_an_uploaded_file_is_imported_and_its_progress_and_failures_shown(client, make_user):
    me, bob = make_user("me"), make_user("bob")
    as_person(client, "me")
    form = page(client, "/settings/import")
    assert '<a href="/settings/import" aria-current="page">Import</a>' in form
    assert '<a href="/settings/import/archive">Import posts from an archive</a>' in form
    assert 'enctype="multipart/form-data"' in form and "You have not imported anything yet." in form
    for kind in ("following", "blocking", "muting", "domain_blocking", "bookmarks", "lists"):
        assert f'<option value="{kind}"' in form
    answer = upload(client, csrf_token(form), "blocking", b"bob@pnyx.test\nnobody@pnyx.test\n")
    assert (answer.status_code, answer.headers["location"]) == (303, "/settings/import?saved=1")
    listed = page(client, "/settings/import?saved=1")
    assert "Your file was uploaded." in listed
    assert "Blocking list · Merge · blocked_accounts.csv" in listed
    assert "Waiting to start" in listed and "0 of 2 rows processed" in listed
    registry.drain(client.app.state.db)
    done = page(client, "/settings/import")
    assert "Finished" in done and "2 of 2 rows processed" in done
    assert "Imported: 1. Failed: 1." in done
    assert "<li>Row 2: <code>nobody@pnyx.test</code>: Account not found</li>" in done
    # The failed rows, as Mastodon offers them: a file of the same type to import again.
    link = re.search(r'<a href="(/settings/import/\d+/failures.csv)" download>', done).group(1)
    failed = client.get(link, headers=HTML)
    assert (failed.status_code, failed.text) == (200, "nobody@pnyx.test\n")
    assert failed.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="blocked_accounts_failures.csv"' in failed.headers["content-disposition"]
    as_person(client, "bob")
    assert client.get(link, headers=HTML).status_code == 404  # someone else's
    assert client.get("/settings/import/99999999999999999999/failures.csv").status_code == 404
    blocked = client.app.state.db.run_sync(
        lambda tx: tx.scalars(sa.select(blocks.c.target_account_id).where(blocks.c.account_id == me.account_id))
    )  # fmt: skip
    assert blocked == [bob.account_id]


def test_a_refused_file_shows_the_form_again_with_the_reason_in_french_too(client, make_user):
    make_user("me")
    as_person(client, "me")
    form = page(client, "/settings/import")
    answer = upload(
        client, csrf_token(form), "domain_blocking", b"Account address\nx@y.example\n", "overwrite"
    )
    assert answer.status_code == 422
    assert (
        "This file does not fit what you chose: such a file has the columns #domain." in answer.text
    )
    assert 'aria-invalid="true"' in answer.text
    assert '<option value="domain_blocking" selected>' in answer.text  # the choices are kept
    assert 'id="mode-overwrite" name="mode" value="overwrite" checked' in answer.text
    empty = upload(client, csrf_token(form), "blocking", b"")
    assert empty.status_code == 422 and "Choose the file to import." in empty.text
    client.app.state.db.run_sync(
        lambda tx: tx.execute(users.update().values(locale="fr"))
    )  # the person chose French
    french = upload(client, csrf_token(form), "blocking", b"\x00\x01binary")
    assert french.status_code == 422
    assert "Ce n’est pas un fichier CSV : il contient des données binaires." in french.text
    assert "Importer un fichier CSV" in french.text and "Liste de comptes bloqués" in french.text


def test_a_form_without_its_token_is_refused(client, make_user):
    make_user("me")
    as_person(client, "me")
    page(client, "/settings/import")
    answer = upload(client, "not-the-token", "blocking", b"x@y.example\n")
    assert answer.status_code == 403


def test_the_page_is_in_the_settings_navigation(client, make_user):
    make_user("me")
    as_person(client, "me")
    assert '<a href="/settings/import">Import</a>' in page(client, "/settings/profile")
    french = client.get("/settings/import", headers=FRENCH).text
    assert "Importer des publications depuis une archive" in french


def test_every_string_of_the_import_page_has_a_french_translation():
    found: set[str] = set()
    for _line, message, _comments, _context in extract_from_file(
        "jinja2.ext.babel_extract",
        str(WEB / "templates" / "site" / "settings_import.html"),
        keywords={"_": None, "ngettext": (1, 2)},
        options={"extensions": "jinja2.ext.i18n", "trim_blocks": "true"},
    ):
        found.add(message if isinstance(message, str) else message[0])
    for _line, message, _comments, _context in extract_from_file(
        "python", str(WEB / "import_pages.py"), keywords={"_": None, "N_": None}
    ):
        found.add(message if isinstance(message, str) else message[0])
    assert len(found) > 40
    catalogs = []  # imports.po, and the catalogs of the pages it links to (lola.po ...)
    for po in sorted((WEB / "locale" / "fr" / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as fh:
            catalogs.append(read_po(fh, locale="fr"))
    missing = [m for m in found if not any(c.get(m) and c.get(m).string for c in catalogs)]
    assert sorted(missing) == []
