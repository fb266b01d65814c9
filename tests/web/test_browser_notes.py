"""Community notes in a real browser (Chromium against a real `pnyx serve`): a person writes a
note from a post's page (a refusal first, then the note), another rates notes in the queue
(with the keyboard: the note leaves the queue), and a note rated helpful is read under its post
and leads to its page; no serious accessibility violation on any of these pages."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from pnyx.core import accounts
from pnyx.core.notes import vocabulary, writing
from pnyx.db.tables import accounts as accounts_table
from pnyx.db.tables import community_notes

from . import browser as helpers

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-notes")]

SOURCE = "https://example.org/survey"


def no_serious_violations(page) -> None:
    bad = helpers.serious(helpers.run_axe(page, helpers.axe_source()))
    assert not bad, f"{page.url}:\n" + helpers.describe(bad)


def heading(page) -> str:
    return page.get_by_role("heading", level=1).inner_text().strip()


def old_enough(server, *usernames: str) -> None:
    """Accounts old enough to write and rate notes (set-up)."""

    def work(tx):
        for name in usernames:
            tx.execute(
                sa.update(accounts_table)
                .where(accounts_table.c.id == accounts.find_local(tx, name).id)
                .values(created_at=tx.now - timedelta(days=30))
            )

    helpers.in_database(server, work)


def people(server, word: str, *roles: str) -> dict[str, str]:
    names = {role: f"{role}{word}" for role in roles}
    for name in names.values():
        server.create_user(name, f"{name}@example.com", helpers.PASSWORD)
    old_enough(server, *names.values())
    return names


def a_note(server, writer: str, status_id: str, summary: str) -> int:
    def work(tx):
        data = writing.NoteInput(
            int(status_id), vocabulary.MISLEADING, ["misleadingFactualError"], summary
        )
        return writing.write(tx, accounts.find_local(tx, writer).id, data)

    return helpers.in_database(server, work)


def test_writing_a_note(chromium, web_server):
    server = web_server
    word = uuid.uuid4().hex[:8]
    names = people(server, word, "writer")
    author = helpers.login(server, f"author{word}")
    post = author.api.status_post(f"The moon is made of cheese {word}")
    page = helpers.new_page(helpers.signed_in_context(chromium, server, names["writer"]))
    try:
        page.goto(f"{server.base_url}/@{author.username}/{post['id']}")
        page.get_by_role("link", name="Write a note").click()
        page.wait_for_url(re.compile(r"/notes/new\?status="))
        assert heading(page) == "Write a note"
        assert page.get_by_text(f"The moon is made of cheese {word}").is_visible()
        no_serious_violations(page)

        page.get_by_label("Misinformed or potentially misleading").check()
        page.get_by_label("It contains a factual error").check()
        page.get_by_label("Your note").fill(f"Surveys show otherwise {word}")
        page.get_by_role("button", name="Publish the note").click()
        page.wait_for_load_state()
        error = "A note on a misleading post must link at least one source (https://…)."
        assert page.get_by_role("alert").get_by_text(error).is_visible()
        note_field = page.get_by_label("Your note")
        assert note_field.get_attribute("aria-invalid") == "true"
        assert note_field.input_value() == f"Surveys show otherwise {word}"
        no_serious_violations(page)

        note_field.fill(f"Surveys show otherwise {word}: {SOURCE}")
        page.get_by_label("Did you link to sources most people would trust?").check()
        page.get_by_role("button", name="Publish the note").click()
        page.wait_for_url(re.compile(r"/notes/\d+\?saved=written$"))
        assert heading(page) == "Community note"
        assert page.get_by_role("status").inner_text().startswith("Your note was published.")
        assert page.get_by_role("heading", name="Needs more ratings").is_visible()
        assert page.get_by_role("link", name=SOURCE).get_attribute("rel") == "nofollow noopener"
        assert page.get_by_role("heading", name="You wrote this note").is_visible()
        assert page.get_by_role("button", name="Delete this note").is_visible()
        no_serious_violations(page)
        assert not page.watch.errors, page.watch.errors
    finally:
        page.context.close()


def test_rating_notes_in_the_queue(chromium, web_server):
    server = web_server
    word = uuid.uuid4().hex[:8]
    names = people(server, word, "writer", "rater")
    author = helpers.login(server, f"author{word}")
    post = author.api.status_post(f"Water boils at 50 degrees {word}")
    note_id = a_note(server, names["writer"], post["id"], f"It boils at 100 {word}: {SOURCE}")
    page = helpers.new_page(helpers.signed_in_context(chromium, server, names["rater"]))
    try:
        page.goto(server.base_url + "/home")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Rate notes").click()
        page.wait_for_url(re.compile(r"/notes/rate$"))
        assert heading(page) == "Rate notes"
        item = page.locator(f"#note-{note_id}")
        assert item.get_by_text(f"Water boils at 50 degrees {word}").is_visible()
        assert item.get_by_text(f"It boils at 100 {word}").is_visible()
        no_serious_violations(page)

        # With the keyboard: "Yes", then the reasons, then the button.
        item.get_by_label("Yes").focus()
        page.keyboard.press("Space")
        assert item.get_by_label("Yes").is_checked()
        item.get_by_text("Say why (optional)").focus()
        page.keyboard.press("Enter")
        item.get_by_label("Easy to understand").focus()
        page.keyboard.press("Space")
        item.get_by_label("Cites high-quality sources").check()
        assert item.get_by_label("Easy to understand").is_checked()
        item.get_by_role("button", name="Rate this note").focus()
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/notes/rate\?saved=rated$"))
        assert page.get_by_role("status").inner_text() == "Your rating was saved."
        assert page.locator(f"#note-{note_id}").count() == 0
        no_serious_violations(page)

        # The note's page starts from the rating given.
        page.goto(f"{server.base_url}/notes/{note_id}")
        assert page.get_by_label("Yes").is_checked()
        assert page.get_by_label("Easy to understand").is_checked()
        assert page.get_by_label("Cites high-quality sources").is_checked()
        assert page.get_by_role("button", name="Remove my rating").is_visible()
        no_serious_violations(page)
        assert not page.watch.errors, page.watch.errors
    finally:
        page.context.close()


def test_context_under_a_post(chromium, web_server):
    server = web_server
    word = uuid.uuid4().hex[:8]
    names = people(server, word, "writer")
    author = helpers.login(server, f"author{word}")
    post = author.api.status_post(f"Vaccines contain microchips {word}")
    note_id = a_note(server, names["writer"], post["id"], f"They do not {word}: {SOURCE}")

    def rated_helpful(tx):
        tx.execute(
            community_notes.update()
            .where(community_notes.c.id == note_id)
            .values(
                status=vocabulary.CURRENTLY_RATED_HELPFUL,
                tags=["helpfulGoodSources", "helpfulImportantContext"],
            )
        )

    helpers.in_database(server, rated_helpful)
    page = helpers.new_page(chromium.new_context())
    try:
        page.goto(f"{server.base_url}/@{author.username}/{post['id']}")
        box = page.locator(f"#status-{post['id']}").get_by_role(
            "note", name="Readers added context"
        )
        assert box.get_by_text(f"They do not {word}").is_visible()
        assert box.get_by_text(
            "Cites high-quality sources · Provides important context"
        ).is_visible()
        assert box.get_by_role("link", name=SOURCE).get_attribute("href") == SOURCE
        no_serious_violations(page)

        box.get_by_role("link", name="Rate it").click()
        page.wait_for_url(re.compile(rf"/notes/{note_id}$"))
        assert page.get_by_role("heading", name="Rated helpful").is_visible()
        assert page.get_by_role("link", name="Sign in to rate this note.").is_visible()
        no_serious_violations(page)
        assert not page.watch.errors, page.watch.errors
    finally:
        page.context.close()
