"""A live copy (LOLA) between two real `pnyx serve` processes: alice's account on A is copied
into alice2's on B, through the flow a person goes through in their browser.

alice (A) has public, unlisted, followers-only and direct posts, one with an image, a poll bob
voted in, a thread of replies to herself; she favourited a post of bob's, blocked mallory and
follows bob. alice2 (B), in an httpx "browser": B's copy page, A's sign-in and consent forms,
B's callback. Then B holds her posts with their original dates (read with Mastodon.py), the
image in B's own media store, the poll closed, the thread linked; `imported_statuses` names
the old ids and keeps their proofs; the favourite and the block came over; nothing reached
alice2's followers (dave on B, erin on A); following bob again is a separate button.

The browser keeps its cookies per server: both listen on 127.0.0.1, and a real browser, which
ignores ports in cookies, would mix the two servers' sessions (in production they are different
hosts). A runs on SQLite, B on PostgreSQL when PNYX_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import html
import io
import json
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
import sqlalchemy as sa
from PIL import Image

from server import PnyxServer
from tests.api.test_oauth import parse

from .people import PASSWORD, Person, eventually, login, two_servers

AP = {"Accept": "application/activity+json"}
pytestmark = pytest.mark.xdist_group("lola-two-servers")  # one pair of servers, one worker


class Browser:
    """A browser as far as these pages need: cookies per server, redirects followed across
    servers, forms read from the HTML."""

    def __init__(self, *servers: PnyxServer) -> None:
        self.jars = {s.base_url: httpx.Client(base_url=s.base_url, timeout=60) for s in servers}

    def close(self) -> None:
        for jar in self.jars.values():
            jar.close()

    def _client(self, url: str) -> httpx.Client:
        parts = urlsplit(url)
        return self.jars[f"{parts.scheme}://{parts.netloc}"]

    def go(self, method: str, url: str, data: dict | None = None, *, follow: bool = True):
        """A request; redirects followed (to any server) unless `follow` is False."""
        answer = self._client(url).request(method, url, data=data, follow_redirects=False)
        while follow and answer.status_code in (301, 302, 303, 307, 308):
            url = urljoin(url, answer.headers["location"])
            answer = self._client(url).get(url, follow_redirects=False)
        return answer

    def submit(self, page: httpx.Response, form_id: str, *, follow: bool = True, **fields):
        form = parse(page.text).forms[form_id]
        action = urljoin(str(page.url), form["action"] or str(page.url))
        return self.go("POST", action, {**form["fields"], **fields}, follow=follow)

    def sign_in(self, server: PnyxServer, username: str) -> None:
        page = self.go("GET", server.url("/auth/sign_in"))
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        answer = self.go(
            "POST",
            server.url("/auth/sign_in"),
            {"login": f"{username}@example.com", "password": PASSWORD, "csrf_token": token},
            follow=False,
        )
        assert answer.status_code == 303, answer.text


@dataclass
class World:
    a: PnyxServer
    b: PnyxServer
    alice: Person
    bob: Person
    mallory: Person
    erin: Person
    alice2: Person
    dave: Person
    posts: dict


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (20, 120, 200)).save(out, "PNG")
    return out.getvalue()


def alices_posts(alice: Person, bob: Person) -> dict:
    """What alice wrote on A, by name: the posts as A's API shows them."""
    api = alice.api
    posts = {
        "public": api.status_post("A public post #moving"),
        "unlisted": api.status_post("An unlisted post", visibility="unlisted"),
        "private": api.status_post("For my followers only", visibility="private"),
        "direct": api.status_post(f"A secret for @{bob.username}", visibility="direct"),
        "warned": api.status_post("Behind a warning", spoiler_text="spoilers"),
    }
    media = api.media_post(
        io.BytesIO(png()), mime_type="image/png", description="A blue box", synchronous=True
    )
    posts["image"] = api.status_post("With a picture", media_ids=[media["id"]])
    poll = api.make_poll(["tea", "coffee"], expires_in=3600)
    posts["poll"] = api.status_post("Tea or coffee?", poll=poll)
    bob.api.poll_vote(posts["poll"]["poll"]["id"], [1])
    first = api.status_post("Thread, part 1")
    second = api.status_post("Thread, part 2", in_reply_to_id=first["id"])
    third = api.status_post("Thread, part 3", in_reply_to_id=second["id"])
    posts.update({"thread1": first, "thread2": second, "thread3": third})
    return posts


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with two_servers(tmp_path_factory, "lola") as (a, b):
        alice, bob, mallory = login(a, "alice"), login(a, "bob"), login(a, "mallory")
        erin, alice2, dave = login(a, "erin"), login(b, "alice2"), login(b, "dave")
        posts = alices_posts(alice, bob)
        bobs = bob.api.status_post("Bob's post, which alice likes")
        alice.api.status_favourite(bobs["id"])
        alice.api.account_block(mallory.id)
        alice.api.account_follow(bob.id)
        posts["bobs"] = bobs
        # alice2 has followers already: dave on B, erin on A.
        alice2_on_a = erin.api.account_lookup(alice2.handle)
        erin.api.account_follow(alice2_on_a["id"])
        dave.api.account_follow(alice2.id)
        assert eventually(lambda: alice2.api.account(alice2.id)["followers_count"] == 2)
        yield World(a, b, alice, bob, mallory, erin, alice2, dave, posts)


def b_rows(world: World, statement) -> list:
    engine = sa.create_engine(
        world.b.database_url.replace("postgresql://", "postgresql+psycopg://")
    )
    try:
        with engine.connect() as conn:
            return list(conn.execute(statement))
    finally:
        engine.dispose()


def allow_at_a(browser: Browser, world: World, consent_button: str = "authorize"):
    """alice2, signed in on B, asks for the copy of alice@A; signs in at A; decides."""
    page = browser.go("GET", world.b.url("/settings/import/copy"))
    assert page.status_code == 200 and "Copy your account from another server" in page.text
    sign_in = browser.submit(page, "copy-form", source=world.alice.handle)
    assert sign_in.url.host == "127.0.0.1" and sign_in.url.port == world.a.port, sign_in.text
    query = parse_qs(urlsplit(str(sign_in.url)).query)
    assert query["scope"] == ["activitypub_account_portability"]
    assert query["code_challenge_method"] == ["S256"]  # A offers PKCE
    assert query["redirect_uri"] == [world.b.url("/settings/import/copy/callback")]
    consent = browser.submit(sign_in, "sign-in-form", login="alice@example.com", password=PASSWORD)
    assert 'id="consent-form"' in consent.text, consent.text
    assert "copy your whole account" in consent.text
    form = parse(consent.text).forms["consent-form"]
    name, value = form["buttons"][consent_button]
    action = urljoin(str(consent.url), form["action"])
    return browser.go("POST", action, {**form["fields"], name: value})


def copy_of(person: Person, copy_id: str) -> dict:
    headers = {"Authorization": f"Bearer {person.api.access_token}"}
    url = person.server.url(f"/api/v1/pnyx/copies/{copy_id}")
    return httpx.get(url, headers=headers, timeout=60).json()


@pytest.fixture(scope="module")
def copied(world: World) -> dict:
    """The whole flow, once: the copy, finished."""
    browser = Browser(world.a, world.b)
    try:
        browser.sign_in(world.b, "alice2")
        done = allow_at_a(browser, world)
        assert done.url.path == "/settings/import/copy", done.text
        text = html.unescape(done.text)
        assert f"Your old server allowed the copy of {world.a.url('/users/alice')}" in text
        copy_id = parse_qs(done.url.query.decode())["started"][0]

        def over():
            found = copy_of(world.alice2, copy_id)
            return found if found["state"] in ("finished", "failed") else None

        view = eventually(over, attempts=900)
        assert view and view["state"] == "finished", view
        page = browser.go("GET", world.b.url("/settings/import/copy"))
        return {"view": view, "page": html.unescape(page.text), "browser": browser}
    except BaseException:
        browser.close()
        raise


def by_content(statuses: list[dict]) -> dict[str, dict]:
    found = {}
    for status in statuses:
        text = html.unescape(status["content"])
        found[text] = status
    return found


def contains(found: dict[str, dict], words: str) -> dict:
    matches = [s for text, s in found.items() if words in text]
    assert len(matches) == 1, (words, list(found))
    return matches[0]


# The first words of each post alice wrote (the direct message is not copied).
WORDS = {
    "public": "A public post",
    "unlisted": "An unlisted post",
    "private": "For my followers only",
    "warned": "Behind a warning",
    "image": "With a picture",
    "poll": "Tea or coffee?",
    "thread1": "Thread, part 1",
    "thread2": "Thread, part 2",
    "thread3": "Thread, part 3",
}


def test_the_posts_come_over_with_their_dates_media_poll_and_thread(world: World, copied):
    view = copied["view"]
    assert (view["imported"], view["skipped"], view["failed"]) == (9, 1, 0), view
    assert view["skipped_reasons"] == {"direct": 1}
    assert view["total"] == 10 and view["processed"] == 10
    copies = by_content(world.alice2.api.account_statuses(world.alice2.id, limit=40))
    assert len(copies) == 9
    for name, words in WORDS.items():
        original, copy = world.posts[name], contains(copies, words)
        assert copy["created_at"].replace(microsecond=0) == original["created_at"].replace(
            microsecond=0
        ), name  # as published on A (ActivityPub dates are to the second)
        assert copy["visibility"] == original["visibility"], name
        assert str(copy["account"]["id"]) == world.alice2.id
    assert not any("A secret" in text for text in copies)  # direct messages stay behind
    warned = contains(copies, "Behind a warning")
    assert warned["spoiler_text"] == "spoilers" and warned["sensitive"]
    image = contains(copies, "With a picture")
    [attachment] = image["media_attachments"]
    assert attachment["type"] == "image" and attachment["description"] == "A blue box"
    assert attachment["url"].startswith(world.b.base_url)  # B's own copy of the file
    assert httpx.get(attachment["url"], timeout=30).content[:4] == b"\x89PNG"
    poll = contains(copies, "Tea or coffee?")["poll"]
    assert poll["expired"] and [o["votes_count"] for o in poll["options"]] == [0, 1]
    one, two, three = (contains(copies, f"Thread, part {n}") for n in (1, 2, 3))
    assert two["in_reply_to_id"] == one["id"] and three["in_reply_to_id"] == two["id"]
    assert "10 of 10 posts processed" in copied["page"]
    assert "Skipped: direct messages: 1" in copied["page"]


def test_the_copies_name_their_origin_and_keep_its_proof(world: World, copied):
    rows = b_rows(
        world,
        sa.text(
            "select origin_uri, origin_actor_uri, document from imported_statuses "
            "order by origin_uri"
        ),
    )
    originals = {world.posts[name]["uri"] for name in WORDS}
    assert {row.origin_uri for row in rows} == originals
    assert {row.origin_actor_uri for row in rows} == {world.a.url("/users/alice")}
    for row in rows:
        document = row.document if isinstance(row.document, dict) else json.loads(row.document)
        assert document["id"] == row.origin_uri
        assert document["proof"]["cryptosuite"] == "eddsa-jcs-2022"
        assert document["proof"]["verificationMethod"].startswith(world.a.url("/users/alice"))
    [transfer] = b_rows(world, sa.text("select access_token, state, phase from lola_transfers"))
    assert (transfer.access_token, transfer.state, transfer.phase) == (None, "finished", "done")


def test_the_favourite_and_the_block_come_over(world: World, copied):
    view = copied["view"]
    assert (view["favourites"], view["blocks"]) == (1, 1)
    favourites = world.alice2.api.favourites()
    assert [s["uri"] for s in favourites] == [world.posts["bobs"]["uri"]]
    blocked = world.alice2.api.blocks()
    assert [a["acct"] for a in blocked] == [world.mallory.handle]


def test_nothing_reaches_alice2s_followers(world: World, copied):
    """The copies are quiet: nothing is delivered to erin's server (A), nobody is notified.
    A post alice2 writes afterwards reaches erin, so whatever would have been delivered had
    its chance. (On B, dave's home timeline, read by date, shows alice2's posts where their
    dates put them, as it shows any post of an account he follows; none was pushed to him.)"""
    world.alice2.api.status_post("Hello from my new home")

    def erins_home() -> str:
        return " ".join(s["content"] for s in world.erin.api.timeline_home(limit=40))

    assert eventually(lambda: "Hello from my new home" in erins_home(), attempts=300)
    home = erins_home()
    assert "Thread, part" not in home and "A public post" not in home
    for follower in (world.dave, world.erin):
        assert follower.api.notifications() == [], follower.username
    # bob on A was not told of the copied favourite (no Like from alice2), nor mentioned.
    assert not any(
        n["account"]["acct"] == world.alice2.handle for n in world.bob.api.notifications()
    )


def test_following_again_is_a_separate_step(world: World, copied):
    page = copied["page"]
    assert "Your old account followed 1 accounts." in page
    browser: Browser = copied["browser"]
    shown = browser.go("GET", world.b.url("/settings/import/copy"))
    form_id = next(f for f in parse(shown.text).forms if str(f).startswith("follow-form-"))
    bob_on_b = world.alice2.api.account_lookup(world.bob.handle)
    assert not world.alice2.api.account_relationships(bob_on_b["id"])[0]["following"]
    answer = browser.submit(shown, form_id)
    assert "The same accounts are being followed" in html.unescape(answer.text)
    assert eventually(
        lambda: world.alice2.api.account_relationships(bob_on_b["id"])[0]["following"],
        attempts=600,
    ), "alice2 never followed bob"
    assert eventually(lambda: world.bob.api.account(world.bob.id)["followers_count"] == 2)


def test_a_denied_grant_says_so(world: World, copied):
    browser = Browser(world.a, world.b)
    try:
        browser.sign_in(world.b, "dave")
        answer = allow_at_a(browser, world, consent_button="deny")
        text = html.unescape(answer.text)
        assert answer.status_code == 200, text
        assert f"You did not allow the copy at {world.a.domain}. Nothing was copied." in text
        assert "Not allowed at the old server" in text
        assert world.dave.api.account_statuses(world.dave.id) == []
    finally:
        browser.close()


def test_a_wrong_state_is_refused(world: World, copied):
    browser = Browser(world.a, world.b)
    try:
        browser.sign_in(world.b, "dave")
        answer = browser.go(
            "GET", world.b.url("/settings/import/copy/callback?code=abc&state=forged")
        )
        assert answer.status_code == 400
        assert "matches no copy you started here" in html.unescape(answer.text)
        # alice2's finished copy's state is no key either, nor is it dave's to use.
        nobody = httpx.get(world.b.url("/settings/import/copy/callback?code=x&state="), timeout=30)
        assert nobody.status_code == 403 and "Sign in here" in nobody.text
    finally:
        browser.close()


def test_an_unreachable_or_unsupporting_server_says_so(world: World, copied):
    browser = Browser(world.a, world.b)
    try:
        browser.sign_in(world.b, "dave")
        page = browser.go("GET", world.b.url("/settings/import/copy"))
        closed = browser.submit(page, "copy-form", source="someone@127.0.0.1:9")
        assert closed.status_code == 422
        assert "127.0.0.1:9 could not be reached" in html.unescape(closed.text)
        page = browser.go("GET", world.b.url("/settings/import/copy"))
        garbage = browser.submit(page, "copy-form", source="not an address")
        assert "Enter the address of your old account" in html.unescape(garbage.text)
    finally:
        browser.close()


def test_the_api_runs_the_same_flow(world: World, copied):
    """An app asks for the copy with the person's token and opens the URL it gets in a
    browser that is not signed in to B: the answer of A still finishes the copy there."""
    headers = {"Authorization": f"Bearer {world.dave.api.access_token}"}
    refused = httpx.post(
        world.b.url("/api/v1/pnyx/copies"), headers=headers, json={"source": "nobody"}
    )
    assert refused.status_code == 422 and "Enter the address" in refused.json()["error"]
    made = httpx.post(
        world.b.url("/api/v1/pnyx/copies"), headers=headers, json={"source": world.alice.handle}
    )
    assert made.status_code == 200, made.text
    url = made.json()["authorize_url"]
    assert url.startswith(world.a.url("/oauth/authorize?"))
    browser = Browser(world.a, world.b)
    try:
        sign_in = browser.go("GET", url)
        consent = browser.submit(
            sign_in, "sign-in-form", login="alice@example.com", password=PASSWORD
        )
        form = parse(consent.text).forms["consent-form"]
        name, value = form["buttons"]["authorize"]
        done = browser.go(
            "POST", urljoin(str(consent.url), form["action"]), {**form["fields"], name: value}
        )
    finally:
        browser.close()
    assert done.url.path == "/settings/import/copy/callback"
    assert done.status_code == 200 and "go back to your app" in done.text

    def over():
        found = copy_of(world.dave, made.json()["id"])
        return found if found["state"] in ("finished", "failed") else None

    view = eventually(over, attempts=900)
    assert view and (view["state"], view["imported"]) == ("finished", 9), view
    listed = httpx.get(world.b.url("/api/v1/pnyx/copies"), headers=headers).json()
    assert listed[0]["id"] == made.json()["id"]  # newest first (before: dave's denied one)
    assert {c["state"] for c in listed[1:]} <= {"denied"}
