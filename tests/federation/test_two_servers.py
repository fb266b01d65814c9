"""Two real `pnyx serve` processes federating over loopback, driven with Mastodon.py.

Server A runs on SQLite; server B on PostgreSQL when PNYX_TEST_DATABASE_URL is set (else
SQLite too), so one pair covers both storage engines talking to each other. Alice lives on
A; Bob and Carol on B. Bob follows Alice; Carol follows nobody on A.

Delivery is asynchronous (a job), so checks poll with `eventually` (a bounded number of
attempts, never a timing assertion).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import httpx
import pytest
from mastodon.errors import MastodonAPIError

from server import PnyxServer

from .people import Person, eventually, find_in_home, login, two_servers


@dataclass
class Pair:
    a: PnyxServer
    b: PnyxServer
    alice: Person
    bob: Person
    carol: Person


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    with two_servers(tmp_path_factory, "server") as (a, b):
        yield Pair(a, b, login(a, "alice"), login(b, "bob"), login(b, "carol"))


def remote_account(person: Person, handle: str) -> dict:
    return person.api.account_lookup(handle)


def home_contents(person: Person) -> list[str]:
    return [s["content"] for s in person.api.timeline_home(limit=40)]


@pytest.fixture(scope="module")
def followed(pair: Pair) -> Pair:
    """Bob (on B) follows Alice (on A): Follow goes out, Accept comes back."""
    alice_there = remote_account(pair.bob, pair.alice.handle)
    rel = pair.bob.api.account_follow(alice_there["id"])
    assert rel["following"] or rel["requested"], rel
    assert eventually(
        lambda: pair.bob.api.account_relationships(alice_there["id"])[0]["following"]
    ), "Bob's follow was never accepted"
    assert eventually(lambda: pair.alice.api.account(pair.alice.id)["followers_count"] == 1)
    return pair


def test_webfinger_lookup_finds_the_remote_account(pair: Pair):
    found = remote_account(pair.bob, pair.alice.handle)
    assert found["acct"] == pair.alice.handle
    assert found["username"] == "alice"
    assert found["url"].startswith(pair.a.base_url)
    # Asking again finds the stored copy: the same id.
    assert remote_account(pair.bob, "@" + pair.alice.handle)["id"] == found["id"]


def test_a_pasted_profile_address_finds_the_account_on_its_server(pair: Pair):
    """Carol (on B) pastes the address of someone on A that B has never heard of, in both
    forms Mastodon resolves: the actor id (/users/x) and the profile page (/@x)."""
    for name in ("pasted_page", "pasted_id"):
        pair.a.create_user(name, f"{name}@example.com", "a long password")
    for name, address in (("pasted_page", "/@pasted_page"), ("pasted_id", "/users/pasted_id")):
        url = pair.a.url(address)
        unresolved = pair.carol.api.search_v2(url, resolve=False, result_type="accounts")
        assert unresolved["accounts"] == []
        found = pair.carol.api.search_v2(url, resolve=True)["accounts"]
        assert [a["acct"] for a in found] == [f"{name}@{pair.a.domain}"], url
        assert found[0]["url"] == pair.a.url(f"/@{name}")
        # Stored now: found again without asking A.
        again = pair.carol.api.search_v2(url, resolve=False)["accounts"]
        assert [a["id"] for a in again] == [found[0]["id"]]


def test_a_public_post_reaches_the_followers_home(followed: Pair):
    word = f"hello{uuid.uuid4().hex[:8]}"
    followed.alice.api.status_post(f"{word} from server A #federation")
    status = eventually(lambda: find_in_home(followed.bob, word))
    assert status, "the post never reached Bob's home timeline"
    assert status["account"]["acct"] == followed.alice.handle
    assert status["uri"].startswith(followed.a.base_url)
    assert [t["name"] for t in status["tags"]] == ["federation"]


def test_reply_threads_and_notifies_across_servers(followed: Pair):
    word = f"question{uuid.uuid4().hex[:8]}"
    original = followed.alice.api.status_post(f"{word}: who is there?")
    there = eventually(lambda: find_in_home(followed.bob, word))
    assert there
    reply = followed.bob.api.status_post(
        f"@{followed.alice.handle} me, from B", in_reply_to_id=there["id"]
    )
    assert reply["in_reply_to_id"] == there["id"]

    def mentioned():
        for note in followed.alice.api.notifications(types=["mention"]):
            if note["status"]["in_reply_to_id"] == str(original["id"]):
                return note
        return None

    note = eventually(mentioned)
    assert note, "Alice never heard of Bob's reply"
    assert note["account"]["acct"] == followed.bob.handle
    context = followed.alice.api.status_context(original["id"])
    assert [s["id"] for s in context["descendants"]] == [note["status"]["id"]]
    assert eventually(lambda: followed.alice.api.status(original["id"])["replies_count"] == 1)


def test_favourite_and_boost_are_counted_at_the_origin(followed: Pair):
    word = f"likeable{uuid.uuid4().hex[:8]}"
    original = followed.alice.api.status_post(word)
    there = eventually(lambda: find_in_home(followed.bob, word))
    followed.bob.api.status_favourite(there["id"])
    followed.bob.api.status_reblog(there["id"])
    assert eventually(
        lambda: (
            (s := followed.alice.api.status(original["id"]))["favourites_count"] == 1
            and s["reblogs_count"] == 1
        )
    ), followed.alice.api.status(original["id"])
    kinds = {n["type"] for n in followed.alice.api.notifications(limit=40)}
    assert {"favourite", "reblog"} <= kinds


def test_followers_only_post_reaches_only_followers(followed: Pair):
    word = f"secret{uuid.uuid4().hex[:8]}"
    post = followed.alice.api.status_post(word, visibility="private")
    there = eventually(lambda: find_in_home(followed.bob, word))
    assert there and there["visibility"] == "private"
    # Carol, on the same server as Bob but not a follower, cannot see it by id or by search.
    with pytest.raises(MastodonAPIError):
        followed.carol.api.status(there["id"])
    found = followed.carol.api.search_v2(post["url"], resolve=True)
    assert found["statuses"] == []
    found = followed.carol.api.search_v2(post["uri"], resolve=True)
    assert found["statuses"] == []


def test_edit_and_delete_propagate(followed: Pair):
    word = f"draft{uuid.uuid4().hex[:8]}"
    post = followed.alice.api.status_post(f"{word} first version")
    assert eventually(lambda: find_in_home(followed.bob, word))
    followed.alice.api.status_update(post["id"], f"{word} second version")
    assert eventually(
        lambda: (s := find_in_home(followed.bob, word)) and "second version" in s["content"]
    )
    followed.alice.api.status_delete(post["id"])
    assert eventually(lambda: find_in_home(followed.bob, word) is None)


def test_unsigned_and_forged_posts_to_the_inbox_are_refused(pair: Pair):
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{pair.b.base_url}/users/bob/forged/1",
        "type": "Create",
        "actor": f"{pair.b.base_url}/users/bob",
        "object": {
            "id": f"{pair.b.base_url}/users/bob/statuses/1",
            "type": "Note",
            "attributedTo": f"{pair.b.base_url}/users/bob",
            "content": "forged",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        },
    }
    answer = httpx.post(
        pair.a.url("/inbox"),
        json=activity,
        headers={"Content-Type": "application/activity+json"},
    )
    assert answer.status_code == 401, answer.text
    assert "error" in answer.json()


def test_locked_account_needs_approval(pair: Pair):
    dora = login(pair.a, "dora")
    dora.api.account_update_credentials(locked=True)
    dora_there = remote_account(pair.bob, dora.handle)
    assert dora_there["locked"] is True
    rel = pair.bob.api.account_follow(dora_there["id"])
    assert rel["requested"] is True and rel["following"] is False
    requests = eventually(lambda: dora.api.follow_requests())
    assert [r["acct"] for r in requests] == [pair.bob.handle]
    time.sleep(0.5)
    assert pair.bob.api.account_relationships(dora_there["id"])[0]["following"] is False
    dora.api.follow_request_authorize(requests[0]["id"])
    assert eventually(
        lambda: pair.bob.api.account_relationships(dora_there["id"])[0]["following"]
    ), "the approval never reached Bob's server"


def test_a_remote_vote_is_counted_at_the_origin(followed: Pair):
    word = f"poll{uuid.uuid4().hex[:8]}"
    post = followed.alice.api.status_post(
        f"{word}: tea or coffee?",
        poll=followed.alice.api.make_poll(["tea", "coffee"], expires_in=3600),
    )
    there = eventually(lambda: find_in_home(followed.bob, word))
    assert there["poll"]["options"][1]["title"] == "coffee"
    followed.bob.api.poll_vote(there["poll"]["id"], [1])

    def counted():
        poll = followed.alice.api.poll(post["poll"]["id"])
        return poll["votes_count"] == 1 and poll["options"][1]["votes_count"] == 1

    assert eventually(counted), followed.alice.api.poll(post["poll"]["id"])


def test_a_profile_update_propagates(followed: Pair):
    name = f"Alice {uuid.uuid4().hex[:6]}"
    followed.alice.api.account_update_credentials(display_name=name, note="Lives on server A")
    alice_there = remote_account(followed.bob, followed.alice.handle)
    assert eventually(
        lambda: followed.bob.api.account(alice_there["id"])["display_name"] == name
    ), followed.bob.api.account(alice_there["id"])
    assert "server A" in followed.bob.api.account(alice_there["id"])["note"]


def test_a_direct_message_reaches_only_the_mentioned_account(followed: Pair):
    word = f"whisper{uuid.uuid4().hex[:8]}"
    followed.alice.api.status_post(f"@{followed.bob.handle} {word}", visibility="direct")

    def delivered():
        for note in followed.bob.api.notifications(types=["mention"]):
            if word in note["status"]["content"]:
                return note
        return None

    note = eventually(delivered)
    assert note and note["status"]["visibility"] == "direct"
    with pytest.raises(MastodonAPIError):
        followed.carol.api.status(note["status"]["id"])
    assert not [s for s in followed.carol.api.timeline_public() if word in s["content"]]


def test_unfollow_and_block_propagate(followed: Pair):
    alice_there = remote_account(followed.bob, followed.alice.handle)
    followed.bob.api.account_unfollow(alice_there["id"])
    assert eventually(lambda: followed.alice.api.account(followed.alice.id)["followers_count"] == 0)
    word = f"afterwards{uuid.uuid4().hex[:8]}"
    followed.alice.api.status_post(word)

    bob_here = remote_account(followed.alice, followed.bob.handle)
    followed.alice.api.account_block(bob_here["id"])
    assert eventually(
        lambda: followed.bob.api.account_relationships(alice_there["id"])[0]["blocked_by"]
    ), "the block never reached Bob's server"
    assert find_in_home(followed.bob, word) is None  # nothing more came after the unfollow
    followed.alice.api.account_unblock(bob_here["id"])
    assert eventually(
        lambda: not followed.bob.api.account_relationships(alice_there["id"])[0]["blocked_by"]
    )


def test_first_sight_of_an_account_brings_its_recent_posts(pair: Pair):
    erin = login(pair.a, "erin")
    word = f"older{uuid.uuid4().hex[:8]}"
    erin.api.status_post(f"{word} one")
    erin.api.status_post(f"{word} two", visibility="unlisted")
    erin.api.status_post(f"{word} for followers", visibility="private")
    erin_there = remote_account(pair.carol, erin.handle)

    def backfilled():
        posts = pair.carol.api.account_statuses(erin_there["id"])
        return [p for p in posts if word in p["content"]]

    posts = eventually(lambda: len(backfilled()) == 2 and backfilled())
    assert posts, pair.b.logs()[-2000:]
    assert all("followers" not in p["content"] for p in posts)


def test_a_post_naming_someone_we_never_met_keeps_them_in_its_mentions(followed: Pair):
    # Bob (B) names Alice (A) and Erin (B). A has never heard of Erin: the post is stored at
    # once, and Erin is looked up afterwards and added to its mentions, so a reply from A can
    # address everyone in the conversation.
    erin = login(followed.b, "erin")
    word = f"hello{uuid.uuid4().hex[:8]}"
    followed.bob.api.status_post(f"@{followed.alice.handle} @erin {word}")

    def mentioned_there():
        for note in followed.alice.api.notifications(types=["mention"]):
            if note["status"] and word in note["status"]["content"]:
                accts = {
                    m["acct"] for m in followed.alice.api.status(note["status"]["id"])["mentions"]
                }
                return accts if erin.handle in accts else None
        return None

    accts = eventually(mentioned_there)
    assert accts == {followed.alice.username, erin.handle}, accts


def test_a_local_post_naming_an_account_never_seen_here_reaches_it(pair: Pair):
    # Alice (A) names Fran (B), whom A has never heard of: A looks Fran up (WebFinger, then
    # the actor) before the post goes out, so it names her and reaches her server.
    fran = login(pair.b, "fran")
    word = f"hi{uuid.uuid4().hex[:8]}"
    posted = pair.alice.api.status_post(f"@fran@{pair.b.domain} {word}")
    assert "@fran" in posted["content"]  # plain text until the lookup is done

    def notified():
        for note in fran.api.notifications(types=["mention"]):
            if note["status"] and word in note["status"]["content"]:
                return note
        return None

    note = eventually(notified)
    assert note, pair.a.logs()[-3000:]
    assert note["account"]["acct"] == pair.alice.handle
    mine = pair.alice.api.status(posted["id"])
    assert [m["acct"] for m in mine["mentions"]] == [fran.handle]
    assert 'class="u-url mention"' in mine["content"]


def test_remote_posts_are_searched_as_their_author_allows(followed: Pair):
    """Alice's posts reach B (Bob follows her); Carol, on B and following nobody, finds them
    by full-text search while Alice is `indexable`, through edit, opt-out and delete."""
    old, new = f"old{uuid.uuid4().hex[:8]}", f"new{uuid.uuid4().hex[:8]}"

    def found(person: Person, q: str) -> list[str]:
        answer = person.api.search_v2(q, resolve=False, result_type="statuses")
        return [s["uri"] for s in answer["statuses"]]

    # An earlier test of the module has Bob unfollow Alice: he follows her again.
    alice_there = remote_account(followed.bob, followed.alice.handle)
    followed.bob.api.account_follow(alice_there["id"])
    assert eventually(
        lambda: followed.bob.api.account_relationships(alice_there["id"])[0]["following"]
    )
    post = followed.alice.api.status_post(f"{old} searchable")
    assert eventually(lambda: found(followed.carol, old) == [post["uri"]])
    followed.alice.api.status_update(post["id"], f"{new} searchable")
    assert eventually(lambda: found(followed.carol, new) == [post["uri"]])
    assert found(followed.carol, old) == []
    followed.alice.api.account_update_credentials(indexable=False)
    try:
        assert eventually(lambda: found(followed.carol, new) == [])
        # Found by no one else now, except those whose library holds it: Bob favourites it.
        there = followed.bob.api.search_v2(post["uri"], resolve=False, result_type="statuses")
        followed.bob.api.status_favourite(there["statuses"][0]["id"])
        assert found(followed.bob, new) == [post["uri"]]
    finally:
        followed.alice.api.account_update_credentials(indexable=True)
    assert eventually(lambda: found(followed.carol, new) == [post["uri"]])
    followed.alice.api.status_delete(post["id"])
    assert eventually(lambda: found(followed.bob, new) == [])
