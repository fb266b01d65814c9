"""Images in the browser, in Chromium against a real `pnyx serve`: a post with an image and
its alt text, written with the compose form, reaches a follower's home timeline as an
accessible gallery; a profile gets an avatar, previewed before it is saved."""

from __future__ import annotations

import uuid

import httpx
import pytest

from images import jpeg_with_gps, metadata_of

from . import browser as helpers

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-media")]


def unique(word: str) -> str:
    return f"{word}{uuid.uuid4().hex[:8]}"


def _image(name: str) -> dict:
    return {"name": name, "mimeType": "image/jpeg", "buffer": jpeg_with_gps(900, 600)}


def test_an_image_with_alt_text_reaches_a_followers_timeline(chromium, web_server):
    poster = helpers.login(web_server, unique("painter"))
    follower = helpers.login(web_server, unique("viewer"))
    follower.api.account_follow(poster.id)
    alt = "A red and blue striped flag waving"
    text = unique("My new painting ")

    context = helpers.signed_in_context(chromium, web_server, poster.username)
    page = helpers.new_page(context)
    try:
        page.goto(web_server.base_url + "/home")
        form = page.locator("form.compose")
        form.get_by_text("Add images (up to 4)").click()
        form.get_by_label("Image 1", exact=True).set_input_files(_image("flag.jpg"))
        prompt = form.get_by_text("This image has no description yet").first
        assert prompt.is_visible()  # encouraged: the missing alt text is pointed out
        form.get_by_label("Description of image 1 (alt text)").fill(alt)
        assert not prompt.is_visible()
        form.get_by_label("Post text").fill(text)
        form.get_by_role("button", name="Publish").click()
        page.wait_for_load_state()
    finally:
        context.close()

    context = helpers.signed_in_context(chromium, web_server, follower.username)
    page = helpers.new_page(context)
    try:
        page.goto(web_server.base_url + "/home")
        post = page.get_by_role("article").filter(has_text=text).first
        image = post.get_by_role("img", name=alt)
        assert image.is_visible()
        assert image.get_attribute("width") and image.get_attribute("height")  # no layout shift
        link = post.get_by_role("link").filter(has=page.get_by_role("img", name=alt))
        link.focus()  # reachable with the keyboard
        assert page.evaluate("() => document.activeElement.querySelector('img') !== null")
        served = httpx.get(link.get_attribute("href"), timeout=30)
        assert served.status_code == 200
        assert metadata_of(served.content)["gps"] == {}
    finally:
        context.close()


def test_an_avatar_is_previewed_then_saved(chromium, web_server):
    person = helpers.login(web_server, unique("sitter"))
    context = helpers.signed_in_context(chromium, web_server, person.username)
    page = helpers.new_page(context)
    try:
        page.goto(web_server.base_url + "/settings/profile")
        preview = page.get_by_role("img", name="Your current avatar")
        before = preview.get_attribute("src")
        page.get_by_label("Avatar", exact=True).set_input_files(_image("me.jpg"))
        shown = page.get_by_role("img", name="Preview of your new avatar")
        assert shown.get_attribute("src").startswith("blob:")
        page.get_by_role("button", name="Save profile").click()
        page.wait_for_load_state()
        assert page.get_by_text("Your changes were saved.").is_visible()
        after = page.get_by_role("img", name="Your current avatar").get_attribute("src")
        assert after != before and "/system/media/accounts/" in after
    finally:
        context.close()
    me = person.api.account_verify_credentials()
    assert me["avatar"] == after
    assert metadata_of(httpx.get(me["avatar"], timeout=30).content)["size"] == (400, 400)
