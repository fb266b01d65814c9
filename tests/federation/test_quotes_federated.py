"""Quote posts between two real `pnyx serve` processes (FEP-044f), driven with Mastodon.py:
the quoting server sends a QuoteRequest, the quoted author's server answers with an Accept
carrying a QuoteAuthorization stamp (served at its id), the quote goes out again authorized;
the quoted author revokes it with a Delete of the stamp. Both directions, and a refusal under
a policy that came over the wire.

Server A runs on SQLite; server B on PostgreSQL when PNYX_TEST_DATABASE_URL is set. Alice is
on A; Bob and Carol on B; Bob follows Alice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx
import pytest
from mastodon.errors import MastodonAPIError

from server import PnyxServer

from .people import Person, eventually, find_in_home, login, two_servers

AP = {"Accept": "application/activity+json"}


@dataclass
class Pair:
    a: PnyxServer
    b: PnyxServer
    alice: Person
    bob: Person
    carol: Person


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    with two_servers(tmp_path_factory, "quotes") as (a, b):
        alice, bob, carol = login(a, "alice"), login(b, "bob"), login(b, "carol")
        there = bob.api.account_lookup(alice.handle)
        bob.api.account_follow(there["id"])
        assert eventually(lambda: bob.api.account_relationships(there["id"])[0]["following"])
        yield Pair(a, b, alice, bob, carol)


def _state(person: Person, status_id) -> str | None:
    quote = person.api.status(status_id)["quote"]
    return quote["state"] if quote else None


def _resolved(person: Person, uri: str) -> dict:
    found = person.api.search_v2(uri, resolve=True, result_type="statuses")["statuses"]
    assert found, f"{uri} not found"
    return found[0]


def test_a_quote_of_a_post_elsewhere_is_asked_for_accepted_and_revoked(pair: Pair):
    word = f"quotable{uuid.uuid4().hex[:8]}"
    original = pair.alice.api.status_post(word)
    there = eventually(lambda: find_in_home(pair.bob, word))
    assert there, "Alice's post never reached Bob"
    assert there["quote_approval"]["automatic"] == ["public"]

    quote = pair.bob.api.status_post("see this", quoted_status_id=there["id"])
    assert quote["quote"]["state"] in ("pending", "accepted")
    assert eventually(lambda: _state(pair.bob, quote["id"]) == "accepted"), "never accepted"
    shown = pair.bob.api.status(quote["id"])["quote"]["quoted_status"]
    assert shown["uri"] == original["uri"]

    # Alice heard of it, about Bob's post as her server holds it.
    def told():
        for note in pair.alice.api.notifications(types=["quote"]):
            if note["status"]["uri"] == quote["uri"]:
                return note
        return None

    note = eventually(told)
    assert note, "Alice was never told of the quote"
    assert note["account"]["acct"] == pair.bob.handle
    assert note["status"]["quote"]["quoted_status"]["id"] == str(original["id"])

    # The quoting Note carries the quote and its stamp; the stamp is served where it says.
    doc = httpx.get(quote["uri"], headers=AP).json()
    assert doc["quote"] == doc["_misskey_quote"] == doc["quoteUri"] == original["uri"]
    stamp_uri = doc["quoteAuthorization"]
    assert stamp_uri.startswith(pair.a.base_url)
    stamp = httpx.get(stamp_uri, headers=AP)
    assert stamp.status_code == 200
    assert stamp.json()["type"] == "QuoteAuthorization"
    assert stamp.json()["interactingObject"] == quote["uri"]
    assert stamp.json()["interactionTarget"] == original["uri"]
    assert stamp.json()["attributedTo"] == pair.alice.api.me()["url"].replace(
        "/@alice", "/users/alice"
    )

    # Alice lists and revokes it; Bob's server hears of it, and the stamp is gone.
    listed = pair.alice.api.status_quotes(original["id"])
    assert [s["id"] for s in listed] == [note["status"]["id"]]
    pair.alice.api.status_quote_revoke(original["id"], note["status"]["id"])
    assert eventually(lambda: _state(pair.bob, quote["id"]) == "revoked"), "never revoked"
    assert pair.bob.api.status(quote["id"])["quote"]["quoted_status"] is None
    assert httpx.get(stamp_uri, headers=AP).status_code == 404


def test_a_quote_from_here_of_a_post_there_and_a_policy_that_refuses(pair: Pair):
    word = f"carols{uuid.uuid4().hex[:8]}"
    original = pair.carol.api.status_post(word, quote_approval_policy="public")
    closed = pair.carol.api.status_post(word + " closed", quote_approval_policy="nobody")

    there = _resolved(pair.alice, original["uri"])
    quote = pair.alice.api.status_post("quoting Carol", quoted_status_id=there["id"])
    assert eventually(lambda: _state(pair.alice, quote["id"]) == "accepted"), "never accepted"

    def told():
        return [
            n
            for n in pair.carol.api.notifications(types=["quote"])
            if n["status"]["uri"] == quote["uri"]
        ]

    assert eventually(told), "Carol was never told of the quote"

    # What Carol's server said of her other post holds here: nobody may quote it.
    refused_there = _resolved(pair.alice, closed["uri"])
    assert refused_there["quote_approval"]["automatic"] == []
    assert refused_there["quote_approval"]["current_user"] == "denied"
    with pytest.raises(MastodonAPIError) as refused:
        pair.alice.api.status_post("no", quoted_status_id=refused_there["id"])
    assert refused.value.args[1] == 422
