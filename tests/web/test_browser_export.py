"""Exporting in a real browser (Chromium against a real `pnyx serve`, whose job workers build
the archive): a person asks for their archive with the keyboard, watches the page until it is
ready, downloads its part and a CSV file as a browser downloads them, and finds their post in
the archive; no serious accessibility violation on the page, in each of its states."""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from pathlib import Path

import pytest

from . import browser as helpers

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-export")]


def no_serious_violations(page) -> None:
    bad = helpers.serious(helpers.run_axe(page, helpers.axe_source()))
    assert not bad, f"{page.url}:\n" + helpers.describe(bad)


def test_ask_for_the_archive_and_download_it(chromium, web_server, tmp_path):
    server = web_server
    word = uuid.uuid4().hex[:8]
    person = helpers.login(server, f"leaver{word}")
    person.api.status_post(f"Everything I wrote {word}")
    friend = helpers.login(server, f"friend{word}")
    person.api.account_follow(friend.id)
    context = helpers.signed_in_context(chromium, server, person.username, accept_downloads=True)
    page = helpers.new_page(context)
    try:
        page.goto(server.base_url + "/settings/profile")
        page.get_by_role("navigation", name="Settings").get_by_role("link", name="Export").click()
        page.wait_for_url(re.compile(r"/settings/export$"))
        assert page.get_by_role("heading", level=1).inner_text() == "Export"
        no_serious_violations(page)

        button = page.get_by_role("button", name="Request your archive")
        button.focus()
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"saved=1"))
        assert "Your archive is being prepared." in page.get_by_role("status").inner_text()
        no_serious_violations(page)  # with its progress bar

        def ready() -> bool:
            page.goto(server.base_url + "/settings/export")
            return page.get_by_role("link", name="Part 1 of 1").count() == 1

        assert helpers.eventually(ready, timeout=120)
        assert "Ready to download" in helpers.main_text(page)
        assert "Can be downloaded until" in helpers.main_text(page)
        no_serious_violations(page)

        with page.expect_download() as info:
            page.get_by_role("link", name="Part 1 of 1").click()
        download = info.value
        assert re.fullmatch(
            rf"pnyx-export-{person.username}-\d{{8}}-\d{{6}}-part-1\.zip",
            download.suggested_filename,
        )
        saved = tmp_path / download.suggested_filename
        download.save_as(saved)
        archive = zipfile.ZipFile(io.BytesIO(Path(saved).read_bytes()))
        outbox = json.loads(archive.read("outbox.json"))
        assert any(word in item["object"]["content"] for item in outbox["orderedItems"])
        assert (
            f"{friend.username}@{server.domain}" in archive.read("following_accounts.csv").decode()
        )

        with page.expect_download() as info:
            page.get_by_role("link", name="Follows").click()
        csv_file = tmp_path / "follows.csv"
        info.value.save_as(csv_file)
        assert info.value.suggested_filename == "following_accounts.csv"
        assert csv_file.read_text().startswith(
            "Account address,Show boosts,Notify on new posts,Languages\n"
            f"{friend.username}@{server.domain},true,false,"
        )
    finally:
        context.close()
