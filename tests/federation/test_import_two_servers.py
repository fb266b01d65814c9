"""Importing Mastodon's CSV files between two real `pnyx serve` processes: on B, Bob imports a
following_accounts.csv naming accounts on A; B looks them up (WebFinger, then the actor) and
sends real Follows, which A accepts (Alice's open account at once, Ann's locked one when she
says yes); an address A does not know fails with A's answer. Carol imports a lists.csv: her
list gets its member from A once A has accepted her follow.

Server A runs on SQLite, B on PostgreSQL when PNYX_TEST_DATABASE_URL is set. Delivery is
asynchronous, so checks poll with `eventually`.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from server import PnyxServer

from .people import Person, eventually, login, two_servers


@dataclass
class Pair:
    a: PnyxServer
    b: PnyxServer
    alice: Person
    ann: Person
    bob: Person
    carol: Person


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    with two_servers(tmp_path_factory, "imports") as (a, b):
        ann = login(a, "ann")
        ann.api.account_update_credentials(locked=True)
        yield Pair(a, b, login(a, "alice"), ann, login(b, "bob"), login(b, "carol"))


def import_file(person: Person, kind: str, content: str, mode: str = "merge") -> dict:
    """POST the file as Mastodon's form sends it; the Import entity once it is finished."""
    url = person.server.url("/api/v1/pnyx/imports")
    headers = {"Authorization": f"Bearer {person.api.access_token}"}
    answer = httpx.post(
        url,
        headers=headers,
        data={"type": kind, "mode": mode},
        files={"data": (f"{kind}.csv", content.encode(), "text/csv")},
        timeout=60,
    )
    assert answer.status_code == 202, answer.text
    made = answer.json()

    def finished():
        view = httpx.get(f"{url}/{made['id']}", headers=headers, timeout=60).json()
        return view if view["state"] == "finished" else None

    view = eventually(finished, attempts=600)
    assert view, "the import never finished"
    return view


def test_a_following_file_naming_accounts_on_a_makes_follows_a_accepts(pair: Pair):
    domain = pair.a.domain
    view = import_file(
        pair.bob,
        "following",
        "Account address,Show boosts,Notify on new posts,Languages\n"
        f"alice@{domain},false,true,en\n"
        f"ann@{domain},true,false,\n"
        f"ghost@{domain},true,false,\n",
    )
    assert (view["total"], view["processed"], view["imported"], view["failed"]) == (3, 3, 2, 1)
    [ghost] = view["failures"]
    assert (ghost["row"], ghost["value"]) == (4, f"ghost@{domain}")
    assert ghost["reason"].startswith("Account not found: webfinger"), ghost

    alice_on_b = pair.bob.api.account_lookup(pair.alice.handle)
    ann_on_b = pair.bob.api.account_lookup(pair.ann.handle)
    # Alice's server accepts at once: Bob follows her, with the file's options.
    assert eventually(
        lambda: pair.bob.api.account_relationships(alice_on_b["id"])[0]["following"]
    ), "A never accepted the follow"
    relation = pair.bob.api.account_relationships(alice_on_b["id"])[0]
    assert (relation["showing_reblogs"], relation["notifying"]) == (False, True)
    assert eventually(lambda: pair.alice.api.account(pair.alice.id)["followers_count"] == 1)
    # Ann's account is locked: a request, until she accepts it on A.
    assert pair.bob.api.account_relationships(ann_on_b["id"])[0]["requested"]
    requests = eventually(lambda: pair.ann.api.follow_requests())
    assert [r["acct"] for r in requests] == [pair.bob.handle]
    pair.ann.api.follow_request_authorize(requests[0]["id"])
    assert eventually(lambda: pair.bob.api.account_relationships(ann_on_b["id"])[0]["following"]), (
        "Ann's acceptance never reached B"
    )


def test_a_lists_file_fills_the_list_once_a_accepts_the_follow(pair: Pair):
    view = import_file(pair.carol, "lists", f"Friends from A,alice@{pair.a.domain}\n")
    assert (view["imported"], view["failed"]) == (1, 0)
    [friends] = [x for x in pair.carol.api.lists() if x["title"] == "Friends from A"]

    def members():
        return [account["acct"] for account in pair.carol.api.list_accounts(friends["id"])]

    assert eventually(lambda: members() == [pair.alice.handle]), members()
    alice_on_b = pair.carol.api.account_lookup(pair.alice.handle)
    assert pair.carol.api.account_relationships(alice_on_b["id"])[0]["following"]
