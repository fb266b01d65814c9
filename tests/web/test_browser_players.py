"""Video, animations (gifv) and audio in the browser, in Chromium against a real `pnyx
serve`: a post's gallery plays them in the browser's own players, named by their alt text,
loading nothing until asked; an animation loops silently with a pause button, and waits for a
click when the reader asked for reduced motion. The edit form shows the post's media: each
kept or removed, its description changed. axe-core finds nothing serious on either page."""

from __future__ import annotations

import uuid

import pytest

from av_media import animated_gif, audio, video

from . import browser as helpers

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-players")]

DESCRIPTIONS = {
    "video": "A yellow square on a blue field",
    "gifv": "Colours fading in a loop",
    "audio": "A steady 440 Hz tone",
}


def unique(word: str) -> str:
    return f"{word}{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def axe() -> str:
    return helpers.axe_source()


def _post_with_players(web_server, text: str):
    """A person's post carrying a video, an animated GIF (a gifv) and a sound, each with its
    description, made through the Mastodon API (set-up)."""
    poster = helpers.login(web_server, unique("filmmaker"))
    # A connection each: while a video is processed Mastodon.py waits between its polls, and
    # on a busy machine the server may close an idle kept-alive connection just as the next
    # upload is sent on it (a reset, not an answer).
    poster.api.session.headers["Connection"] = "close"
    files = {
        "video": (video("libvpx-vp9", "webm", sound="libopus"), "video/webm"),
        "gifv": (animated_gif(frames=12), "image/gif"),
        "audio": (audio("libopus", "ogg"), "audio/ogg"),
    }
    ids = []
    for kind, (data, mime) in files.items():
        uploaded = poster.api.media_post(
            data, mime_type=mime, description=DESCRIPTIONS[kind], synchronous=True
        )
        assert uploaded["type"] == kind, uploaded
        ids.append(uploaded["id"])
    status = poster.api.status_post(text, media_ids=ids)
    return poster, status


def _no_serious_violations(page, axe: str) -> None:
    bad = helpers.serious(helpers.run_axe(page, axe))
    assert not bad, helpers.describe(bad)


def test_video_animation_and_audio_play_in_accessible_players(chromium, web_server, axe):
    text = unique("Film night ")
    poster, status = _post_with_players(web_server, text)
    viewer = helpers.login(web_server, unique("audience"))
    viewer.api.account_follow(poster.id)
    [video_entity, gifv_entity, audio_entity] = status["media_attachments"]

    context = helpers.signed_in_context(chromium, web_server, viewer.username)
    page = helpers.new_page(context)
    try:
        page.goto(web_server.base_url + "/home")
        post = page.get_by_role("article").filter(has_text=text).first
        gallery = post.locator("ul.media")
        assert gallery.locator("img").count() == 0  # no player shown as a broken image

        film = gallery.locator(f"video[aria-label='{DESCRIPTIONS['video']}']")
        assert film.get_attribute("controls") is not None
        assert film.get_attribute("preload") == "none"
        assert film.get_attribute("poster") == video_entity["preview_url"]
        assert film.get_attribute("src") == video_entity["url"]
        assert film.evaluate("v => v.muted") is False and film.evaluate("v => v.paused")

        loop = gallery.locator(f"video[aria-label='{DESCRIPTIONS['gifv']}']")
        assert loop.get_attribute("src") == gifv_entity["url"]
        assert loop.evaluate("v => v.muted && v.loop")
        pause = post.get_by_role("button", name="Pause animation")
        assert pause.is_visible()  # it plays by itself, with a way to stop it
        assert loop.get_attribute("controls") is None
        helpers.eventually(lambda: not loop.evaluate("v => v.paused"))
        pause.click()
        assert loop.evaluate("v => v.paused")
        play = post.get_by_role("button", name="Play animation")
        assert play.is_visible()
        play.focus()
        page.keyboard.press("Enter")  # the keyboard works it too
        helpers.eventually(lambda: not loop.evaluate("v => v.paused"))
        # The button's name follows the video's `play` event, which can come a moment later.
        assert helpers.eventually(
            lambda: post.get_by_role("button", name="Pause animation").is_visible()
        )

        sound = gallery.locator(f"audio[aria-label='{DESCRIPTIONS['audio']}']")
        assert sound.get_attribute("controls") is not None
        assert sound.get_attribute("preload") == "none"
        assert sound.get_attribute("src") == audio_entity["url"]

        _no_serious_violations(page, axe)
        assert page.watch.errors == [], page.watch.errors
    finally:
        context.close()


def test_an_animation_waits_when_the_reader_asked_for_reduced_motion(chromium, web_server):
    text = unique("Calm please ")
    poster, status = _post_with_players(web_server, text)
    context = helpers.signed_in_context(
        chromium, web_server, poster.username, reduced_motion="reduce"
    )
    page = helpers.new_page(context)
    try:
        page.goto(f"{web_server.base_url}/@{poster.username}/{status['id']}")
        post = page.get_by_role("article").filter(has_text=text).first
        loop = post.locator("video[data-gifv]")
        play = post.get_by_role("button", name="Play animation")
        assert play.is_visible()
        assert loop.evaluate("v => v.paused")
        play.click()
        helpers.eventually(lambda: not loop.evaluate("v => v.paused"))
        # The button's name follows the video's `play` event, which can come a moment later.
        assert helpers.eventually(
            lambda: post.get_by_role("button", name="Pause animation").is_visible()
        )
    finally:
        context.close()


def test_the_edit_form_keeps_removes_and_describes_the_posts_media(chromium, web_server, axe):
    text = unique("To be edited ")
    poster, status = _post_with_players(web_server, text)
    [video_entity, gifv_entity, audio_entity] = status["media_attachments"]

    context = helpers.signed_in_context(chromium, web_server, poster.username)
    page = helpers.new_page(context)
    try:
        page.goto(f"{web_server.base_url}/statuses/{status['id']}/edit")
        form = page.locator("form.compose")
        media = form.get_by_role("group", name="Media of this post")
        assert media.locator("img.media-preview").count() == 2  # a sound has no preview
        for name in ("Keep Video 1", "Keep Animation 2", "Keep Audio 3"):
            assert media.get_by_role("checkbox", name=name).is_checked()
        described = media.get_by_label("Description of Video 1 (alt text)")
        assert described.input_value() == DESCRIPTIONS["video"]
        _no_serious_violations(page, axe)

        media.get_by_role("checkbox", name="Keep Audio 3").uncheck()
        described.fill("A yellow square, now described better")
        form.get_by_label("Post text").fill(text + " (edited)")
        form.get_by_role("button", name="Save changes").click()
        page.wait_for_load_state()
        post = page.get_by_role("article").filter(has_text="(edited)").first
        assert post.locator("video[aria-label='A yellow square, now described better']").count()
        assert post.locator("audio").count() == 0
        assert page.watch.errors == [], page.watch.errors
    finally:
        context.close()

    edited = poster.api.status(status["id"])
    assert [m["id"] for m in edited["media_attachments"]] == [
        video_entity["id"],
        gifv_entity["id"],
    ]
    assert edited["media_attachments"][0]["description"] == "A yellow square, now described better"
    assert edited["media_attachments"][1]["description"] == DESCRIPTIONS["gifv"]
    assert audio_entity["id"] not in {m["id"] for m in edited["media_attachments"]}
