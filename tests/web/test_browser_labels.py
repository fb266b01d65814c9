"""Labels in a real browser (Chromium against a real `pnyx serve`): a person adds a labeler on
the labelers' settings page, reads a labeled post behind its warning and opens it, follows its
badge to the label's page, then sets the label to show (mouse) and to hide (keyboard) and sees
the post change accordingly; no serious accessibility violation on any of these pages."""

from __future__ import annotations

import re
import uuid

import pytest

from pnyx.core import accounts, labels

from . import browser as helpers

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-labels")]

DEFINITIONS = (
    labels.Definition(
        "disputed",
        "warn",
        "warn",
        ({"lang": "en", "name": "Disputed", "description": "Its claims are in dispute."},),
    ),
)


def no_serious_violations(page) -> None:
    bad = helpers.serious(helpers.run_axe(page, helpers.axe_source()))
    assert not bad, f"{page.url}:\n" + helpers.describe(bad)


def test_labelers_settings_and_a_labeled_post(chromium, web_server):
    server = web_server
    word = uuid.uuid4().hex[:8]
    checkers, reader = f"checkers{word}", f"reader{word}"
    for name in (checkers, reader):
        server.create_user(name, f"{name}@example.com", helpers.PASSWORD)
    author = helpers.login(server, f"author{word}")
    post = author.api.status_post(f"The moon is made of cheese {word}")

    def label(tx):
        labeler = accounts.find_local(tx, checkers).id
        labels.define(tx, labeler, DEFINITIONS)
        subject = labels.LabelInput(post["uri"], "disputed", reason="See the survey")
        return labeler, labels.issue(tx, labeler, subject)

    labeler_id, label_id = helpers.in_database(server, label)
    thread = f"/@{author.username}/{post['id']}"
    page = helpers.new_page(helpers.signed_in_context(chromium, server, reader))
    try:
        # Add the labeler by its handle, with the keyboard.
        page.goto(server.base_url + "/settings/labelers")
        assert page.get_by_role("heading", level=1).inner_text() == "Labelers"
        no_serious_violations(page)
        page.get_by_label("Handle of the labeler").fill(checkers)
        page.get_by_label("Handle of the labeler").press("Enter")
        page.wait_for_url(re.compile(r"saved=subscribed"))
        assert page.get_by_role("status").inner_text() == "You now apply this labeler's labels."
        section = page.locator(f"#labeler-{labeler_id}")
        choice = section.get_by_label("Disputed")
        assert choice.input_value() == "warn"
        assert choice.locator("option:checked").inner_text() == "Warn (default)"
        no_serious_violations(page)

        # The post, behind a warning that names the label, with its badge.
        page.goto(server.base_url + thread)
        article = page.locator(f"#status-{post['id']}")
        badge = article.get_by_role("link", name=f"Disputed · @{checkers}")
        assert badge.is_visible()
        text = article.get_by_text(f"The moon is made of cheese {word}")
        assert not text.is_visible()
        article.get_by_text("Label: Disputed").click()
        assert text.is_visible()
        no_serious_violations(page)

        # The badge leads to the label's page.
        badge.click()
        page.wait_for_url(re.compile(rf"/labels/{label_id}$"))
        assert page.get_by_role("heading", level=1).inner_text() == "Label “Disputed”"
        assert page.get_by_text("Its claims are in dispute.").is_visible()
        assert page.get_by_text("See the survey").is_visible()
        no_serious_violations(page)

        # Show it (with the mouse): the post is shown plainly, with its badge.
        page.goto(server.base_url + "/settings/labelers")
        section.get_by_label("Disputed").select_option("show")
        section.get_by_role("button", name=f"Save the settings of {checkers}").click()
        page.wait_for_url(re.compile(r"saved=settings"))
        assert section.get_by_label("Disputed").input_value() == "show"
        page.goto(server.base_url + thread)
        assert text.is_visible() and badge.is_visible()
        assert article.locator("details.label-warning").count() == 0

        # Hide it (with the keyboard): the post is no longer in the timeline.
        page.goto(server.base_url + "/settings/labelers")
        choice = section.get_by_label("Disputed")
        choice.focus()
        page.keyboard.press("End")
        assert choice.input_value() == "hide"
        page.keyboard.press("Tab")
        assert helpers.focus_report(page)["text"] == f"Save the settings of {checkers}"
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"saved=settings"))
        assert section.get_by_label("Disputed").input_value() == "hide"
        page.goto(server.base_url + "/public/local")
        assert page.locator(f"#status-{post['id']}").count() == 0
        assert page.get_by_text(f"The moon is made of cheese {word}").count() == 0
        assert not page.watch.errors, page.watch.errors
    finally:
        page.context.close()
