"""The import page in a real browser (Chromium against a real `pnyx serve`, whose workers run
the import): a person picks what the file holds and overwrite with the keyboard, chooses a
blocked_accounts.csv and uploads it, then reloads until the import is finished and opens the
failed rows; no serious accessibility violation, and the page fits a phone."""

from __future__ import annotations

import re
import uuid

import pytest

from . import browser as helpers

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-imports")]


def no_serious_violations(page) -> None:
    bad = helpers.serious(helpers.run_axe(page, helpers.axe_source()))
    assert not bad, f"{page.url}:\n" + helpers.describe(bad)


def test_a_blocks_file_uploaded_and_followed_to_its_end(chromium, web_server, tmp_path):
    server = web_server
    word = uuid.uuid4().hex[:8]
    me, blocked = f"importer{word}", f"blocked{word}"
    for name in (me, blocked):
        server.create_user(name, f"{name}@example.com", helpers.PASSWORD)
    path = tmp_path / "blocked_accounts.csv"
    path.write_text(f"{blocked}@{server.domain}\nghost{word}@{server.domain}\n")
    context = helpers.signed_in_context(chromium, server, me)
    page = helpers.new_page(context)
    try:
        page.goto(server.base_url + "/settings/profile")
        page.get_by_role("navigation", name="Settings").get_by_role("link", name="Import").click()
        page.wait_for_url(re.compile(r"/settings/import$"))
        assert page.get_by_role("heading", level=1).inner_text() == "Import"
        assert page.get_by_role("link", name="Import posts from an archive").is_visible()
        no_serious_violations(page)

        kind = page.get_by_label("What the file holds")
        kind.focus()
        kind.select_option(label="Blocking list")
        page.get_by_label("Merge").focus()
        page.keyboard.press("ArrowDown")  # the radio group: Overwrite
        assert page.get_by_label("Overwrite").is_checked()
        page.get_by_label("File", exact=True).set_input_files(str(path))
        page.get_by_role("button", name="Upload").press("Enter")
        page.wait_for_url(re.compile(r"saved=1"))
        assert page.get_by_role("status").inner_text().startswith("Your file was uploaded.")

        def finished():
            page.goto(server.base_url + "/settings/import")
            return "Finished" in helpers.main_text(page)

        assert helpers.eventually(finished), helpers.main_text(page)
        record = page.locator("article.import").first
        assert "Blocking list · Overwrite · blocked_accounts.csv" in record.inner_text()
        assert "Imported: 1. Failed: 1." in record.inner_text()
        summary = record.get_by_text("The rows that failed, and why")
        summary.focus()
        page.keyboard.press("Enter")
        failure = record.get_by_text(f"ghost{word}@{server.domain}")
        assert failure.is_visible()
        assert "Row 2" in record.locator("li").first.inner_text()
        no_serious_violations(page)

        page.set_viewport_size({"width": 390, "height": 800})
        assert helpers.horizontal_overflow(page) is None
    finally:
        context.close()
