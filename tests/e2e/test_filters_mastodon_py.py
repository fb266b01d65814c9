"""Filters with a real client: Mastodon.py's filters v2 and v1 methods against `pnyx serve`,
and the `filtered` results it reads on timelines, threads and notifications."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from mastodon import Mastodon, MastodonAPIError, MastodonNotFoundError

import mastodon_apps
from server import PnyxServer


@dataclass
class People:
    reader: Mastodon
    author: Mastodon
    author_id: str


@pytest.fixture(scope="module")
def people(server: PnyxServer) -> People:
    apis = mastodon_apps.people(server, ("reader", "author"))
    author_id = str(apis["author"].account_verify_credentials()["id"])
    apis["reader"].account_follow(author_id)
    return People(apis["reader"], apis["author"], author_id)


def word() -> str:
    return f"w{uuid.uuid4().hex[:10]}"


def test_filters_v2_through_mastodon_py(people: People):
    api = people.reader
    secret = word()
    made = api.create_filter_v2(
        "Secret",
        ["home", "thread"],
        "warn",
        keywords_attributes=[{"keyword": secret, "whole_word": True}],
    )
    assert made.title == "Secret" and made.filter_action == "warn"
    assert [k.keyword for k in made.keywords] == [secret]
    assert str(made.id) in {str(f.id) for f in api.filters_v2()}
    assert api.filter_v2(made.id).title == "Secret"

    added = api.add_filter_keyword_v2(made.id, "other" + secret, whole_word=False)
    assert {k.keyword for k in api.filter_keywords_v2(made.id)} == {secret, "other" + secret}
    api.delete_filter_keyword_v2(added.id)

    status = people.author.status_post(f"about {secret} today")
    home = {str(s.id): s for s in api.timeline_home(limit=40)}
    (result,) = home[str(status.id)].filtered
    assert str(result.filter.id) == str(made.id)
    assert result.keyword_matches == [secret]

    plain = people.author.status_post("nothing special " + word())
    chosen = api.add_filter_status_v2(made.id, plain.id)
    assert str(api.filter_status_v2(chosen.id).status_id) == str(plain.id)
    assert [str(s.status_id) for s in api.filter_statuses_v2(made.id)] == [str(plain.id)]
    home = {str(s.id): s for s in api.timeline_home(limit=40)}
    assert home[str(plain.id)].filtered[0].status_matches == [str(plain.id)]
    api.delete_filter_status_v2(chosen.id)

    updated = api.update_filter_v2(made.id, filter_action="hide")
    assert updated.filter_action == "hide"
    assert str(status.id) not in {str(s.id) for s in api.timeline_home(limit=40)}
    # Mastodon.py's own (v1) helper, fed the same filter as v1 gives it, agrees.
    public = api.timeline_public(limit=40)
    assert str(status.id) in {str(s.id) for s in public}  # not a public filter
    assert str(status.id) not in {
        str(s.id) for s in api.filters_apply(public, api.filters(), "home")
    }

    api.delete_filter_v2(made.id)
    with pytest.raises(MastodonNotFoundError):
        api.filter_v2(made.id)
    with pytest.raises(MastodonNotFoundError):
        people.author.filter_v2(updated.id)


def test_filters_v1_through_mastodon_py(people: People):
    api = people.reader
    phrase = word()
    made = api.filter_create(phrase, ["home", "notifications"], irreversible=False, whole_word=True)
    assert made.phrase == phrase and made.irreversible is False
    assert str(made.id) in {str(f.id) for f in api.filters()}
    assert api.filter(made.id).phrase == phrase
    changed = api.filter_update(made.id, irreversible=True)
    assert changed.irreversible is True
    as_v2 = [f for f in api.filters_v2() if f.title == phrase]
    assert len(as_v2) == 1 and as_v2[0].filter_action == "hide"

    status = people.author.status_post(f"{phrase}!")
    assert str(status.id) not in {str(s.id) for s in api.timeline_home(limit=40)}
    api.filter_delete(made.id)
    assert str(status.id) in {str(s.id) for s in api.timeline_home(limit=40)}

    with pytest.raises(MastodonAPIError) as info:
        api.filter_create("", ["home"])
    assert "can't be blank" in str(info.value)


def test_notifications_carry_filtered(people: People):
    api = people.reader
    me = api.account_verify_credentials()
    secret = word()
    made = api.create_filter_v2(
        "Mentions", ["notifications"], "warn", keywords_attributes=[{"keyword": secret}]
    )
    mention = people.author.status_post(f"@{me.acct} {secret}")
    notes = [
        n
        for n in api.notifications(types=["mention"])
        if n.status and str(n.status.id) == str(mention.id)
    ]
    assert notes and notes[0].status.filtered[0].keyword_matches == [secret]
    api.update_filter_v2(made.id, filter_action="hide")
    assert not [
        n
        for n in api.notifications(types=["mention"])
        if n.status and str(n.status.id) == str(mention.id)
    ]
    api.delete_filter_v2(made.id)
