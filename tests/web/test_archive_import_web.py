"""Importing an archive in the browser (`/settings/import/archive`): the form, the progress
and results, a refusal with its reason (in French too), and the post page's origin line."""

from __future__ import annotations

import html

from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from mastodon_archive import make_zip
from pnyx import registry
from pnyx.web import archive_import_pages
from web.forms import HTML, as_person, csrf_token, page

PATH = "/settings/import/archive"
FRENCH = {"Accept-Language": "fr"}


def post_archive(client, path, *, token=None):
    form = page(client, PATH)
    return client.post(
        PATH,
        data={"csrf_token": token if token is not None else csrf_token(form)},
        files={"file": (path.name, path.read_bytes(), "application/zip")},
        headers=HTML,
        follow_redirects=False,
    )


def test_upload_progress_and_results(client, app, make_user, tmp_path):
    alice = make_user("alice")
    as_person(client, "alice")
    shown = page(client, PATH)
    assert "Upload an archive" in shown and "You have not imported an archive yet." in shown
    answer = post_archive(client, make_zip(tmp_path / "archive.zip"))
    assert answer.status_code == 303 and answer.headers["location"] == PATH + "?saved=1"
    waiting = page(client, PATH + "?saved=1")
    assert "Your archive was uploaded." in waiting and "Waiting to start" in waiting
    assert 'http-equiv="refresh"' in waiting  # it reloads itself while the import runs
    registry.drain(app.state.db)
    done = html.unescape(page(client, PATH))
    assert "Finished" in done and 'http-equiv="refresh"' not in done
    assert "14 of 14 items processed" in done
    assert "Posts imported: 12. Skipped: 2. Failed: 0." in done
    assert "Skipped: boosts (someone else's posts): 1, direct messages: 1" in done
    french = html.unescape(page(client, PATH, **FRENCH))
    assert "Publications importées : 12." in french

    statuses = client.get(
        f"/api/v1/accounts/{alice.account_id}/statuses", headers=alice.headers
    ).json()
    poll = next(s for s in statuses if s["poll"])
    post = html.unescape(page(client, f"/@alice/{poll['id']}"))
    assert "Imported from old.example, first posted" in post
    assert 'href="https://old.example/@alice/105500000000000008"' in post
    assert "Importée depuis old.example" in html.unescape(
        page(client, f"/@alice/{poll['id']}", **FRENCH)
    )


def test_a_refused_archive_says_why(client, make_user, tmp_path):
    make_user("alice")
    as_person(client, "alice")
    text = tmp_path / "notes.zip"
    text.write_text("not a zip")
    answer = post_archive(client, text)
    assert answer.status_code == 422 and "This is not a zip archive." in answer.text
    form = page(client, PATH, **FRENCH)
    french = client.post(
        PATH,
        data={"csrf_token": csrf_token(form)},
        files={"file": ("notes.zip", b"not a zip", "application/zip")},
        headers={**HTML, **FRENCH},
    )
    assert french.status_code == 422
    assert "Ce n’est pas une archive zip." in html.unescape(french.text)
    assert post_archive(client, text, token="forged").status_code == 403
    as_person(client, None)
    assert client.get(PATH, headers=HTML, follow_redirects=False).status_code == 303


WEB = archive_import_pages.__file__.rsplit("/", 1)[0]


def test_every_string_of_the_page_has_a_french_translation():
    found: set[str] = set()
    for name in ("settings_import_archive.html", "status_page.html"):
        for _line, message, _c, _ctx in extract_from_file(
            "jinja2.ext.babel_extract",
            f"{WEB}/templates/site/{name}",
            keywords={"_": None},
            options={"extensions": "jinja2.ext.i18n", "trim_blocks": "true"},
        ):
            found.add(message if isinstance(message, str) else message[0])
    for _line, message, _c, _ctx in extract_from_file(
        "python", archive_import_pages.__file__, keywords={"_": None, "N_": None}
    ):
        found.add(message if isinstance(message, str) else message[0])
    with open(f"{WEB}/locale/fr/LC_MESSAGES/archive_import.po", "rb") as fh:
        mine = read_po(fh, locale="fr")
    catalogs = [mine]
    for po in sorted(__import__("pathlib").Path(f"{WEB}/locale/fr/LC_MESSAGES").glob("*.po")):
        with po.open("rb") as fh:
            catalogs.append(read_po(fh, locale="fr"))
    assert "Import posts from an archive" in found
    missing = [m for m in found if not any(c.get(m) and c.get(m).string for c in catalogs)]
    assert sorted(missing) == []
