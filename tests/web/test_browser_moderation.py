"""The public moderation log and a strike's page in a real browser (Chromium against a real
`pnyx serve`): anyone reads the log, its charts are images named for what they count, the
filter narrows it, and the person a suspension touched reads the decision about them; no
serious accessibility violation on either page."""

from __future__ import annotations

import re
import uuid

import pytest

from pnyx.core import account_warnings, accounts, instance_settings, moderation

from . import browser as helpers

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-moderation")]


def heading(page) -> str:
    return page.get_by_role("heading", level=1).inner_text().strip()


def test_the_log_and_a_strike_in_the_browser(chromium, web_server):
    server = web_server
    word = uuid.uuid4().hex[:8]
    name = f"sam{word}"
    server.create_user(name, f"{name}@example.com", helpers.PASSWORD)

    def acted(tx):
        target = accounts.find_local(tx, name).id
        rule = instance_settings.add_rule(tx, f"No ads {word}")
        moderation.suspend(tx, moderation.OPERATOR, target, f"Ads {word}", rule)
        moderation.unsuspend(tx, moderation.OPERATOR, target, f"Promised {word}")
        return account_warnings.of_account(tx, target)[0].id

    strike = helpers.in_database(server, acted)
    page = helpers.new_page(chromium.new_context())
    try:
        page.goto(server.base_url + "/moderation")
        assert heading(page) == "Moderation log"
        assert page.get_by_role(
            "img", name="Actions per month, the last twelve months"
        ).is_visible()
        per_rule = page.get_by_role("img", name="Actions per rule cited")
        assert f"No ads {word}: 1" in per_rule.locator("desc").text_content()
        entries = page.locator("ol.log-entries")
        assert entries.get_by_text(f"Reason: Promised {word}").is_visible()

        page.get_by_label("Action", exact=True).select_option("suspend")
        page.get_by_role("button", name="Show").click()
        page.wait_for_url(re.compile(r"action=suspend"))
        assert entries.get_by_text(f"Reason: Ads {word}").is_visible()
        assert entries.get_by_text(f"Reason: Promised {word}").count() == 0
        axe = helpers.axe_source()
        bad = helpers.serious(helpers.run_axe(page, axe))
        assert not bad, helpers.describe(bad)
    finally:
        page.context.close()

    page = helpers.new_page(helpers.signed_in_context(chromium, server, name))
    try:
        page.goto(f"{server.base_url}/disputes/strikes/{strike}")
        assert heading(page) == "A decision about your account"
        assert page.get_by_text(f"No ads {word}", exact=True).is_visible()
        assert page.get_by_text("The suspension has been lifted.", exact=False).is_visible()
        bad = helpers.serious(helpers.run_axe(page, helpers.axe_source()))
        assert not bad, helpers.describe(bad)
    finally:
        page.context.close()


def test_a_suspended_person_signs_in_and_appeals_in_the_browser(chromium, web_server):
    """Suspended, the person signs in through the site's form, lands on their standing, opens
    the decision and appeals with the keyboard; a blank appeal is refused with a message tied
    to the field; the form passes axe."""
    server = web_server
    word = uuid.uuid4().hex[:8]
    name = f"pat{word}"
    server.create_user(name, f"{name}@example.com", helpers.PASSWORD)

    def suspended(tx):
        target = accounts.find_local(tx, name).id
        rule = instance_settings.add_rule(tx, f"No spam {word}")
        moderation.suspend(tx, moderation.OPERATOR, target, f"Spam {word}", rule)
        return account_warnings.of_account(tx, target)[0].id

    strike = helpers.in_database(server, suspended)
    page = helpers.new_page(chromium.new_context())
    try:
        helpers.sign_in(page, server.base_url, f"{name}@example.com")
        page.wait_for_url(re.compile(r"/disputes/strikes$"))
        assert heading(page) == "Your account's standing"
        page.get_by_role("link", name="Your account was suspended").click()
        page.wait_for_url(re.compile(rf"/disputes/strikes/{strike}$"))
        bad = helpers.serious(helpers.run_axe(page, helpers.axe_source()))
        assert not bad, helpers.describe(bad)

        field = page.get_by_label("Why should it be reversed?")
        field.fill(" ")
        # The browser's own check stops a blank form; the server's check is the one tested here.
        page.evaluate("document.querySelector('#appeal-text').removeAttribute('required')")
        page.get_by_role("button", name="Send the appeal").click()
        alert = page.get_by_role("alert")
        assert "Please say why" in alert.inner_text()
        assert (
            page.get_by_label("Why should it be reversed?").get_attribute("aria-invalid") == "true"
        )

        page.get_by_label("Why should it be reversed?").fill(f"My own shop {word}")
        page.get_by_role("button", name="Send the appeal").focus()
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"done=appeal"))
        assert page.get_by_role("status").get_by_text("Your appeal was sent").is_visible()
        assert page.get_by_text("Appeal waiting for a decision").first.is_visible()
        bad = helpers.serious(helpers.run_axe(page, helpers.axe_source()))
        assert not bad, helpers.describe(bad)
    finally:
        page.context.close()
