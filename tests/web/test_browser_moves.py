"""Moving in a real browser (Chromium against a real `pnyx serve`): the new account names the
old one on the aliases page (keyboard), the old account is refused with a wrong password, then
moves (mouse); the page says where it went and when it may move again, and a visitor's view
of the old profile says "has moved to", links to the new account and offers no Follow; no
serious accessibility violation on these pages."""

from __future__ import annotations

import re
import uuid

import pytest

from . import browser as helpers

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-moves")]


def no_serious_violations(page) -> None:
    bad = helpers.serious(helpers.run_axe(page, helpers.axe_source()))
    assert not bad, f"{page.url}:\n" + helpers.describe(bad)


def test_naming_an_alias_and_moving(chromium, web_server):
    server = web_server
    word = uuid.uuid4().hex[:8]
    old, new, visitor = f"old{word}", f"new{word}", f"visitor{word}"
    for name in (old, new, visitor):
        server.create_user(name, f"{name}@example.com", helpers.PASSWORD)

    page = helpers.new_page(helpers.signed_in_context(chromium, server, new))
    try:
        page.goto(server.base_url + "/settings/aliases")
        assert page.get_by_role("heading", level=1).inner_text() == "Account aliases"
        no_serious_violations(page)
        field = page.get_by_label("Handle of the old account")
        field.fill(f"{old}@{server.domain}")
        field.press("Enter")
        page.wait_for_url(re.compile(r"saved=added"))
        assert page.get_by_role("status").inner_text().startswith("The alias was added.")
        assert page.get_by_role(
            "button", name=f"Remove the alias @{old}@{server.domain}"
        ).is_visible()
        no_serious_violations(page)
    finally:
        page.context.close()

    page = helpers.new_page(helpers.signed_in_context(chromium, server, old))
    try:
        page.goto(server.base_url + "/settings/move")
        assert page.get_by_text(
            f"add this account as an alias: @{old}@{server.domain}"
        ).is_visible()
        no_serious_violations(page)
        page.get_by_label("Handle of the new account").fill(new)
        page.get_by_label("Current password").fill("not my password")
        page.get_by_role("button", name="Move my followers").click()
        alert = page.get_by_role("alert")
        assert "Current password is invalid" in alert.inner_text()
        no_serious_violations(page)

        page.get_by_label("Current password").fill(helpers.PASSWORD)
        page.get_by_role("button", name="Move my followers").click()
        page.wait_for_url(re.compile(r"saved=moved"))
        assert page.get_by_role("status").inner_text().startswith("Your account has moved.")
        assert page.get_by_role("link", name=re.compile(f"@{new}@")).count() >= 1
        assert page.get_by_text("you can move again after").is_visible()
        assert page.get_by_role("button", name="Move my followers").count() == 0
        no_serious_violations(page)
        assert not page.watch.errors, page.watch.errors
    finally:
        page.context.close()

    page = helpers.new_page(helpers.signed_in_context(chromium, server, visitor))
    try:
        page.goto(server.base_url + f"/@{old}")
        note = page.get_by_role("note")
        assert f"{old} has moved to" in note.inner_text()
        note.get_by_role("link").click()
        page.wait_for_url(re.compile(rf"/@{new}$"))
        page.goto(server.base_url + f"/@{old}")
        assert page.get_by_role("button", name="Follow", exact=True).count() == 0
        no_serious_violations(page)
    finally:
        page.context.close()
