"""Labels in the web UI (issue 12): a badge on each labeled post for the people who apply its
labeler (home, the public timelines, a thread), a label set to warn puts the post behind a
warning, one set to hide leaves it out; a label's page for browsers at the address servers
read its signed object from; the labelers' settings page (subscribe by handle, choose what
each label does, unsubscribe); every string in French."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

import pnyx.web
from pnyx.core import accounts, labels
from pnyx.core.remote_store import IncomingAccount, store_account

from .forms import HTML, api, as_person, csrf_token, page

WEB = Path(pnyx.web.__file__).parent
DEFINITIONS = {
    "definitions": [
        {
            "value": "disputed",
            "severity": "warn",
            "default_setting": "warn",
            "locales": [
                {"lang": "en", "name": "Disputed", "description": "Claims in dispute"},
                {"lang": "fr", "name": "Contesté", "description": "Affirmations contestées"},
            ],
        },
        {
            "value": "satire",
            "severity": "inform",
            "default_setting": "show",
            "locales": [{"lang": "en", "name": "Satire", "description": "Not a report"}],
        },
        {"value": "gore", "severity": "hide", "default_setting": "hide"},
    ]
}


@pytest.fixture
def world(client, make_user):
    """checkers (a labeler), an author, a reader who subscribes to checkers and an other who
    does not, both following the author; a post labeled disputed by checkers."""
    checkers, author, reader, other = (
        make_user(n) for n in ("checkers", "author", "reader", "other")
    )
    api(client, "PUT", "/api/v1/pnyx/labeler", checkers, json=DEFINITIONS)
    for person in (reader, other):
        api(client, "POST", f"/api/v1/accounts/{author.account_id}/follow", person)
    post = api(client, "POST", "/api/v1/statuses", author, json={"status": "Moon of cheese"})
    label = api(
        client,
        "POST",
        "/api/v1/pnyx/labels",
        checkers,
        json={"subject": post["uri"], "value": "disputed", "reason": "See the survey"},
    )
    api(client, "POST", f"/api/v1/pnyx/labelers/{checkers.account_id}/subscribe", reader)
    return {
        "checkers": checkers,
        "author": author,
        "reader": reader,
        "other": other,
        "post": post,
        "label": label,
        "thread": f"/@author/{post['id']}",
    }


def badge(label_id: str) -> str:
    return f'href="/labels/{label_id}"'


def article(text: str, status_id: str) -> str:
    """The HTML of one post on a page ('' when it is not there)."""
    found = re.search(rf'<article class="status" id="status-{status_id}".*?</article>', text, re.S)
    return found.group(0) if found else ""


def test_a_subscriber_sees_the_badge_and_the_warning_everywhere_and_others_do_not(client, world):
    post, label = world["post"], world["label"]
    as_person(client, "reader")
    for path in ("/home", "/public/local", "/public", world["thread"]):
        shown = article(page(client, path), post["id"])
        assert shown, path
        assert badge(label["id"]) in shown, path
        assert "Disputed · @checkers" in shown, path
        # Set to warn (its default): the post is behind a warning naming the label.
        assert '<details class="cw label-warning">' in shown, path
        assert "Label: Disputed" in shown, path
        assert "Moon of cheese" in shown.split('<details class="cw label-warning">')[1], path

    # In French, the label's French name.
    shown = article(page(client, "/home", **{"Accept-Language": "fr"}), post["id"])
    assert "Contesté · @checkers" in shown and "Étiquette : Contesté" in shown

    for person in ("other", None):
        as_person(client, person)
        paths = ("/public/local", "/public", world["thread"])
        for path in ("/home", *paths) if person else paths:
            shown = article(page(client, path), post["id"])
            assert "Moon of cheese" in shown, (person, path)
            assert badge(label["id"]) not in shown and "label-warning" not in shown


def test_an_informing_label_is_a_badge_without_a_warning(client, world, app):
    checkers, post = world["checkers"], world["post"]
    author_uri = app.state.db.run_sync(accounts.get, world["author"].account_id).uri
    satire = api(
        client,
        "POST",
        "/api/v1/pnyx/labels",
        checkers,
        json={"subject": post["uri"], "value": "satire"},
    )
    # A label on the author counts on each of their posts.
    on_author = api(
        client,
        "POST",
        "/api/v1/pnyx/labels",
        checkers,
        json={"subject": author_uri, "value": "satire"},
    )
    api(
        client,
        "POST",
        "/api/v1/pnyx/labels",
        checkers,
        json={"subject": post["uri"], "value": "disputed", "neg": True},
    )
    as_person(client, "reader")
    shown = article(page(client, "/home"), post["id"])
    assert badge(satire["id"]) in shown and "Satire · @checkers" in shown
    assert badge(on_author["id"]) in shown and "(on its author)" in shown
    assert badge(world["label"]["id"]) not in shown  # taken back
    assert "label-warning" not in shown


def test_a_label_set_to_hide_leaves_the_post_out(client, world):
    reader, checkers, post = world["reader"], world["checkers"], world["post"]
    reply = api(
        client,
        "POST",
        "/api/v1/statuses",
        world["other"],
        json={"status": "Gory details", "in_reply_to_id": post["id"]},
    )
    api(
        client,
        "POST",
        "/api/v1/pnyx/labels",
        checkers,
        json={"subject": reply["uri"], "value": "gore"},
    )
    api(
        client,
        "POST",
        f"/api/v1/pnyx/labelers/{checkers.account_id}/settings",
        reader,
        json={"value": "disputed", "setting": "hide"},
    )
    as_person(client, "reader")
    for path in ("/home", "/public/local", "/public", "/@author"):
        text = page(client, path)
        assert not article(text, post["id"]) and "Moon of cheese" not in text, path
    # The thread of the post itself shows it (it was opened) behind the warning; the reply a
    # label hides (gore hides by default) is left out.
    thread = page(client, world["thread"])
    assert '<details class="cw label-warning">' in article(thread, post["id"])
    assert not article(thread, reply["id"]) and "Gory details" not in thread
    # Someone who does not apply checkers sees both.
    as_person(client, "other")
    thread = page(client, world["thread"])
    assert "Moon of cheese" in thread and "Gory details" in thread


def test_the_label_page_for_browsers_and_the_object_for_servers(client, world):
    label = world["label"]
    path = f"/labels/{label['id']}"
    answer = client.get(path, headers=HTML)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    assert "Accept" in answer.headers["vary"]
    text = answer.text
    assert "<h1>Label “Disputed”</h1>" in text
    for part in (
        "@checkers",
        "<code>disputed</code>",
        "Claims in dispute",
        "See the survey",
        "In force",
        "No end date",
        f'href="{world["thread"]}"',
    ):
        assert part in text, part
    french = page(client, path, **{"Accept-Language": "fr"})
    assert "Étiquette « Contesté »" in french and "Affirmations contestées" in french

    served = client.get(path, headers={"Accept": "application/activity+json"})
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("application/activity+json")
    document = served.json()
    assert document["type"] == "Label" and document["labelValue"] == "disputed"
    assert document["id"] == label["uri"] and "proof" in document

    assert client.get("/labels/999999999", headers=HTML).status_code == 404
    assert client.get("/labels/99999999999999999999", headers=HTML).status_code == 404


def test_the_page_of_a_label_received_from_another_server(client, world, app):
    post = world["post"]

    def received(tx):
        labeler = store_account(
            tx,
            IncomingAccount(
                uri="https://labels.example/users/watch",
                username="watch",
                domain="labels.example",
                inbox_url="https://labels.example/users/watch/inbox",
                display_name="The watch",
            ),
        )
        labels.define(tx, labeler, [labels.Definition("misleading", "warn", "warn")])
        return labels.issue(
            tx,
            labeler,
            labels.LabelInput(
                subject_uri=post["uri"],
                value="misleading",
                labeled_at=tx.now - timedelta(hours=1),
                expires_at=tx.now + timedelta(days=3),
                reason="Out of context",
                uri="https://labels.example/labels/7",
            ),
        )

    label_id = app.state.db.run_sync(received)
    text = page(client, f"/labels/{label_id}")
    assert "<h1>Label “misleading”</h1>" in text
    assert "@watch@labels.example" in text and "Out of context" in text
    assert "Its labeler gave no description." in text and "No end date" not in text
    # Servers read it from its own server, not here.
    served = client.get(f"/labels/{label_id}", headers={"Accept": "application/activity+json"})
    assert served.status_code == 404


def settings_form(client, action: str, **fields):
    token = csrf_token(client.get("/settings/labelers").text)
    return client.post(action, data={"csrf_token": token, **fields}, follow_redirects=False)


def disputed_choice(text: str, labeler_id: int) -> str:
    """The select of a labeler's "disputed" label (the instance's labeler has one too)."""
    return re.search(rf'<select id="label-{labeler_id}-disputed".*?</select>', text, re.S).group(0)


def test_the_labelers_settings_page(client, make_user, app):
    checkers = make_user("checkers")
    make_user("plain")
    reader = make_user("reader")
    api(client, "PUT", "/api/v1/pnyx/labeler", checkers, json=DEFINITIONS)
    as_person(client, "reader")
    text = page(client, "/settings/labelers")
    assert 'href="/settings/labelers" aria-current="page"' in text
    # The instance's labeler first, with its labels and no way to leave it.
    instance = re.search(r'<section class="panel labeler" id="labeler-(\d+)"', text).group(1)
    assert "This instance&#39;s labeler" in text and "@moderation" in text
    assert f"/settings/labelers/{instance}/unsubscribe" not in text
    assert "@checkers" not in text

    # Refusals, translated.
    for handle, message in (
        ("", "Enter the handle of a labeler"),
        ("nobody", "No account was found with this handle."),
        ("plain", "This account publishes no labels."),
        ("reader", "You cannot subscribe to your own labels."),
    ):
        answer = settings_form(client, "/settings/labelers/subscribe", handle=handle)
        assert answer.status_code == 422 and message in answer.text, handle
    answer = client.post(
        "/settings/labelers/subscribe",
        data={"csrf_token": csrf_token(text), "handle": "plain"},
        headers={"Accept-Language": "fr"},
    )
    assert "Ce compte ne publie aucune étiquette." in answer.text

    answer = settings_form(client, "/settings/labelers/subscribe", handle="@checkers")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/settings/labelers?saved=subscribed")
    text = page(client, answer.headers["location"])
    assert "You now apply this labeler&#39;s labels." in text
    section = text.split(f'id="labeler-{checkers.account_id}"')[1]
    assert text.index(f'id="labeler-{instance}"') < text.index(
        f'id="labeler-{checkers.account_id}"'
    )
    select = disputed_choice(text, checkers.account_id)
    assert '<option value="warn" selected>Warn (default)</option>' in select
    assert "Claims in dispute" in section and "Severity: Warns." in section

    answer = settings_form(
        client,
        f"/settings/labelers/{checkers.account_id}",
        **{"label-disputed": "hide", "label-satire": "show", "label-gore": "hide"},
    )
    assert answer.status_code == 303 and "saved=settings" in answer.headers["location"]
    chosen = app.state.db.run_sync(labels.settings_of, reader.account_id)
    assert chosen == {(checkers.account_id, "disputed"): "hide"}  # the others kept the default
    select = disputed_choice(page(client, "/settings/labelers"), checkers.account_id)
    assert '<option value="hide" selected>Hide</option>' in select
    assert "Warn (default)" in select
    bad = settings_form(
        client, f"/settings/labelers/{checkers.account_id}", **{"label-satire": "never"}
    )
    assert bad.status_code == 422 and "Choose show, warn or hide." in bad.text

    answer = settings_form(client, f"/settings/labelers/{checkers.account_id}/unsubscribe")
    assert answer.status_code == 303 and "saved=unsubscribed" in answer.headers["location"]
    assert app.state.db.run_sync(labels.subscribed_ids, reader.account_id) == []
    assert "@checkers" not in page(client, "/settings/labelers")


def test_the_labelers_settings_need_a_session_and_a_form_token(client, make_user):
    assert client.get("/settings/labelers", follow_redirects=False).headers["location"] == (
        "/auth/sign_in"
    )
    make_user("reader")
    as_person(client, "reader")
    answer = client.post("/settings/labelers/subscribe", data={"handle": "moderation"})
    assert answer.status_code == 403


PAGES = ("_status.html", "label.html", "_label_macros.html", "settings_labelers.html")
MODULES = ("label_page.py", "labeler_settings.py", "label_badges.py")


def test_every_string_of_the_label_pages_has_a_french_translation():
    found: set[str] = set()
    for name in PAGES:
        for _line, message, _comments, _context in extract_from_file(
            "jinja2.ext.babel_extract",
            str(WEB / "templates" / "site" / name),
            keywords={"_": None, "ngettext": (1, 2)},
            options={"extensions": "jinja2.ext.i18n", "trim_blocks": "true"},
        ):
            found.add(message if isinstance(message, str) else message[0])
    for module in MODULES:
        for _line, message, _comments, _context in extract_from_file(
            "python", str(WEB / module), keywords={"_": None, "N_": None}
        ):
            found.add(message if isinstance(message, str) else message[0])
    assert len(found) > 50
    catalogs = []
    for po in sorted((WEB / "locale" / "fr" / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as fh:
            catalogs.append(read_po(fh, locale="fr"))
    assert sorted(m for m in found if not any(c.get(m) and c.get(m).string for c in catalogs)) == []
