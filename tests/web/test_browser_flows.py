"""What a person does with Pnyx in a browser, in Chromium against a real `pnyx serve`.

Each test acts as one or two people of the module's server, finding controls by their role
and accessible name as a screen reader would (button "Favourite", textbox "Post text"), and
checks what the page shows afterwards. Set-up that is not the point of a test (who exists,
who is signed in) goes through the CLI and a session made in the database; everything a test
is about goes through the pages. The remote-follow test starts a second `pnyx serve`.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import httpx
import pytest

from . import browser as helpers
from .conftest import start_server, stop_server

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-flows")]

PASSWORD = helpers.PASSWORD


def unique(word: str) -> str:
    return f"{word}{uuid.uuid4().hex[:8]}"


@dataclass
class World:
    server: object
    browser: object

    def person(self, username: str) -> str:
        """Create a local user (once) with the CLI; returns the username."""
        self.server.create_user(username, f"{username}@example.com", PASSWORD)
        return username

    def page_as(self, username: str | None):
        """A fresh page in its own context, signed in as `username` (None: signed out)."""
        if username is None:
            context = self.browser.new_context(base_url=self.server.base_url)
        else:
            context = helpers.signed_in_context(self.browser, self.server, username)
        return helpers.new_page(context)

    def url(self, path: str) -> str:
        return self.server.base_url + path


@pytest.fixture(scope="module")
def world(chromium, web_server) -> World:
    return World(web_server, chromium)


def close(page) -> None:
    page.context.close()


def heading(page) -> str:
    return page.get_by_role("heading", level=1).inner_text().strip()


def article(page, text: str):
    """The post (an <article>) on the page whose text contains `text`."""
    return page.get_by_role("article").filter(has_text=text)


def publish(page, text: str, **fields) -> None:
    """Write a post with the compose form of the current page and publish it."""
    form = page.locator("form.compose")
    if "spoiler_text" in fields:
        form.get_by_label("Content warning (optional)").fill(fields["spoiler_text"])
    form.get_by_label("Post text").fill(text)
    if "visibility" in fields:
        form.get_by_label("Visibility").select_option(label=fields["visibility"])
    for index, option in enumerate(fields.get("poll", []), start=1):
        form.get_by_label(f"Option {index}", exact=True).fill(option)
    form.get_by_role("button", name="Publish").click()
    page.wait_for_load_state()


def permalink(page, text: str) -> str:
    """The path of the post page of the post showing `text` (its timestamp link)."""
    post = article(page, text).first
    href = post.locator("a.when").get_attribute("href")
    assert href and re.fullmatch(r"/@[\w.@:-]+/\d+", href), href
    return href


def api_status(world: World, status_id: str) -> dict:
    return httpx.get(world.url(f"/api/v1/statuses/{status_id}"), timeout=30).json()


# --------------------------------------------------------------------------- joining


def test_sign_up_then_the_new_account_reaches_its_home(world: World):
    page = world.page_as(None)
    try:
        page.goto(world.url("/"))
        page.get_by_role("link", name="Create an account").click()
        assert heading(page) == "Create an account"
        name = unique("newcomer")
        page.get_by_label("Username").fill(name)
        page.get_by_label("Email").fill(f"{name}@example.com")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_label("Confirm password").fill(PASSWORD)
        page.get_by_label("I have read the rules and agree to follow them").check()
        page.get_by_role("button", name="Sign up").click()
        page.wait_for_url(re.compile(r"/home$"))
        assert heading(page) == "Home"
        assert page.get_by_role("button", name="Sign out").is_visible()
        # The account exists for everyone else too.
        found = httpx.get(world.url(f"/api/v1/accounts/lookup?acct={name}"), timeout=30)
        assert found.status_code == 200 and found.json()["username"] == name
    finally:
        close(page)


def test_sign_up_refusal_names_the_problem(world: World):
    page = world.page_as(None)
    try:
        page.goto(world.url("/auth/sign_up"))
        page.get_by_label("Username").fill("not a name!")
        page.get_by_label("Email").fill("nobody@example.com")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_label("Confirm password").fill(PASSWORD)
        page.get_by_label("I have read the rules and agree to follow them").check()
        page.get_by_role("button", name="Sign up").click()
        page.wait_for_load_state()
        alert = page.get_by_role("alert").first
        assert alert.is_visible()
        assert "Username" in helpers.main_text(page)
        assert "pnyx_session" not in {c["name"] for c in page.context.cookies()}
    finally:
        close(page)


def test_sign_in_with_a_wrong_password_then_the_right_one_then_sign_out(world: World):
    name = world.person(unique("signer"))
    page = world.page_as(None)
    try:
        page.goto(world.url("/"))
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in").click()
        page.get_by_label("Email or username").fill(name)
        page.get_by_label("Password", exact=True).fill("not the password")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        assert page.get_by_role("alert").is_visible()
        assert heading(page) == "Sign in"

        page.get_by_label("Email or username").fill(name)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/home$"))
        assert heading(page) == "Home"
        nav = page.get_by_role("navigation", name="Main")
        assert nav.get_by_role("link", name="Notifications").is_visible()

        nav.get_by_role("button", name="Sign out").click()
        page.wait_for_load_state()
        assert (
            page.get_by_role("navigation", name="Main")
            .get_by_role("link", name="Sign in")
            .is_visible()
        )
        answer = page.goto(world.url("/home"))
        assert answer is not None
        assert page.url.endswith("/auth/sign_in"), "home still open after signing out"
    finally:
        close(page)


def test_an_app_is_authorized_through_the_browser(world: World):
    """The OAuth authorization-code flow as a person meets it when an app sends them to the
    server: sign in on the authorize page, then approve; the app gets a working code."""
    name = world.person(unique("oauth"))
    app = httpx.post(
        world.url("/api/v1/apps"),
        data={
            "client_name": "Browser test app",
            "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
            "scopes": "read",
        },
        timeout=30,
    ).json()
    page = world.page_as(None)
    try:
        page.goto(
            world.url(
                f"/oauth/authorize?client_id={app['client_id']}&response_type=code"
                "&redirect_uri=urn:ietf:wg:oauth:2.0:oob&scope=read"
            )
        )
        page.get_by_label("Email or username").fill(name)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        approve = page.get_by_role("button", name=re.compile("Authorize|Approve|Allow", re.I))
        assert approve.count() == 1, helpers.main_text(page)
        approve.click()
        page.wait_for_load_state()
        code = page.locator("code, input[readonly]").first
        value = (
            code.input_value() if code.evaluate("e => e.tagName") == "INPUT" else code.inner_text()
        )
        token = httpx.post(
            world.url("/oauth/token"),
            data={
                "grant_type": "authorization_code",
                "code": value.strip(),
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
                "redirect_uri": "urn:ietf:wg:oauth:2.0:oob",
            },
            timeout=30,
        )
        assert token.status_code == 200, token.text
    finally:
        close(page)


# --------------------------------------------------------------------------- posting


def test_post_with_a_content_warning_and_a_poll_then_see_it_in_home(world: World):
    name = world.person(unique("poster"))
    page = world.page_as(name)
    try:
        page.goto(world.url("/home"))
        text = unique("Fountain question ")
        publish(
            page,
            text,
            spoiler_text="Civic matters",
            poll=["Before the festival", "After the festival"],
        )
        assert page.url.startswith(world.url("/home")), page.url
        post = article(page, "Civic matters").first
        assert post.is_visible()
        # The content warning hides the text until opened.
        assert not post.get_by_text(text).is_visible()
        post.locator("summary").filter(has_text="Civic matters").click()  # not "Why?"
        assert post.get_by_text(text).is_visible()
        assert post.get_by_text("Before the festival").is_visible()
        assert post.get_by_text("After the festival").is_visible()
        # The API agrees: the same post, with its warning and its poll.
        status_id = permalink(page, "Civic matters").rsplit("/", 1)[1]
        entity = api_status(world, status_id)
        assert entity["spoiler_text"] == "Civic matters"
        assert [o["title"] for o in entity["poll"]["options"]] == [
            "Before the festival",
            "After the festival",
        ]
    finally:
        close(page)


def test_vote_in_a_poll_from_the_timeline(world: World):
    author = world.person(unique("pollster"))
    voter = world.person(unique("voter"))
    page = world.page_as(author)
    try:
        page.goto(world.url("/home"))
        question = unique("Where should we meet? ")
        publish(page, question, visibility="Public", poll=["The hill", "The harbour"])
        path = permalink(page, question)
    finally:
        close(page)
    page = world.page_as(voter)
    try:
        page.goto(world.url(path))
        post = article(page, question).first
        ballot = post.get_by_role("group", name=re.compile("Your vote"))
        ballot.get_by_label("The harbour").check()
        post.get_by_role("button", name="Vote").click()
        page.wait_for_load_state()
        post = article(page, question).first
        assert post.get_by_role("button", name="Vote").count() == 0, "the ballot is still open"
        poll = api_status(world, path.rsplit("/", 1)[1])["poll"]
        assert [o["votes_count"] for o in poll["options"]] == [0, 1]
    finally:
        close(page)


def public_post_by(world: World, person, text: str) -> str:
    """`person` publishes `text` publicly from their home page; the post's path."""
    page = world.page_as(person)
    try:
        page.goto(world.url("/home"))
        publish(page, text, visibility="Public")
        return permalink(page, text)
    finally:
        close(page)


def test_reply_from_the_post_page_joins_the_thread(world: World):
    author = world.person(unique("asker"))
    replier = world.person(unique("replier"))
    question = unique("Who brings the olives? ")
    path = public_post_by(world, author, question)
    page = world.page_as(replier)
    try:
        page.goto(world.url(path))
        article(page, question).first.get_by_role("link", name="Reply").click()
        page.wait_for_load_state()
        answer = unique("I will bring them ")
        publish(page, answer)
        page.goto(world.url(path))
        assert article(page, question).first.is_visible()
        assert article(page, answer).first.is_visible(), "the reply is not in the thread"
        entity = api_status(world, path.rsplit("/", 1)[1])
        assert entity["replies_count"] == 1
    finally:
        close(page)


def test_favourite_a_post_then_its_author_is_notified(world: World):
    author = world.person(unique("writer"))
    fan = world.person(unique("fan"))
    text = unique("A poem about harbours ")
    path = public_post_by(world, author, text)
    page = world.page_as(fan)
    try:
        page.goto(world.url(path))
        post = article(page, text).first
        button = post.get_by_role("button", name="Favourite")
        assert button.get_attribute("aria-pressed") == "false"
        button.click()
        page.wait_for_load_state()
        post = article(page, text).first
        assert post.get_by_role("button", name="Favourite").get_attribute("aria-pressed") == "true"
        assert api_status(world, path.rsplit("/", 1)[1])["favourites_count"] == 1
        post.get_by_role("button", name="Boost").click()
        page.wait_for_load_state()
        post = article(page, text).first
        assert post.get_by_role("button", name="Boost").get_attribute("aria-pressed") == "true"
        assert api_status(world, path.rsplit("/", 1)[1])["reblogs_count"] == 1
    finally:
        close(page)
    page = world.page_as(author)
    try:
        page.goto(world.url("/"))
        page.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Notifications"
        ).click()
        page.wait_for_load_state()
        assert heading(page) == "Notifications"
        assert page.get_by_text(re.compile(r"favourited your post")).first.is_visible()
        assert page.get_by_role("link", name=fan).first.is_visible()
    finally:
        close(page)


def test_follow_from_a_profile_then_the_followed_is_notified(world: World):
    followed = world.person(unique("speaker"))
    follower = world.person(unique("listener"))
    page = world.page_as(follower)
    try:
        page.goto(world.url(f"/@{followed}"))
        assert followed in heading(page) or page.get_by_text(f"@{followed}").first.is_visible()
        page.get_by_role("button", name="Follow", exact=True).click()
        page.wait_for_load_state()
        assert page.get_by_role("button", name="Unfollow").is_visible()
    finally:
        close(page)
    page = world.page_as(followed)
    try:
        page.goto(world.url("/notifications"))
        assert page.get_by_text(re.compile(r"followed you")).first.is_visible()
        assert page.get_by_role("link", name=follower).first.is_visible()
    finally:
        close(page)


def test_edit_the_profile_then_the_profile_page_shows_it(world: World):
    name = world.person(unique("editor"))
    page = world.page_as(name)
    try:
        page.goto(world.url("/home"))
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
        page.wait_for_load_state()
        if not page.url.endswith("/settings/profile"):
            page.get_by_role("link", name=re.compile("Profile|Edit profile")).first.click()
        page.get_by_label("Display name").fill("Perikles of Athens")
        page.get_by_label("Bio").fill("Speaks at the assembly on #democracy.")
        page.get_by_label("Label 1").fill("Deme")
        page.get_by_label("Content 1").fill("Cholargos")
        page.get_by_role("button", name="Save profile").click()
        page.wait_for_load_state()
        assert page.get_by_role("status").first.is_visible(), "no confirmation after saving"
        page.goto(world.url(f"/@{name}"))
        text = helpers.main_text(page)
        assert "Perikles of Athens" in text
        assert "Speaks at the assembly" in text
        assert "Cholargos" in text
    finally:
        close(page)


def test_followers_only_post_page_is_404_signed_out(world: World):
    name = world.person(unique("private"))
    page = world.page_as(name)
    try:
        page.goto(world.url("/home"))
        text = unique("Only for my followers ")
        publish(page, text, visibility="Followers only")
        path = permalink(page, text)
        assert page.goto(world.url(path)).status == 200  # the author sees it
    finally:
        close(page)
    page = world.page_as(None)
    try:
        answer = page.goto(world.url(path))
        assert answer is not None and answer.status == 404
        assert text not in page.content()
    finally:
        close(page)


# --------------------------------------------------------------------------- federation


@pytest.fixture(scope="module")
def remote_server(world, tmp_path_factory):
    server = start_server(tmp_path_factory, "remote")
    try:
        yield server
    finally:
        stop_server(server)


def test_follow_a_remote_account_from_the_web_then_its_posts_reach_home(
    world: World, remote_server
):
    local_name = world.person(unique("traveller"))
    remote = helpers.login(remote_server, "rita", display_name="Rita Remote")
    handle = f"rita@{remote_server.domain}"
    page = world.page_as(local_name)
    try:
        page.goto(world.url("/search"))
        page.get_by_label("Search for people, hashtags or posts").fill("@" + handle)
        page.get_by_role("search").get_by_role("button", name="Search").click()
        page.wait_for_load_state()
        page.get_by_role("link", name=re.compile(re.escape(f"@{handle}"))).first.click()
        page.wait_for_load_state()
        assert "Rita Remote" in helpers.main_text(page)
        page.get_by_role("button", name="Follow", exact=True).click()
        page.wait_for_load_state()
        profile_url = page.url

        def accepted() -> bool:
            page.goto(profile_url)
            return page.get_by_role("button", name="Unfollow").count() > 0

        assert helpers.eventually(accepted), "the remote follow was never accepted"
        word = unique("Greetings from the other server ")
        remote.api.status_post(word)

        def arrived() -> bool:
            page.goto(world.url("/home"))
            return article(page, word).count() > 0

        assert helpers.eventually(arrived), "the remote post never reached home"
        post = article(page, word).first
        assert post.get_by_text(f"@{handle}").first.is_visible()
    finally:
        close(page)


# --------------------------------------------------------------------------- live


def test_an_open_home_timeline_offers_new_posts_without_moving(world: World):
    reader = helpers.login(world.server, unique("reader"))
    writer = helpers.login(world.server, unique("author"))
    reader.api.account_follow(writer.id)
    page = world.page_as(reader.username)
    try:
        page.goto(world.url("/home"))
        timeline = page.get_by_role("region", name="Home")
        page.wait_for_timeout(500)  # live.js has run
        waiting = page.get_by_role("button", name=re.compile(r"new posts?$"))
        assert waiting.count() == 0, f"shown with nothing new: {waiting.all_inner_texts()}"
        word = unique("Fresh news ")
        writer.api.status_post(word)
        offer = page.get_by_role("button", name=re.compile(r"^1 new post"))
        offer.wait_for(state="visible", timeout=20_000)
        # Nothing moved while the reader was reading: the post waits behind the button.
        assert article(page, word).count() == 0
        offer.click()
        post = article(page, word).first
        assert post.is_visible()
        assert timeline.get_by_role("article").first.inner_text() == post.inner_text()
        assert page.evaluate("() => document.activeElement.tagName") == "ARTICLE"
        assert not offer.is_visible()
    finally:
        close(page)
