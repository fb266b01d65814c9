"""A real Mastodon client (Mastodon.py) against a real `pnyx serve` process, as an app uses it.

Everything goes over HTTP on loopback: users are made with the `pnyx user create` command, apps
are registered and people log in through the OAuth endpoints (password grant, and the
authorization-code flow through the HTML sign-in and consent pages), then the client posts,
follows, reads timelines, replies, favourites, boosts, votes, edits, blocks and deletes. A few
checks use httpx directly to send exactly what toot sends.

The server is shared by the whole module (one per backend), so each test makes its own posts
and puts back any relationship it changes; the fixtures set up the rest (bob follows alice,
carol follows nobody).
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
import pytest
from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonError,
    MastodonNotFoundError,
    MastodonUnauthorizedError,
)

import mastodon_apps
from server import PnyxServer

from .html_forms import (
    APPROVE,
    DENY,
    authorize_in_browser,
    authorize_to_redirect,
    parse,
    settle,
    submit,
    without_csrf,
)

PASSWORD = "correct horse battery staple"
SCOPES = ["read", "write", "follow", "push"]
OOB = "urn:ietf:wg:oauth:2.0:oob"


# --------------------------------------------------------------------------- helpers


@dataclass
class Person:
    """A user of the test instance, logged in through Mastodon.py."""

    username: str
    email: str
    api: Mastodon
    id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class World:
    server: PnyxServer
    client_id: str
    client_secret: str
    alice: Person
    bob: Person
    carol: Person


def status_code(exc: MastodonError) -> int | None:
    """Mastodon.py puts the HTTP status second in an API error's args."""
    args = getattr(exc, "args", ())
    return args[1] if len(args) > 1 and isinstance(args[1], int) else None


def expect_status(code: int, fn: Callable, *args, **kwargs) -> MastodonAPIError:
    """Call a Mastodon.py method that must fail with HTTP `code`."""
    with pytest.raises(MastodonAPIError) as info:
        fn(*args, **kwargs)
    assert status_code(info.value) == code, f"expected HTTP {code}, got {info.value.args}"
    return info.value


def ids(items) -> list[str]:
    return [str(item["id"]) for item in items]


def unique(word: str) -> str:
    """A fresh hashtag-safe word, so tests sharing one server never see each other's posts."""
    return f"{word}{uuid.uuid4().hex[:10]}"


def home_ids(person: Person, **kwargs) -> list[str]:
    return ids(person.api.timeline_home(limit=40, **kwargs))


def notifications_of(person: Person, kind: str, status_id: str | None = None) -> list:
    found = []
    for note in person.api.notifications(limit=80):
        if note["type"] != kind:
            continue
        if status_id is not None and (
            note.get("status") is None or str(note["status"]["id"]) != str(status_id)
        ):
            continue
        found.append(note)
    return found


def eventually(check: Callable[[], bool], attempts: int = 50) -> bool:
    """Re-check a condition that a background job may complete (like Mastodon's fan-out).

    Bounded by a number of attempts with a short sleep, never asserting on time itself.
    """
    import time

    for _ in range(attempts):
        if check():
            return True
        time.sleep(0.1)
    return check()


# --------------------------------------------------------------------------- fixtures


def _client(world_server: PnyxServer, client_id: str, client_secret: str) -> Mastodon:
    return Mastodon(
        client_id=client_id,
        client_secret=client_secret,
        api_base_url=world_server.base_url,
        version_check_mode="created",
        ratelimit_method="throw",
        request_timeout=60,
    )


@pytest.fixture(scope="module")
def world(server: PnyxServer) -> World:
    """Three users created with the CLI, one registered app, each user logged in by password."""
    for name in ("alice", "bob", "carol"):
        server.create_user(name, f"{name}@example.com", PASSWORD)
    client_id, client_secret = Mastodon.create_app(
        "Pnyx e2e",
        scopes=SCOPES,
        redirect_uris=OOB,
        api_base_url=server.base_url,
        website="https://example.com/pnyx-e2e",
    )
    people = {}
    for name in ("alice", "bob", "carol"):
        api = _client(server, client_id, client_secret)
        token = api.log_in(
            username=f"{name}@example.com", password=PASSWORD, scopes=SCOPES, allow_http=True
        )
        me = api.account_verify_credentials()
        people[name] = Person(name, f"{name}@example.com", api, str(me["id"]), token)
    return World(server, client_id, client_secret, **people)


@pytest.fixture(scope="module")
def bob_follows_alice(world: World) -> World:
    """Bob follows Alice (an unlocked account); Carol follows nobody."""
    rel = world.bob.api.account_follow(world.alice.id)
    assert rel["following"] is True, rel
    return world


# --------------------------------------------------------------------------- instance, toot-style


def test_instance_v1_has_the_types_toot_reads(server: PnyxServer):
    for path in ("/api/v1/instance", "/api/v1/instance/"):
        r = httpx.get(server.url(path))
        assert r.status_code == 200, (path, r.status_code, r.text[:300])
        assert r.headers["content-type"].startswith("application/json")
        data = r.json()
        for key in ("uri", "title", "short_description", "description", "email", "version"):
            assert isinstance(data.get(key), str), (key, data.get(key))
        assert data["uri"] == server.domain
        assert re.match(r"^\d+\.\d+\.\d+", data["version"]), data["version"]
        assert isinstance(data["urls"], dict)
        assert isinstance(data["urls"].get("streaming_api"), str)
        stats = data["stats"]
        for key in ("user_count", "status_count", "domain_count"):
            assert isinstance(stats.get(key), int) and not isinstance(stats[key], bool), key
        assert data.get("thumbnail") is None or isinstance(data["thumbnail"], str)
        assert isinstance(data["languages"], list)
        for key in ("registrations", "approval_required", "invites_enabled"):
            assert isinstance(data.get(key), bool), (key, data.get(key))
        config = data["configuration"]
        assert isinstance(config["statuses"]["max_characters"], int)
        assert isinstance(config["polls"]["max_options"], int)
        assert isinstance(config["polls"]["max_characters_per_option"], int)
        assert isinstance(config["polls"]["min_expiration"], int)
        assert isinstance(config["polls"]["max_expiration"], int)
        assert data.get("contact_account") is None or isinstance(data["contact_account"], dict)
        assert isinstance(data["rules"], list)


def test_instance_v2_and_version_detection(server: PnyxServer):
    r = httpx.get(server.url("/api/v2/instance/"))
    assert r.status_code == 200, (r.status_code, r.text[:300])
    data = r.json()
    assert data["domain"] == server.domain
    assert isinstance(data["api_versions"]["mastodon"], int)
    assert isinstance(data["configuration"]["statuses"]["max_characters"], int)
    assert isinstance(data["configuration"]["urls"]["streaming"], str)
    assert isinstance(data["registrations"]["enabled"], bool)
    assert isinstance(data["usage"]["users"]["active_month"], int)
    assert isinstance(data["thumbnail"]["url"], str)
    api = Mastodon(api_base_url=server.base_url, version_check_mode="created")
    version = api.retrieve_mastodon_version(fail_hard=True)
    assert re.match(r"^\d+\.\d+\.\d+$", version), version
    assert api.verify_minimum_version("4.0.0", cached=True)
    instance = api.instance()  # >= 4.0.0: Mastodon.py reads v2
    assert instance["domain"] == server.domain
    assert isinstance(api.instance_rules(), list)
    assert isinstance(api.instance_peers(), list)
    assert isinstance(api.custom_emojis(), list)


def test_preferences(world: World):
    prefs = world.alice.api.preferences()
    assert prefs["posting:default:visibility"] in ("public", "unlisted", "private", "direct")
    assert isinstance(prefs["posting:default:sensitive"], bool)
    assert prefs["reading:expand:spoilers"] in (True, False)


def test_oauth_server_metadata(server: PnyxServer):
    r = httpx.get(server.url("/.well-known/oauth-authorization-server"))
    assert r.status_code == 200, (r.status_code, r.text[:300])
    meta = r.json()
    assert meta["issuer"].rstrip("/") == server.base_url
    assert meta["authorization_endpoint"].startswith(server.base_url + "/oauth/authorize")
    assert meta["token_endpoint"] == server.base_url + "/oauth/token"
    for grant in ("authorization_code", "password", "client_credentials"):
        assert grant in meta["grant_types_supported"], grant
    assert "S256" in meta["code_challenge_methods_supported"]
    for scope in ("read", "write", "follow", "push", "read:statuses"):
        assert scope in meta["scopes_supported"], scope


def test_toot_login_cli_sequence(server: PnyxServer, world: World):
    """toot login_cli: instance, apps (JSON), token (form, password), verify_credentials."""
    with httpx.Client(base_url=server.base_url) as http:
        assert http.get("/api/v1/instance").status_code == 200
        r = http.post(
            "/api/v1/apps",
            json={
                "client_name": "toot",
                "redirect_uris": OOB,
                "scopes": "read write follow",
                "website": "https://toot.bezdomni.net",
            },
        )
        assert r.status_code == 200, (r.status_code, r.text)
        app = r.json()
        assert isinstance(app["client_id"], str) and isinstance(app["client_secret"], str)
        assert app["name"] == "toot"
        r = http.post(
            "/oauth/token",
            data={
                "grant_type": "password",
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
                "username": world.carol.email,
                "password": PASSWORD,
                "scope": "read write follow",
            },
        )
        assert r.status_code == 200, (r.status_code, r.text)
        token = r.json()
        assert token["token_type"].lower() == "bearer"
        assert set(token["scope"].split()) >= {"read", "write", "follow"}
        me = http.get(
            "/api/v1/accounts/verify_credentials",
            headers={"Authorization": f"Bearer {token['access_token']}"},
        )
        assert me.status_code == 200, (me.status_code, me.text)
        assert me.json()["username"] == "carol"
        wrong = http.post(
            "/oauth/token",
            data={
                "grant_type": "password",
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
                "username": world.carol.email,
                "password": "not the password",
                "scope": "read",
            },
        )
        assert 400 <= wrong.status_code < 500, (wrong.status_code, wrong.text)
        assert "error" in wrong.json()


def test_toot_post_with_idempotency_key(world: World):
    """toot posts JSON with an Idempotency-Key; a retried request must not post twice."""
    alice = world.alice
    before = alice.api.account_verify_credentials()["statuses_count"]
    key = uuid.uuid4().hex
    body = {
        "status": "toot says hi " + key,
        "visibility": "public",
        "sensitive": False,
        "media_ids": [],
    }
    headers = {**alice.headers, "Idempotency-Key": key}
    with httpx.Client(base_url=world.server.base_url) as http:
        first = http.post("/api/v1/statuses", json=body, headers=headers)
        assert first.status_code == 200, (first.status_code, first.text)
        assert first.headers["content-type"].startswith("application/json")
        second = http.post("/api/v1/statuses", json=body, headers=headers)
        assert second.status_code == 200, (second.status_code, second.text)
        assert second.json()["id"] == first.json()["id"]
        other = http.post(
            "/api/v1/statuses", json=body, headers={**alice.headers, "Idempotency-Key": key + "x"}
        )
        assert other.status_code == 200, (other.status_code, other.text)
        assert other.json()["id"] != first.json()["id"]
    after = alice.api.account_verify_credentials()["statuses_count"]
    assert after == before + 2


# --------------------------------------------------------------------------- login


def test_password_login_gives_a_working_session(world: World):
    for person in (world.alice, world.bob, world.carol):
        me = person.api.account_verify_credentials()
        assert me["username"] == person.username
        assert me["acct"] == person.username
        assert me["url"] == f"{world.server.base_url}/@{person.username}"
        assert "source" in me and isinstance(me["source"]["privacy"], str)
    wrong = _client(world.server, world.client_id, world.client_secret)
    with pytest.raises(MastodonError):
        wrong.log_in(username=world.alice.email, password="wrong password", allow_http=True)


def test_authorization_code_flow_through_html_pages(world: World):
    api = _client(world.server, world.client_id, world.client_secret)
    url = api.auth_request_url(redirect_uris=OOB, scopes=SCOPES, allow_http=True)
    assert url.startswith(world.server.base_url + "/oauth/authorize")
    with httpx.Client(follow_redirects=True, timeout=30) as browser:
        code = authorize_in_browser(browser, url, world.bob.email, PASSWORD)
    token = api.log_in(code=code, redirect_uri=OOB, scopes=SCOPES, allow_http=True)
    assert token and token != world.bob.token
    me = api.account_verify_credentials()
    assert me["username"] == "bob"
    posted = api.status_post("signed in through the browser flow")
    assert posted["account"]["username"] == "bob"
    # A code works once.
    again = _client(world.server, world.client_id, world.client_secret)
    with pytest.raises(MastodonError):
        again.log_in(code=code, redirect_uri=OOB, scopes=SCOPES, allow_http=True)


def _pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_authorization_code_with_pkce_and_app_redirect(world: World):
    """What web apps (Elk, Phanpy, masto.js) do: a real redirect_uri, state, PKCE S256, the
    token request as JSON; a wrong verifier, a reused code and a denial all fail."""
    server = world.server
    callback = "http://127.0.0.1:9/pnyx-e2e/callback"
    client_id, client_secret = Mastodon.create_app(
        "PKCE app", scopes=["read", "write"], redirect_uris=callback, api_base_url=server.base_url
    )

    def authorize_url(challenge: str, state: str) -> str:
        query = urlencode(
            {
                "client_id": client_id,
                "response_type": "code",
                "redirect_uri": callback,
                "scope": "read write",
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        return server.url("/oauth/authorize/?") + query

    def exchange(http: httpx.Client, code: str, verifier: str | None) -> httpx.Response:
        body = {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": client_id,
            "client_secret": client_secret,
            "redirect_uri": callback,
        }
        if verifier is not None:
            body["code_verifier"] = verifier
        return http.post("/oauth/token", json=body)

    verifier, challenge = _pkce_pair()
    state = uuid.uuid4().hex
    with httpx.Client(timeout=30) as browser:
        got = authorize_to_redirect(
            browser, authorize_url(challenge, state), world.alice.email, PASSWORD, callback
        )
    assert got.get("state") == state and got.get("code"), got
    with httpx.Client(base_url=server.base_url) as http:
        token = exchange(http, got["code"], verifier)
        assert token.status_code == 200, (token.status_code, token.text)
        assert set(token.json()["scope"].split()) == {"read", "write"}
        me = http.get(
            "/api/v1/accounts/verify_credentials",
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        )
        assert me.status_code == 200 and me.json()["username"] == "alice"
        reused = exchange(http, got["code"], verifier)
        assert reused.status_code == 400 and "error" in reused.json(), reused.text

        verifier, challenge = _pkce_pair()
        with httpx.Client(timeout=30) as browser:
            got = authorize_to_redirect(
                browser, authorize_url(challenge, "s2"), world.alice.email, PASSWORD, callback
            )
        wrong = exchange(http, got["code"], "not-the-verifier-" + "x" * 40)
        assert wrong.status_code == 400 and "error" in wrong.json(), wrong.text
        missing = exchange(http, got["code"], None)
        assert missing.status_code == 400 and "error" in missing.json(), missing.text

    with httpx.Client(timeout=30) as browser:
        denied = authorize_to_redirect(
            browser,
            authorize_url(_pkce_pair()[1], "s3"),
            world.alice.email,
            PASSWORD,
            callback,
            approve=False,
        )
    assert denied.get("error") == "access_denied" and "code" not in denied, denied
    assert denied.get("state") == "s3"


def test_authorization_pages_refuse_forged_forms(world: World):
    """Sign-in and consent forms posted without their CSRF token are refused with no code."""
    api = _client(world.server, world.client_id, world.client_secret)
    url = api.auth_request_url(redirect_uris=OOB, scopes=SCOPES, allow_http=True)
    with httpx.Client(follow_redirects=True, timeout=30) as browser:
        page = browser.get(url)
        assert page.status_code == 200, (page.status_code, page.text[:300])
        form = next(
            f for f in parse(page.text).forms if any(i["type"] == "password" for i in f["inputs"])
        )
        fields = {
            i["name"]: (PASSWORD if i["type"] == "password" else world.carol.email)
            for i in form["inputs"]
            if i["type"] == "password"
            or (i["type"] in ("email", "text") and re.search(r"email|user|login", i["name"] or ""))
        }
        forged = submit(browser, page, without_csrf(form), fields, None)
        assert 400 <= forged.status_code < 500, (forged.status_code, forged.text[:300])
        assert parse(forged.text, "authorization-code").wanted is None
        # Now sign in properly and forge the consent instead.
        page, _ = settle(
            browser,
            submit(browser, page, form, fields, form["buttons"][0] if form["buttons"] else None),
            None,
        )
        assert page.status_code == 200, (page.status_code, page.text[:300])
        consent_forms = [
            f
            for f in parse(page.text).forms
            if not any(i["type"] == "password" for i in f["inputs"])
        ]
        assert consent_forms, f"no consent form after signing in: {page.text[:500]}"
        approve = None
        for f in consent_forms:
            for button in f["buttons"]:
                label = f"{button.get('name') or ''} {button['value']} {button['text']}"
                if APPROVE.search(label) and not DENY.search(label):
                    approve = (f, button)
        assert approve is not None, f"no approve button: {page.text[:800]}"
        forged = submit(browser, page, without_csrf(approve[0]), {}, approve[1])
        assert 400 <= forged.status_code < 500, (forged.status_code, forged.text[:300])
        assert parse(forged.text, "authorization-code").wanted is None


# --------------------------------------------------------------------------- posting


def test_post_with_poll_and_hashtag(world: World):
    tag = unique("pnyxpoll")
    poll = world.alice.api.make_poll(["yes", "no", "maybe"], expires_in=3600)
    status = world.alice.api.status_post(f"Which one? #{tag}", poll=poll)
    assert status["visibility"] == "public"
    assert status["account"]["id"] == world.alice.id
    assert [t["name"].lower() for t in status["tags"]] == [tag]
    assert f"/tags/{tag}" in status["content"].lower()
    assert [o["title"] for o in status["poll"]["options"]] == ["yes", "no", "maybe"]
    assert status["poll"]["multiple"] is False
    assert status["poll"]["expired"] is False
    assert status["poll"]["votes_count"] == 0
    fetched = world.carol.api.status(status["id"])
    assert fetched["id"] == status["id"]
    assert fetched["poll"]["id"] == status["poll"]["id"]
    tagged = world.carol.api.timeline_hashtag(tag)
    assert ids(tagged) == [str(status["id"])]


def test_follow(world: World, bob_follows_alice: World):
    alice, bob = world.alice, world.bob
    rel = bob.api.account_relationships(alice.id)[0]
    assert rel["following"] is True and rel["requested"] is False
    rel_back = alice.api.account_relationships(bob.id)[0]
    assert rel_back["followed_by"] is True
    assert bob.id in ids(alice.api.account_followers(alice.id))
    assert alice.id in ids(bob.api.account_following(bob.id))
    follows = [n for n in notifications_of(alice, "follow") if str(n["account"]["id"]) == bob.id]
    assert len(follows) == 1
    # Following again changes nothing and notifies nobody again.
    assert bob.api.account_follow(alice.id)["following"] is True
    follows = [n for n in notifications_of(alice, "follow") if str(n["account"]["id"]) == bob.id]
    assert len(follows) == 1
    assert alice.api.account(alice.id)["followers_count"] >= 1


def test_home_local_and_hashtag_timelines(world: World, bob_follows_alice: World):
    alice, bob, carol = world.alice, world.bob, world.carol
    tag = unique("pnyxtl")
    posts = [alice.api.status_post(f"timeline post {i} #{tag}") for i in range(3)]
    newest = str(posts[-1]["id"])
    assert eventually(lambda: newest in home_ids(bob)), "alice's post not in bob's home"
    home = home_ids(bob)
    for post in posts:
        assert str(post["id"]) in home
    assert home.index(str(posts[2]["id"])) < home.index(str(posts[0]["id"])), "newest first"
    assert newest in home_ids(alice), "own posts belong in one's home timeline"
    assert newest not in home_ids(carol), "carol follows nobody"
    local = ids(carol.api.timeline_local(limit=40))
    assert all(str(p["id"]) in local for p in posts)
    tagged = carol.api.timeline_hashtag(tag)
    assert ids(tagged) == [str(p["id"]) for p in reversed(posts)]
    # Pagination through Link headers, as Mastodon.py follows them.
    first_page = carol.api.timeline_hashtag(tag, limit=2)
    assert ids(first_page) == [str(posts[2]["id"]), str(posts[1]["id"])]
    second_page = carol.api.fetch_next(first_page)
    assert second_page is not None and ids(second_page) == [str(posts[0]["id"])]
    # Unauthenticated visitors see public local posts too (toot's `toot timeline --public`).
    r = httpx.get(world.server.url(f"/api/v1/timelines/tag/{tag}"))
    assert r.status_code == 200 and [s["id"] for s in r.json()] == ids(tagged)


def test_reply_and_context(world: World):
    alice, bob = world.alice, world.bob
    tag = unique("pnyxreply")
    parent = alice.api.status_post("What do you think?")
    reply = bob.api.status_post(f"@alice I agree #{tag}", in_reply_to_id=parent["id"])
    assert str(reply["in_reply_to_id"]) == str(parent["id"])
    assert str(reply["in_reply_to_account_id"]) == alice.id
    assert alice.id in ids(reply["mentions"])
    context = alice.api.status_context(parent["id"])
    assert ids(context["ancestors"]) == []
    assert ids(context["descendants"]) == [str(reply["id"])]
    context = bob.api.status_context(reply["id"])
    assert ids(context["ancestors"]) == [str(parent["id"])]
    assert alice.api.status(parent["id"])["replies_count"] == 1
    mentions = notifications_of(alice, "mention", reply["id"])
    assert len(mentions) == 1 and str(mentions[0]["account"]["id"]) == bob.id
    # Mastodon's tag feed (TagFeed) keeps replies: the public/local feeds drop replies to
    # others, a hashtag's timeline does not.
    assert ids(alice.api.timeline_hashtag(tag)) == [str(reply["id"])], "public reply with a tag"


def test_favourite_reblog_and_their_notifications(world: World):
    alice, carol = world.alice, world.carol
    post = alice.api.status_post("boost me")
    faved = carol.api.status_favourite(post["id"])
    assert faved["favourited"] is True and faved["favourites_count"] == 1
    boost = carol.api.status_reblog(post["id"])
    assert str(boost["reblog"]["id"]) == str(post["id"])
    assert boost["reblog"]["reblogged"] is True and boost["reblog"]["reblogs_count"] == 1
    assert str(post["id"]) in ids(carol.api.favourites(limit=40))
    assert carol.id in ids(alice.api.status_favourited_by(post["id"]))
    assert carol.id in ids(alice.api.status_reblogged_by(post["id"]))
    favs = notifications_of(alice, "favourite", post["id"])
    boosts = notifications_of(alice, "reblog", post["id"])
    assert [str(n["account"]["id"]) for n in favs] == [carol.id]
    assert [str(n["account"]["id"]) for n in boosts] == [carol.id]
    # The boost shows on carol's profile; undoing both puts the counters back.
    assert str(boost["id"]) in ids(alice.api.account_statuses(carol.id, limit=40))
    assert carol.api.status_unfavourite(post["id"])["favourites_count"] == 0
    undone = carol.api.status_unreblog(post["id"])
    assert undone["reblogged"] is False and undone["reblogs_count"] == 0
    expect_status(404, alice.api.status, boost["id"])


def test_vote_counted_once(world: World):
    alice, bob, carol = world.alice, world.bob, world.carol
    poll = alice.api.make_poll(["red", "blue"], expires_in=3600)
    status = alice.api.status_post("Favourite colour?", poll=poll)
    poll_id = status["poll"]["id"]
    voted = bob.api.poll_vote(poll_id, [1])
    assert voted["voted"] is True and voted["own_votes"] == [1]
    assert voted["votes_count"] == 1 and voted["options"][1]["votes_count"] == 1
    expect_status(422, bob.api.poll_vote, poll_id, [0])
    again = bob.api.poll(poll_id)
    assert again["votes_count"] == 1
    assert [o["votes_count"] for o in again["options"]] == [0, 1]
    expect_status(422, carol.api.poll_vote, poll_id, [0, 1])  # not a multiple-choice poll
    expect_status(422, carol.api.poll_vote, poll_id, [7])  # no such option
    assert carol.api.poll(poll_id)["voted"] is False
    assert carol.api.poll_vote(poll_id, [0])["votes_count"] == 2
    expect_status(404, carol.api.poll_vote, "99999999999999999", [0])


def test_edit_with_history(world: World):
    alice, carol = world.alice, world.carol
    post = alice.api.status_post("first version")
    carol.api.status_reblog(post["id"])
    edited = alice.api.status_update(post["id"], "second version")
    assert str(edited["id"]) == str(post["id"])
    assert "second version" in edited["content"]
    assert edited["edited_at"] is not None
    history = alice.api.status_history(post["id"])
    assert len(history) == 2
    assert "first version" in history[0]["content"]
    assert "second version" in history[1]["content"]
    assert alice.api.status_source(post["id"])["text"] == "second version"
    assert "second version" in carol.api.status(post["id"])["content"]
    assert len(notifications_of(carol, "update", post["id"])) == 1
    # Mastodon looks the status up among the caller's own: someone else's is not found.
    expect_status(404, carol.api.status_update, post["id"], "not mine")
    carol.api.status_unreblog(post["id"])


def test_followers_only_post(world: World, bob_follows_alice: World):
    alice, bob, carol = world.alice, world.bob, world.carol
    post = alice.api.status_post("for my followers", visibility="private")
    assert post["visibility"] == "private"
    assert bob.api.status(post["id"])["id"] == post["id"]
    assert eventually(lambda: str(post["id"]) in home_ids(bob))
    expect_status(404, carol.api.status, post["id"])
    with pytest.raises(MastodonNotFoundError):
        carol.api.status_context(post["id"])
    with pytest.raises(MastodonNotFoundError):
        carol.api.status_favourite(post["id"])
    assert str(post["id"]) not in ids(carol.api.account_statuses(alice.id, limit=40))
    assert str(post["id"]) not in ids(carol.api.timeline_local(limit=40))
    anonymous = httpx.get(world.server.url(f"/api/v1/statuses/{post['id']}"))
    assert anonymous.status_code == 404 and "error" in anonymous.json()
    anonymous = httpx.get(world.server.url(f"/api/v1/accounts/{alice.id}/statuses"))
    assert anonymous.status_code == 200
    assert str(post["id"]) not in [s["id"] for s in anonymous.json()]


def test_direct_message(world: World, bob_follows_alice: World):
    alice, bob, carol = world.alice, world.bob, world.carol
    dm = alice.api.status_post("@carol just between us", visibility="direct")
    assert dm["visibility"] == "direct"
    assert ids(dm["mentions"]) == [carol.id]
    assert carol.api.status(dm["id"])["id"] == dm["id"]
    assert len(notifications_of(carol, "mention", dm["id"])) == 1
    expect_status(404, bob.api.status, dm["id"])
    assert str(dm["id"]) not in home_ids(bob)
    assert str(dm["id"]) not in ids(bob.api.timeline_local(limit=40))
    assert str(dm["id"]) not in ids(bob.api.account_statuses(alice.id, limit=40))
    with pytest.raises(MastodonNotFoundError):
        bob.api.status_reblog(dm["id"])


def test_block(world: World):
    alice, bob, carol = world.alice, world.bob, world.carol
    tag = unique("pnyxblock")
    carol.api.account_follow(alice.id)
    root = bob.api.status_post(f"a thread #{tag}")
    answer = alice.api.status_post(f"@bob a reply #{tag}", in_reply_to_id=root["id"])
    before = alice.api.status_post(f"posted before the block #{tag}")
    assert carol.api.status(before["id"])["id"] == before["id"]
    try:
        rel = alice.api.account_block(carol.id)
        assert rel["blocking"] is True and rel["followed_by"] is False
        assert carol.api.account_relationships(alice.id)[0]["following"] is False
        after = alice.api.status_post(f"posted after the block #{tag}")
        for post in (before, after, answer):
            expect_status(404, carol.api.status, post["id"])
        assert ids(carol.api.timeline_hashtag(tag)) == [str(root["id"])]
        local = ids(carol.api.timeline_local(limit=40))
        assert str(before["id"]) not in local and str(after["id"]) not in local
        assert str(after["id"]) not in home_ids(carol)
        assert ids(carol.api.status_context(root["id"])["descendants"]) == []
        try:
            visible = ids(carol.api.account_statuses(alice.id, limit=40))
        except MastodonNotFoundError:
            visible = []
        assert str(before["id"]) not in visible and str(after["id"]) not in visible
        assert carol.id in ids(alice.api.blocks())
        # Bob, who is not blocked, still sees everything.
        bob_sees = ids(bob.api.timeline_hashtag(tag))
        assert {str(before["id"]), str(after["id"]), str(root["id"])} <= set(bob_sees)
        assert ids(bob.api.status_context(root["id"])["descendants"]) == [str(answer["id"])]
    finally:
        alice.api.account_unblock(carol.id)
        carol.api.account_unfollow(alice.id)
    assert carol.api.status(before["id"])["id"] == before["id"]


def test_delete(world: World, bob_follows_alice: World):
    alice, bob = world.alice, world.bob
    count = alice.api.account_verify_credentials()["statuses_count"]
    post = alice.api.status_post("soon gone")
    assert eventually(lambda: str(post["id"]) in home_ids(bob))
    deleted = alice.api.status_delete(post["id"])
    assert str(deleted["id"]) == str(post["id"])
    assert deleted["text"] == "soon gone"  # the source, for delete-and-redraft
    expect_status(404, alice.api.status, post["id"])
    expect_status(404, bob.api.status, post["id"])
    assert str(post["id"]) not in home_ids(bob)
    assert alice.api.account_verify_credentials()["statuses_count"] == count
    expect_status(404, alice.api.status_delete, post["id"])
    other = bob.api.status_post("bob's own")
    # Mastodon looks the status up among the caller's own: someone else's is not found.
    expect_status(404, alice.api.status_delete, other["id"])
    assert bob.api.status(other["id"])["id"] == other["id"]


# --------------------------------------------------------------------------- refusals


def test_over_long_and_malformed_input_refused(world: World):
    alice = world.alice
    limit = httpx.get(world.server.url("/api/v1/instance")).json()["configuration"]["statuses"][
        "max_characters"
    ]
    assert alice.api.status_post("x" * limit)["content"]
    expect_status(422, alice.api.status_post, "x" * (limit + 1))
    expect_status(422, alice.api.status_post, "")
    expect_status(
        422, alice.api.status_post, "one option", poll=alice.api.make_poll(["only"], 3600)
    )
    expect_status(
        422,
        alice.api.status_post,
        "too many",
        poll=alice.api.make_poll([str(i) for i in range(50)], 3600),
    )
    expect_status(404, alice.api.status_post, "to nothing", in_reply_to_id="99999999999999999")
    expect_status(404, alice.api.status, "99999999999999999")
    expect_status(404, alice.api.account, "99999999999999999")
    with httpx.Client(base_url=world.server.base_url) as http:
        r = http.post(
            "/api/v1/statuses",
            content=b'{"status": "unterminated',
            headers={**alice.headers, "Content-Type": "application/json"},
        )
        assert r.status_code == 400, (r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/json") and "error" in r.json()
        r = http.post("/api/v1/statuses", json=["not", "an", "object"], headers=alice.headers)
        assert 400 <= r.status_code < 500 and "error" in r.json(), (r.status_code, r.text)
        r = http.post("/api/v1/statuses", json={"status": {"nested": 1}}, headers=alice.headers)
        assert r.status_code == 422 and "error" in r.json(), (r.status_code, r.text)
        # Mastodon.py refuses a bad visibility itself; other clients may send one.
        r = http.post(
            "/api/v1/statuses",
            data={"status": "x", "visibility": "everyone"},
            headers=alice.headers,
        )
        assert r.status_code == 422 and "error" in r.json(), (r.status_code, r.text)
        r = http.get("/api/v1/statuses/not-a-number", headers=alice.headers)
        assert r.status_code == 404 and "error" in r.json(), (r.status_code, r.text)
        r = http.post("/api/v1/statuses", json={"status": "no token"})
        assert r.status_code == 401 and "error" in r.json(), (r.status_code, r.text)
        r = http.post(
            "/api/v1/statuses",
            json={"status": "bad token"},
            headers={"Authorization": "Bearer not-a-real-token"},
        )
        assert r.status_code == 401 and "error" in r.json(), (r.status_code, r.text)
    anonymous = Mastodon(api_base_url=world.server.base_url)
    with pytest.raises(MastodonUnauthorizedError):
        anonymous.account_verify_credentials()


def test_read_only_token_cannot_write(world: World):
    client_id, client_secret = Mastodon.create_app(
        "read-only app", scopes=["read"], redirect_uris=OOB, api_base_url=world.server.base_url
    )
    api = _client(world.server, client_id, client_secret)
    api.log_in(username=world.carol.email, password=PASSWORD, scopes=["read"], allow_http=True)
    assert api.account_verify_credentials()["username"] == "carol"
    expect_status(403, api.status_post, "should not be posted")
    expect_status(403, api.account_follow, world.alice.id)
    api.revoke_access_token(allow_http=True)
    with pytest.raises(MastodonUnauthorizedError):
        api.account_verify_credentials()


# --------------------------------------------------------------------------- more of the API


def test_follow_request_to_locked_account(world: World):
    bob, carol = world.bob, world.carol
    me = carol.api.account_update_credentials(
        locked=True,
        display_name="Carol C",
        note="I like #gardens",
        fields=[("Site", "https://example.com/carol")],
    )
    try:
        assert me["locked"] is True and me["display_name"] == "Carol C"
        assert me["fields"][0]["name"] == "Site"
        assert "https://example.com/carol" in me["fields"][0]["value"]
        private = carol.api.status_post("for approved followers", visibility="private")
        rel = bob.api.account_follow(carol.id)
        assert rel["following"] is False and rel["requested"] is True
        assert bob.id in ids(carol.api.follow_requests())
        requests = [
            n
            for n in notifications_of(carol, "follow_request")
            if str(n["account"]["id"]) == bob.id
        ]
        assert len(requests) == 1
        expect_status(404, bob.api.status, private["id"])
        rel = carol.api.follow_request_authorize(bob.id)
        assert rel["followed_by"] is True
        assert bob.api.account_relationships(carol.id)[0]["following"] is True
        assert bob.id not in ids(carol.api.follow_requests())
        assert bob.api.status(private["id"])["id"] == private["id"]
    finally:
        bob.api.account_unfollow(carol.id)
        carol.api.account_update_credentials(locked=False)
    assert bob.api.account_relationships(carol.id)[0]["following"] is False


def test_search_as_mastodon_py_and_toot_do(world: World):
    alice, bob, carol = world.alice, world.bob, world.carol
    found = carol.api.search_v2("bob", result_type="accounts")
    assert bob.id in ids(found["accounts"])
    assert str(carol.api.account_lookup("bob")["id"]) == bob.id
    assert bob.id in ids(carol.api.account_search("bo"))
    tag = unique("pnyxsearch")
    alice.api.status_post(f"something about #{tag}")
    hashtags = carol.api.search_v2(tag, result_type="hashtags")["hashtags"]
    assert tag in [h["name"].lower() for h in hashtags]
    # toot follow USER: search the full handle (with the port), match `acct` exactly.
    with httpx.Client(base_url=world.server.base_url) as http:
        for query in ("bob", f"bob@{world.server.domain}", f"@BOB@{world.server.domain}"):
            r = http.get(
                "/api/v2/search",
                params={"q": query, "resolve": "true", "type": "accounts"},
                headers=carol.headers,
            )
            assert r.status_code == 200, (query, r.status_code, r.text)
            assert "bob" in [a["acct"].lower() for a in r.json()["accounts"]], (query, r.text)


def test_cli_password_reset_and_suspension(world: World):
    """`pnyx user reset-password` ends sessions; `pnyx user suspend` hides the account."""
    server, bob = world.server, world.bob
    server.create_user("dave", "dave@example.com", PASSWORD)
    dave = _client(server, world.client_id, world.client_secret)
    dave.log_in(username="dave@example.com", password=PASSWORD, scopes=SCOPES, allow_http=True)
    dave_id = str(dave.account_verify_credentials()["id"])
    tag = unique("pnyxdave")
    bob.api.account_follow(dave_id)
    try:
        post = dave.status_post(f"dave was here #{tag}")
        assert bob.api.status(post["id"])["id"] == post["id"]
        new_password = "another long password"
        server.cli("user", "reset-password", "dave", "--password", new_password)
        with pytest.raises(MastodonUnauthorizedError):
            dave.account_verify_credentials()
        with pytest.raises(MastodonError):
            _client(server, world.client_id, world.client_secret).log_in(
                username="dave@example.com", password=PASSWORD, allow_http=True
            )
        dave = _client(server, world.client_id, world.client_secret)
        dave.log_in(username="dave@example.com", password=new_password, allow_http=True)
        assert dave.account_verify_credentials()["username"] == "dave"

        mastodon_apps.instance_rule(server, "Tests only")
        server.cli("user", "suspend", "dave", "--reason", "end-to-end test", "--rule", "1")
        with pytest.raises(MastodonAPIError) as info:
            dave.account_verify_credentials()
        assert status_code(info.value) in (401, 403)
        with pytest.raises(MastodonError):
            _client(server, world.client_id, world.client_secret).log_in(
                username="dave@example.com", password=new_password, allow_http=True
            )
        expect_status(404, bob.api.status, post["id"])
        assert str(post["id"]) not in home_ids(bob)
        assert ids(bob.api.timeline_hashtag(tag)) == []
        assert str(post["id"]) not in ids(bob.api.timeline_local(limit=40))
        found = bob.api.search_v2("dave", result_type="accounts")["accounts"]
        assert dave_id not in ids(found)
        try:
            account = bob.api.account(dave_id)
            assert account.get("suspended") is True, account
        except MastodonNotFoundError:
            pass

        server.cli("user", "unsuspend", "dave")
        assert bob.api.status(post["id"])["id"] == post["id"]
    finally:
        bob.api.account_unfollow(dave_id)


def test_follow_with_notify_sends_status_notifications(world: World, bob_follows_alice: World):
    alice, bob = world.alice, world.bob
    rel = bob.api.account_follow(alice.id, notify=True)
    try:
        assert rel["following"] is True and rel["notifying"] is True
        post = alice.api.status_post("ring the bell")
        assert eventually(lambda: len(notifications_of(bob, "status", post["id"])) == 1)
    finally:
        rel = bob.api.account_follow(alice.id, notify=False)
    assert rel["notifying"] is False
    quiet = alice.api.status_post("no bell now")
    assert eventually(lambda: str(quiet["id"]) in home_ids(bob))
    assert notifications_of(bob, "status", quiet["id"]) == []


def test_bookmark_pin_and_mute(world: World):
    alice, carol = world.alice, world.carol
    tag = unique("pnyxmute")
    theirs = carol.api.status_post(f"bookmark me #{tag}")
    assert alice.api.status_bookmark(theirs["id"])["bookmarked"] is True
    assert str(theirs["id"]) in ids(alice.api.bookmarks(limit=40))
    assert alice.api.status_unbookmark(theirs["id"])["bookmarked"] is False
    assert str(theirs["id"]) not in ids(alice.api.bookmarks(limit=40))

    mine = alice.api.status_post("pinned post")
    assert alice.api.status_pin(mine["id"])["pinned"] is True
    pinned = carol.api.account_statuses(alice.id, pinned=True)
    assert ids(pinned) == [str(mine["id"])]
    alice.api.status_unpin(mine["id"])
    assert ids(carol.api.account_statuses(alice.id, pinned=True)) == []

    rel = alice.api.account_mute(carol.id, notifications=True, duration=3600)
    try:
        assert rel["muting"] is True and rel["muting_notifications"] is True
        muted = alice.api.mutes()
        assert carol.id in ids(muted)
        assert [m for m in muted if str(m["id"]) == carol.id][0]["mute_expires_at"] is not None
        later = carol.api.status_post(f"alice muted me #{tag}")
        assert str(later["id"]) not in ids(alice.api.timeline_local(limit=40))
        assert str(later["id"]) not in ids(alice.api.timeline_hashtag(tag))
        assert alice.api.status(later["id"])["id"] == later["id"]  # muting hides, not forbids
        carol.api.status_favourite(mine["id"])
        assert notifications_of(alice, "favourite", mine["id"]) == []
    finally:
        alice.api.account_unmute(carol.id)
    assert str(later["id"]) in ids(alice.api.timeline_hashtag(tag))


def test_content_warning_language_unlisted_and_safe_html(world: World):
    alice, bob = world.alice, world.bob
    cw = alice.api.status_post(
        "spoilers inside", spoiler_text="film ending", sensitive=True, language="en"
    )
    assert cw["spoiler_text"] == "film ending" and cw["sensitive"] is True
    assert cw["language"] == "en"
    quiet = alice.api.status_post("quietly public", visibility="unlisted")
    assert quiet["visibility"] == "unlisted"
    assert bob.api.status(quiet["id"])["id"] == quiet["id"]
    assert str(quiet["id"]) not in ids(bob.api.timeline_local(limit=40))
    assert str(quiet["id"]) in ids(bob.api.account_statuses(alice.id, limit=40))
    hostile = alice.api.status_post(
        '<script>alert(1)</script> <b onclick="x()">bold</b> see https://example.com/page @bob'
    )
    html = hostile["content"]
    assert "<script" not in html and not re.search(r"<b[\s>]", html)
    assert not re.search(r"<[^>]*\sonclick=", html), html
    assert "&lt;script&gt;" in html
    assert 'href="https://example.com/page"' in html
    assert f'href="{world.server.base_url}/@bob"' in html
    assert ids(hostile["mentions"]) == [bob.id]


def test_status_length_counts_urls_as_23_characters(world: World):
    """Mastodon counts every URL as characters_reserved_per_url (23), whatever its length."""
    alice = world.alice
    config = httpx.get(world.server.url("/api/v1/instance")).json()["configuration"]
    limit = config["statuses"]["max_characters"]
    reserved = config["statuses"]["characters_reserved_per_url"]
    assert reserved == 23
    url = "https://example.com/" + "a" * 200
    text = "x" * (limit - reserved - 1) + " " + url
    assert alice.api.status_post(text)["id"]
    expect_status(422, alice.api.status_post, "x" * (limit - reserved) + " " + url)
    # Emoji and accented letters count as one character each.
    assert alice.api.status_post("\U0001f600" * limit)["id"]
    assert alice.api.status_post("e\u0301" * limit)["id"]


def test_multiple_choice_poll_with_hidden_totals(world: World):
    alice, bob, carol = world.alice, world.bob, world.carol
    poll = alice.api.make_poll(["a", "b", "c"], expires_in=3600, multiple=True, hide_totals=True)
    status = alice.api.status_post("pick any", poll=poll)
    poll_id = status["poll"]["id"]
    voted = bob.api.poll_vote(poll_id, [0, 2])
    assert voted["multiple"] is True and sorted(voted["own_votes"]) == [0, 2]
    assert voted["votes_count"] == 2 and voted["voters_count"] == 1
    seen = carol.api.poll(poll_id)
    assert seen["voted"] is False
    assert [o["votes_count"] for o in seen["options"]] == [None, None, None]
    expect_status(422, bob.api.poll_vote, poll_id, [1])


def test_notification_filters_dismiss_and_clear(world: World):
    alice, bob, carol = world.alice, world.bob, world.carol
    mine = carol.api.status_post("notify me")
    alice.api.status_favourite(mine["id"])
    bob.api.status_reblog(mine["id"])
    bob.api.status_post("@carol hello there")
    assert eventually(lambda: len(notifications_of(carol, "mention")) >= 1)
    only_favs = carol.api.notifications(types=["favourite"], limit=40)
    assert only_favs and {n["type"] for n in only_favs} == {"favourite"}
    no_favs = carol.api.notifications(exclude_types=["favourite"], limit=40)
    assert no_favs and "favourite" not in {n["type"] for n in no_favs}
    boost = notifications_of(carol, "reblog", mine["id"])[0]
    assert str(carol.api.notifications(id=boost["id"])["id"]) == str(boost["id"])
    expect_status(404, alice.api.notifications, id=boost["id"])  # not alice's
    carol.api.notifications_dismiss(boost["id"])
    assert notifications_of(carol, "reblog", mine["id"]) == []
    assert carol.api.notifications_unread_count()["count"] >= 1
    carol.api.notifications_clear()
    assert carol.api.notifications(limit=40) == []
    bob.api.status_unreblog(mine["id"])


def test_grouped_notifications_as_phanpy_and_ice_cubes_read_them(world: World):
    alice, bob, carol = world.alice, world.bob, world.carol
    post = alice.api.status_post(unique("group me"))
    bob.api.status_favourite(post["id"])
    carol.api.status_favourite(post["id"])
    results = alice.api.grouped_notifications(limit=40, types=["favourite"])
    [group] = [g for g in results["notification_groups"] if str(g["status_id"]) == str(post["id"])]
    assert group["type"] == "favourite" and group["notifications_count"] == 2
    assert {str(i) for i in group["sample_account_ids"]} == {bob.id, carol.id}
    assert str(post["id"]) in ids(results["statuses"])
    known = ids(results["accounts"]) + ids(results.get("partial_accounts") or [])
    assert {bob.id, carol.id} <= set(known)

    key = group["group_key"]
    one = alice.api.grouped_notification(key)
    assert one["notification_groups"][0]["notifications_count"] == 2
    assert set(ids(alice.api.grouped_notification_accounts(key))) == {bob.id, carol.id}
    assert {n["group_key"] for n in notifications_of(alice, "favourite", post["id"])} == {key}
    assert alice.api.unread_grouped_notifications_count() >= 1  # Mastodon.py returns the int
    alice.api.dismiss_grouped_notification(key)
    assert notifications_of(alice, "favourite", post["id"]) == []


def test_notification_policy_and_requests_through_mastodon_py(world: World):
    """Carol follows nobody and asks, as Mastodon's default does, to hold private mentions
    from people she does not follow: Bob's is held under a request until she accepts it."""
    bob, carol = world.bob, world.carol
    assert carol.api.notifications_policy()["for_private_mentions"] == "accept"  # Pnyx's default
    chosen = carol.api.update_notifications_policy(for_private_mentions="filter")
    assert chosen["for_private_mentions"] == "filter"
    secret = bob.api.status_post(f"@carol {unique('psst')}", visibility="direct")
    assert notifications_of(carol, "mention", secret["id"]) == []
    [request] = [r for r in carol.api.notification_requests() if str(r["account"]["id"]) == bob.id]
    assert str(request["last_status"]["id"]) == str(secret["id"])
    carol.api.accept_notification_request(request["id"])
    assert len(notifications_of(carol, "mention", secret["id"])) == 1
    carol.api.update_notifications_policy(for_private_mentions="accept")


def test_conversations_as_the_direct_tab_reads_them(world: World):
    alice, carol = world.alice, world.carol
    secret = alice.api.status_post(f"@carol {unique('psst')}", visibility="direct")
    [conversation] = [
        c
        for c in carol.api.conversations(limit=40)
        if str(c["last_status"]["id"]) == str(secret["id"])
    ]
    assert conversation["unread"] is True
    assert [str(a["id"]) for a in conversation["accounts"]] == [alice.id]
    assert carol.api.conversations_read(conversation["id"])["unread"] is False


def test_pagination_both_ways(world: World):
    alice, carol = world.alice, world.carol
    tag = unique("pnyxpage")
    posts = [alice.api.status_post(f"page {i} #{tag}") for i in range(5)]
    newest_first = [str(p["id"]) for p in reversed(posts)]
    page = carol.api.timeline_hashtag(tag, limit=2)
    seen = ids(page)
    while True:
        page = carol.api.fetch_next(page)
        if not page:
            break
        seen += ids(page)
    assert seen == newest_first
    # min_id walks forwards from the oldest: the page just after it, oldest last.
    after = carol.api.timeline_hashtag(tag, min_id=posts[0]["id"], limit=2)
    assert ids(after) == [str(posts[2]["id"]), str(posts[1]["id"])]
    newer = carol.api.fetch_previous(after)
    assert ids(newer) == [str(posts[4]["id"]), str(posts[3]["id"])]
    since = carol.api.timeline_hashtag(tag, since_id=posts[2]["id"])
    assert ids(since) == [str(posts[4]["id"]), str(posts[3]["id"])]
    with httpx.Client(base_url=world.server.base_url) as http:
        r = http.get(f"/api/v1/timelines/tag/{tag}", params={"limit": 2}, headers=carol.headers)
        link = r.headers.get("link", "")
        assert 'rel="next"' in link and 'rel="prev"' in link, link
        assert f"max_id={posts[3]['id']}" in link and f"min_id={posts[4]['id']}" in link, link


def test_account_statuses_filters(world: World):
    alice, bob, carol = world.alice, world.bob, world.carol
    tag = unique("pnyxprofile")
    theirs = bob.api.status_post("bob speaks")
    plain = alice.api.status_post(f"plain #{tag}")
    reply = alice.api.status_post("@bob answering", in_reply_to_id=theirs["id"])
    thread = alice.api.status_post("continuing myself", in_reply_to_id=plain["id"])
    boost = alice.api.status_reblog(theirs["id"])
    every = ids(carol.api.account_statuses(alice.id, limit=40))
    for item in (plain, reply, thread, boost):
        assert str(item["id"]) in every
    no_replies = ids(carol.api.account_statuses(alice.id, exclude_replies=True, limit=40))
    assert str(reply["id"]) not in no_replies
    assert str(thread["id"]) in no_replies  # replies to oneself stay, as on Mastodon
    no_boosts = ids(carol.api.account_statuses(alice.id, exclude_reblogs=True, limit=40))
    assert str(boost["id"]) not in no_boosts and str(plain["id"]) in no_boosts
    assert ids(carol.api.account_statuses(alice.id, tagged=tag)) == [str(plain["id"])]
    assert ids(carol.api.account_statuses(alice.id, only_media=True, limit=40)) == []
    alice.api.status_unreblog(theirs["id"])


def test_cors_for_browser_clients(world: World):
    """Web clients (Elk, Phanpy, masto.js in a browser) need CORS on the API and OAuth token
    endpoints, as Mastodon sends it: any origin, no credentials, Link exposed for paging."""
    origin = {"Origin": "https://elk.example"}
    with httpx.Client(base_url=world.server.base_url) as http:
        for path, method in (
            ("/api/v1/statuses", "POST"),
            ("/api/v1/timelines/home", "GET"),
            ("/oauth/token", "POST"),
            ("/api/v1/apps", "POST"),
        ):
            pre = http.options(
                path,
                headers={
                    **origin,
                    "Access-Control-Request-Method": method,
                    "Access-Control-Request-Headers": "authorization, content-type",
                },
            )
            assert pre.status_code in (200, 204), (path, pre.status_code, pre.text[:200])
            assert pre.headers.get("access-control-allow-origin") in ("*", origin["Origin"]), (
                path,
                dict(pre.headers),
            )
            allowed = pre.headers.get("access-control-allow-methods", "").upper()
            assert method in allowed, (path, allowed)
            allowed_headers = pre.headers.get("access-control-allow-headers", "").lower()
            assert "authorization" in allowed_headers or allowed_headers == "*", allowed_headers
        r = http.get("/api/v1/timelines/public", params={"limit": 1}, headers=origin)
        assert r.status_code == 200
        assert r.headers.get("access-control-allow-origin") in ("*", origin["Origin"])
        assert "link" in r.headers.get("access-control-expose-headers", "").lower()


def test_sign_up_through_the_api(world: World):
    """Mastodon.py create_account: a client_credentials token, then POST /api/v1/accounts."""
    api = _client(world.server, world.client_id, world.client_secret)
    name = "erin" + uuid.uuid4().hex[:6]
    token, problem = api.create_account(
        name, PASSWORD, f"{name}@example.com", agreement=True, return_detailed_error=True
    )
    assert token and not problem.get("error"), problem  # success: an empty error object
    # Taken username and email, a missing agreement: refused with Mastodon's details.
    again = _client(world.server, world.client_id, world.client_secret)
    token, problem = again.create_account(
        name, PASSWORD, f"{name}@example.com", agreement=True, return_detailed_error=True
    )
    assert token is None and problem["error"]
    assert problem["details"]["username"][0]["error"] == "ERR_TAKEN"
    taken_details = problem["details"]
    token, problem = again.create_account(
        "frank" + uuid.uuid4().hex[:6], PASSWORD, "frank@example.org", return_detailed_error=True
    )
    assert token is None and problem["details"]["agreement"][0]["error"] == "ERR_ACCEPTED"
    # An app-only token is not a user: user endpoints refuse it.
    with httpx.Client(base_url=world.server.base_url) as http:
        app_token = http.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": world.client_id,
                "client_secret": world.client_secret,
                "scope": "read write",
            },
        )
        assert app_token.status_code == 200, app_token.text
        headers = {"Authorization": f"Bearer {app_token.json()['access_token']}"}
        assert http.get("/api/v1/apps/verify_credentials", headers=headers).status_code == 200
        me = http.get("/api/v1/accounts/verify_credentials", headers=headers)
        assert me.status_code in (401, 403, 422) and "error" in me.json(), me.text
        post = http.post("/api/v1/statuses", json={"status": "from no one"}, headers=headers)
        assert post.status_code in (401, 403, 422) and "error" in post.json(), post.text
    # Like Mastodon (Rails validations), every invalid field is reported, not just the first.
    assert (taken_details.get("email") or [{}])[0].get("error") == "ERR_TAKEN", taken_details


def test_markers_and_private_notes(world: World, bob_follows_alice):
    alice, bob, carol = world.alice, world.bob, world.carol
    post = alice.api.status_post("read up to here")
    markers = bob.api.markers_set(["home"], [post["id"]])
    assert str(markers["home"]["last_read_id"]) == str(post["id"])
    got = bob.api.markers_get(["home", "notifications"])
    assert str(got["home"]["last_read_id"]) == str(post["id"])
    assert isinstance(got["home"]["version"], int)

    rel = carol.api.account_note_set(alice.id, "met at the conference")
    assert rel["note"] == "met at the conference"
    assert alice.api.account_relationships(carol.id)[0]["note"] == ""  # notes are private


def test_familiar_followers_as_mastodon_py_sends_it(world: World, bob_follows_alice):
    """Mastodon.py sends this GET's ids as a JSON body; Mastodon (Rails) reads it."""
    alice, bob, carol = world.alice, world.bob, world.carol
    carol.api.account_follow(bob.id)
    try:
        with httpx.Client(base_url=world.server.base_url) as http:
            r = http.get(
                "/api/v1/accounts/familiar_followers",
                params={"id[]": alice.id},
                headers=carol.headers,
            )
            assert r.status_code == 200, r.text
            assert [a["id"] for a in r.json()[0]["accounts"]] == [bob.id]
        familiar = carol.api.account_familiar_followers(alice.id)
        assert familiar, "ids sent as a JSON body on GET were ignored"
        assert str(familiar[0]["id"]) == alice.id
        assert bob.id in ids(familiar[0]["accounts"])
    finally:
        carol.api.account_unfollow(bob.id)


def test_muted_thread_silences_mentions(world: World):
    alice, bob = world.alice, world.bob
    thread = alice.api.status_post("a thread I will mute")
    assert alice.api.status_mute(thread["id"])["muted"] is True
    reply = bob.api.status_post("@alice noisy reply", in_reply_to_id=thread["id"])
    assert notifications_of(alice, "mention", reply["id"]) == []
    alice.api.status_unmute(thread["id"])
    louder = bob.api.status_post("@alice after unmute", in_reply_to_id=thread["id"])
    assert len(notifications_of(alice, "mention", louder["id"])) == 1


def test_remove_from_followers(world: World, bob_follows_alice):
    alice, bob = world.alice, world.bob
    try:
        rel = alice.api.account_remove_from_followers(bob.id)
        assert rel["followed_by"] is False
        assert bob.api.account_relationships(alice.id)[0]["following"] is False
        assert bob.id not in ids(alice.api.account_followers(alice.id))
    finally:
        assert bob.api.account_follow(alice.id)["following"] is True  # fixture state back


def test_masto_js_and_megalodon_style_json_bodies(world: World, bob_follows_alice):
    """masto.js sends JSON everywhere; megalodon sends `{}` as the body of favourite/follow."""
    alice, bob, carol = world.alice, world.bob, world.carol
    post = alice.api.status_post("json clients welcome")
    with httpx.Client(base_url=world.server.base_url) as http:
        fav = http.post(f"/api/v1/statuses/{post['id']}/favourite", json={}, headers=carol.headers)
        assert fav.status_code == 200 and fav.json()["favourited"] is True, fav.text
        follow = http.post(f"/api/v1/accounts/{bob.id}/follow", json={}, headers=carol.headers)
        assert follow.status_code == 200 and follow.json()["following"] is True, follow.text
        unfollow = http.post(f"/api/v1/accounts/{bob.id}/unfollow", json={}, headers=carol.headers)
        assert unfollow.status_code == 200 and unfollow.json()["following"] is False
        poll = http.post(
            "/api/v1/statuses",
            json={
                "status": "json poll",
                "poll": {"options": ["x", "y"], "expiresIn": 600, "expires_in": 600},
                "sensitive": "0",
                "visibility": "public",
            },
            headers=alice.headers,
        )
        assert poll.status_code == 200, poll.text
        votes = http.post(
            f"/api/v1/polls/{poll.json()['poll']['id']}/votes",
            json={"choices": ["1"]},
            headers=bob.headers,
        )
        assert votes.status_code == 200 and votes.json()["own_votes"] == [1], votes.text
        creds = http.patch(
            "/api/v1/accounts/update_credentials",
            files={"display_name": (None, "Carol via multipart"), "locked": (None, "false")},
            headers=carol.headers,
        )
        assert creds.status_code == 200, creds.text
        assert creds.json()["display_name"] == "Carol via multipart"
        for response in (fav, follow, unfollow, poll, votes, creds):
            assert response.headers["content-type"].startswith("application/json")


def test_report_as_mastodon_py_files_it(world: World):
    carol, bob = world.carol, world.bob
    post = bob.api.status_post(unique("buy cheap olives"))
    report = carol.api.report(
        bob.id, status_ids=[post["id"]], comment="spam in my timeline", category="spam"
    )
    assert str(report["target_account"]["id"]) == bob.id
    assert [str(i) for i in report["status_ids"]] == [str(post["id"])]
    assert report["category"] == "spam" and report["action_taken"] is False
    expect_status(404, carol.api.report, "12345")
