"""`pnyx emoji ...`: add (and its refusals), list, disable, enable, remove; what apps then see."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from images import jpeg_with_gps, png
from pnyx.cli import main


@pytest.fixture
def emoji(database_url, settings, tmp_path):
    """Run `pnyx emoji ...` in-process against the test database and media folder."""
    runner = CliRunner()
    env = {
        "PNYX_DATABASE_URL": database_url,
        "PNYX_DOMAIN": "pnyx.test",
        "PNYX_DATA_DIR": settings.data_dir,
        "PNYX_CONFIG": str(tmp_path / "absent.toml"),
    }

    def run(*args: str):
        return runner.invoke(main, ["emoji", *args], env=env, catch_exceptions=False)

    return run


def test_add_list_disable_enable_remove(emoji, client, tmp_path):
    image = tmp_path / "blob.png"
    image.write_bytes(png(32, 32))
    assert "No custom emojis yet" in emoji("list").output
    added = emoji("add", "blobcat", str(image), "--category", "Cats")
    assert added.exit_code == 0, added.output
    assert added.output.startswith("Added :blobcat: (https://pnyx.test/system/media/")
    hidden = emoji("add", ":wave:", str(image), "--hidden")
    assert hidden.exit_code == 0, hidden.output
    listed = emoji("list").output.splitlines()
    assert listed[0].split() == ["SHORTCODE", "CATEGORY", "PICKER", "STATUS", "URL"]
    assert listed[1].split()[:4] == [":blobcat:", "Cats", "shown", "enabled"]
    assert listed[2].split()[:3] == [":wave:", "hidden", "enabled"]
    shown = client.get("/api/v1/custom_emojis").json()
    assert [(e["shortcode"], e["visible_in_picker"]) for e in shown] == [
        ("blobcat", True),
        ("wave", False),
    ]
    served = client.get(shown[0]["url"].removeprefix("https://pnyx.test"))
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"

    assert emoji("disable", "blobcat").output == ":blobcat: disabled.\n"
    assert [e["shortcode"] for e in client.get("/api/v1/custom_emojis").json()] == ["wave"]
    assert "disabled" in emoji("list").output
    assert emoji("enable", ":blobcat:").output == ":blobcat: enabled.\n"
    assert emoji("remove", "wave").output == "Removed :wave:.\n"
    assert [e["shortcode"] for e in client.get("/api/v1/custom_emojis").json()] == ["blobcat"]


def test_refusals_say_why(emoji, tmp_path):
    good, photo, big = tmp_path / "e.png", tmp_path / "p.jpg", tmp_path / "big.png"
    good.write_bytes(png(16, 16))
    photo.write_bytes(jpeg_with_gps(64, 64))
    big.write_bytes(png(16, 16) + b"\0" * (256 * 1024))
    assert emoji("add", "ok", str(good)).exit_code == 0
    for args, message in (
        (("ok", str(good)), "Error: Validation failed: Shortcode has already been taken"),
        (("x", str(good)), "Error: Validation failed: Shortcode must be at least 2"),
        (("photo", str(photo)), "Error: Validation failed: File content type is invalid"),
        (("big", str(big)), "Error: Validation failed: Image file size must be less than 256 KB"),
    ):
        result = emoji("add", *args)
        assert result.exit_code == 1 and result.output.startswith(message), result.output
    missing = emoji("add", "gone", str(tmp_path / "nothing.png"))
    assert missing.exit_code == 2 and "No such file" in missing.output
    for command in ("disable", "enable", "remove"):
        result = emoji(command, "nope")
        assert result.exit_code == 1
        assert result.output == "Error: No such custom emoji here (see: pnyx emoji list)\n"
