"""Full-text status search with a real client: Mastodon.py's search_v2 against `pnyx serve`,
its operators and paging, the index following posts through edit and delete, and who may be
found (indexable, followers-only)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from mastodon import Mastodon, MastodonAPIError

import mastodon_apps
from server import PnyxServer


@dataclass
class People:
    reader: Mastodon
    author: Mastodon
    author_acct: str


@pytest.fixture(scope="module")
def people(server: PnyxServer) -> People:
    apis = mastodon_apps.people(server, ("reader", "author"))
    return People(apis["reader"], apis["author"], "author")


def word() -> str:
    return f"w{uuid.uuid4().hex[:10]}"


def found(api: Mastodon, q: str, **kwargs) -> list[str]:
    return [
        str(s.id)
        for s in api.search_v2(q, resolve=False, result_type="statuses", **kwargs).statuses
    ]


def test_search_follows_posts_through_edit_and_delete(people: People):
    old, new = word(), word()
    post = people.author.status_post(f"first {old} version")
    assert found(people.reader, old) == [str(post.id)]
    people.author.status_update(post.id, f"second {new} version")
    assert found(people.reader, old) == []
    assert found(people.reader, f"{new} version") == [str(post.id)]
    people.author.status_delete(post.id)
    assert found(people.reader, new) == []


def test_operators_and_paging(people: People):
    topic = word()
    plain = people.author.status_post(f"{topic} plain")
    poll = people.author.status_post(
        f"{topic} vote", poll=people.author.make_poll(["yes", "no"], expires_in=3600)
    )
    reply = people.author.status_post(f"{topic} answer", in_reply_to_id=plain.id)
    french = people.author.status_post(f"{topic} bonjour", language="fr")
    mine = people.reader.status_post(f"{topic} from the reader")
    ids = {
        name: str(status.id)
        for name, status in (
            ("plain", plain),
            ("poll", poll),
            ("reply", reply),
            ("french", french),
            ("mine", mine),
        )
    }
    everything = [ids[k] for k in ("mine", "french", "reply", "poll", "plain")]
    assert found(people.reader, topic) == everything
    assert found(people.reader, f"{topic} has:poll") == [ids["poll"]]
    assert found(people.reader, f"{topic} is:reply") == [ids["reply"]]
    assert found(people.reader, f"{topic} language:fr") == [ids["french"]]
    assert found(people.reader, f"{topic} from:me") == [ids["mine"]]
    assert found(people.reader, f"{topic} from:@{people.author_acct}") == everything[1:]
    assert found(people.reader, f"{topic} -from:me -has:poll") == [
        ids["french"],
        ids["reply"],
        ids["plain"],
    ]
    assert found(people.reader, f'"{topic} vote"') == [ids["poll"]]
    assert found(people.reader, f"{topic} -vote -answer") == [
        ids["mine"],
        ids["french"],
        ids["plain"],
    ]
    assert found(people.reader, f"{topic} in:library") == [ids["mine"]]
    # Paging: by position and by id.
    assert found(people.reader, topic, limit=2) == everything[:2]
    assert found(people.reader, topic, limit=2, offset=2) == everything[2:4]
    assert found(people.reader, topic, max_id=everything[1]) == everything[2:]
    assert found(people.reader, topic, min_id=everything[3]) == everything[:3]
    with pytest.raises(MastodonAPIError) as refused:
        people.reader.search_v2(f"{topic} before:soon", resolve=False, result_type="statuses")
    assert "422" in str(refused.value) or refused.value.args[1] == 422


def test_who_may_be_found(people: People):
    topic = word()
    public = people.author.status_post(f"{topic} for all")
    people.author.status_post(f"{topic} for followers", visibility="private")
    # A non-follower never finds the followers-only post; the author finds both.
    assert found(people.reader, topic) == [str(public.id)]
    assert len(found(people.author, topic)) == 2
    # Opting out of search: others find nothing, unless it is in their library.
    people.author.account_update_credentials(indexable=False)
    try:
        assert found(people.reader, topic) == []
        people.reader.status_favourite(public.id)
        assert found(people.reader, topic) == [str(public.id)]
        people.reader.status_unfavourite(public.id)
    finally:
        people.author.account_update_credentials(indexable=True)
    assert found(people.reader, topic) == [str(public.id)]
