"""The process's cache of rendered Status and Account JSON (`presenters.render_cache`): what it
serves equals what is built fresh, for every viewer; every kind of change shows on the next
read; one viewer's marks never reach another."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import factories as f
from images import png
from pnyx.core import (
    account_extras,
    custom_emojis,
    filter_matching,
    preview_cards,
    status_views,
    viewer_rules,
    visibility,
)
from pnyx.core.oauth import tokens
from pnyx.core.row_cache import VersionedCache
from pnyx.db import plain_rows
from pnyx.db.tables import users
from pnyx.presenters import render_cache


@pytest.fixture
def store(app):
    return app.state.db


@pytest.fixture(autouse=True)
def empty_cache():
    render_cache.clear()
    yield
    render_cache.clear()


def posted(client, user, **body) -> dict:
    response = client.post("/api/v1/statuses", json=body, headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()


def media(client, user, description: str) -> str:
    response = client.post(
        "/api/v1/media",
        files={"file": ("a.png", png(), "image/png")},
        data={"description": description},
        headers=user.headers,
    )
    assert response.status_code == 200, response.text
    return response.json()["id"]


def shown(client, viewer, status_id) -> dict:
    headers = viewer.headers if viewer is not None else {}
    response = client.get(f"/api/v1/statuses/{status_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def varied_statuses(client, store, make_user) -> tuple[list, list[str]]:
    """Viewers and the ids of a varied set of posts: emojis, a warning, a poll, media, a
    card, a quote, a boost, a reply with a mention and a tag, an edited post, a remote post."""
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    custom_emojis.upload(store, "blobcat", png(32, 32))
    rita = f.remote_account(store, "rita", "remote.example", "Rita")
    remote = f.status(store, rita, "from afar", tag_names=["Far"], local=False)
    plain = posted(client, alice, status="hello :blobcat: https://news.example/story")
    warned = posted(client, alice, status="spoiler", spoiler_text="cw :blobcat:", sensitive=True)
    poll = posted(
        client,
        bob,
        status="pick",
        poll={"options": ["yes :blobcat:", "no"], "expires_in": 3600, "multiple": True},
    )
    pictured = posted(client, bob, status="look", media_ids=[media(client, bob, "a cat")])
    quote = posted(client, carol, status="quoting", quoted_status_id=plain["id"])
    reply = posted(
        client, carol, status="@alice hi #Topic", in_reply_to_id=plain["id"], visibility="public"
    )
    edited = posted(client, bob, status="first")
    client.put(f"/api/v1/statuses/{edited['id']}", json={"status": "second"}, headers=bob.headers)
    preview_cards.save(store, "https://news.example/story", preview_cards.CardData(title="News"))
    boost = client.post(f"/api/v1/statuses/{poll['id']}/reblog", headers=alice.headers).json()
    # Marks of several viewers, to be kept apart.
    client.post(f"/api/v1/statuses/{plain['id']}/favourite", headers=bob.headers)
    client.post(f"/api/v1/statuses/{plain['id']}/bookmark", headers=carol.headers)
    client.post(
        f"/api/v1/polls/{poll['poll']['id']}/votes", json={"choices": [0]}, headers=carol.headers
    )
    ids = [
        str(remote),
        *(s["id"] for s in (plain, warned, poll, pictured, quote, reply, edited, boost)),
    ]
    return [alice, bob, carol, None], ids


def test_cached_json_equals_fresh_json_for_every_viewer(client, store, make_user):
    viewers, ids = varied_statuses(client, store, make_user)
    fresh = {}
    for v, viewer in enumerate(viewers):
        for sid in ids:
            render_cache.clear()
            fresh[v, sid] = shown(client, viewer, sid)
    # Warmed by every viewer, in the other order, then read again by each.
    render_cache.clear()
    for v in reversed(range(len(viewers))):
        for sid in ids:
            shown(client, viewers[v], sid)
    hits = render_cache.statuses.hits
    for v, viewer in enumerate(viewers):
        for sid in ids:
            assert shown(client, viewer, sid) == fresh[v, sid], (v, sid)
    assert render_cache.statuses.hits > hits  # the second reads were served from the cache
    # The set is as varied as it says.
    by_id = {sid: fresh[0, sid] for sid in ids}
    assert any(s["emojis"] for s in by_id.values())
    assert any(s["poll"] for s in by_id.values())
    assert any(s["media_attachments"] for s in by_id.values())
    assert any(s["card"] for s in by_id.values())
    assert any(s["quote"] for s in by_id.values())
    assert any(s["reblog"] for s in by_id.values())
    assert any(s["edited_at"] for s in by_id.values())
    assert any(s["spoiler_text"] for s in by_id.values())
    assert any(s["account"]["acct"] == "rita@remote.example" for s in by_id.values())


def test_the_home_timeline_from_the_cache_equals_the_fresh_one(client, store, make_user):
    viewers, ids = varied_statuses(client, store, make_user)
    alice = viewers[0]
    for other in viewers[1:3]:
        client.post(f"/api/v1/accounts/{other.account_id}/follow", headers=alice.headers)
    render_cache.clear()
    fresh = client.get("/api/v1/timelines/home", headers=alice.headers).json()
    again = client.get("/api/v1/timelines/home", headers=alice.headers).json()
    assert len(fresh) >= 8 and again == fresh
    assert render_cache.statuses.hits >= len(fresh)


def test_marks_never_reach_another_viewer(client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    post = posted(client, alice, status="mark me")
    for action in ("favourite", "bookmark", "reblog", "pin"):
        client.post(f"/api/v1/statuses/{post['id']}/{action}", headers=alice.headers)
    mine = shown(client, alice, post["id"])  # rendered for alice first: the cache is warm
    assert mine["favourited"] and mine["bookmarked"] and mine["reblogged"] and mine["pinned"]
    theirs = shown(client, bob, post["id"])
    assert not (theirs["favourited"] or theirs["bookmarked"] or theirs["reblogged"])
    assert "pinned" not in theirs
    anonymous = shown(client, None, post["id"])
    assert not {"favourited", "bookmarked", "reblogged", "pinned", "muted"} & anonymous.keys()
    assert anonymous["favourites_count"] == theirs["favourites_count"] == 1
    # And back: bob's reading did not change what alice is shown.
    assert shown(client, alice, post["id"]) == mine


def test_each_kind_of_change_shows_on_the_next_read(client, store, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    media_id = media(client, alice, "before")
    post = posted(client, alice, status="see https://news.example/a", media_ids=[media_id])
    poll = posted(client, alice, status="vote", poll={"options": ["a", "b"], "expires_in": 600})
    linked = posted(client, alice, status="read https://news.example/b")
    for sid in (post["id"], poll["id"], linked["id"]):
        shown(client, bob, sid)  # cached

    # An edit: text and the media's description.
    client.put(
        f"/api/v1/statuses/{post['id']}",
        json={
            "status": "edited https://news.example/a",
            "media_ids": [media_id],
            "media_attributes": [{"id": media_id, "description": "after"}],
        },
        headers=alice.headers,
    )
    now = shown(client, bob, post["id"])
    assert "edited" in now["content"] and now["edited_at"] is not None
    assert now["media_attachments"][0]["description"] == "after"

    # Counts.
    client.post(f"/api/v1/statuses/{post['id']}/favourite", headers=bob.headers)
    client.post(f"/api/v1/statuses/{post['id']}/reblog", headers=bob.headers)
    posted(client, bob, status="a reply", in_reply_to_id=post["id"])
    counted = shown(client, alice, post["id"])
    assert (counted["favourites_count"], counted["reblogs_count"]) == (1, 1)
    assert counted["replies_count"] == 1

    # The author's name, on every post of theirs.
    client.patch(
        "/api/v1/accounts/update_credentials",
        json={"display_name": "Alice Renamed"},
        headers=alice.headers,
    )
    assert shown(client, bob, poll["id"])["account"]["display_name"] == "Alice Renamed"

    # A poll vote.
    voted = client.post(
        f"/api/v1/polls/{poll['poll']['id']}/votes", json={"choices": [1]}, headers=bob.headers
    )
    assert voted.status_code == 200, voted.text
    tallied = shown(client, bob, poll["id"])["poll"]
    assert tallied["votes_count"] == 1 and tallied["own_votes"] == [1]
    assert shown(client, alice, poll["id"])["poll"]["own_votes"] == []

    # A card fetched after the post was first shown.
    assert shown(client, bob, linked["id"])["card"] is None
    preview_cards.save(store, "https://news.example/b", preview_cards.CardData(title="B"))
    assert shown(client, bob, linked["id"])["card"]["title"] == "B"

    # A custom emoji added after the post was first shown (it names one not there yet).
    emoji_post = posted(client, alice, status="hi :party:")
    assert shown(client, bob, emoji_post["id"])["emojis"] == []
    custom_emojis.upload(store, "party", png(16, 16))
    assert [e["shortcode"] for e in shown(client, bob, emoji_post["id"])["emojis"]] == ["party"]

    # A deletion.
    assert (
        client.delete(f"/api/v1/statuses/{linked['id']}", headers=alice.headers).status_code == 200
    )
    gone = client.get(f"/api/v1/statuses/{linked['id']}", headers=bob.headers)
    assert gone.status_code == 404


def test_the_cache_keeps_its_bound():
    cache = VersionedCache(3)
    for i in range(10):
        cache.get(i, ("v", i), lambda i=i: {"id": i})
    assert len(cache) == 3
    assert cache.get(9, ("v", 9), lambda: {"id": "rebuilt"}) == {"id": 9}
    assert cache.get(9, ("v", "changed"), lambda: {"id": "rebuilt"}) == {"id": "rebuilt"}


def test_the_lean_statements_give_the_rows_sqlalchemy_gives(client, store, make_user):
    """`Tx.plain` (`pnyx.db.plain_rows.run`) runs the statements of `status_views` straight on
    SQLite's driver: the same columns and values as SQLAlchemy's own execution, on posts with
    everything (dates, JSON columns, booleans, ids bound as lists, values bound in the SQL)."""
    viewers, ids = varied_statuses(client, store, make_user)
    alice = viewers[0]

    def work(tx):
        rows = tx.plain(status_views._statements()["statuses"], {"ids": [int(i) for i in ids]})
        everything = [r.id for r in rows] + [r.reblog_of_id for r in rows if r.reblog_of_id]
        params = {
            "ids": everything,
            "viewer": alice.account_id,
            "own": everything,
            "convs": [r.conversation_id for r in rows if r.conversation_id],
            "polls": [p.id for p in tx.plain(q["polls"], {"ids": everything})],
        }
        compared = 0
        for name, statement in q.items():
            authors = {"ids": list({r.account_id for r in rows})}
            given = authors if name == "accounts" else params
            lean = tx.plain(statement, given)
            usual = plain_rows.plain(tx.execute(statement, given))
            assert lean == usual, name
            assert [r._fields for r in lean] == [r._fields for r in usual], name
            compared += bool(lean)
        return compared

    q = status_views._statements()
    assert store.run_sync(work, write=False) >= 8  # statements that found rows


def test_the_lean_path_gives_the_same_rows_for_the_other_hot_statements(client, store, make_user):
    """The token lookup, the page's roles, the viewer's filters (a date bound), the
    visibility context, the viewer's follows with their options, and a statement with an
    expanding IN (which SQLAlchemy runs), run both ways."""
    alice = make_user("alice", role="admin")
    bob = make_user("bob")
    client.post(f"/api/v1/accounts/{bob.account_id}/follow", headers=alice.headers)
    client.post(
        "/api/v2/filters",
        json={"title": "f", "context": ["home"], "keywords_attributes": [{"keyword": "x"}]},
        headers=alice.headers,
    )
    post = posted(client, bob, status="hi @alice")  # a mention: the context finds a row
    token = alice.headers["Authorization"].split()[1]
    people = [alice.account_id, bob.account_id]
    cases = [
        (tokens._viewer_statement(), {"digest": tokens.digest(token)}),
        (account_extras._roles_statement(), {"ids": people}),
        (sa.select(users.c.account_id).where(users.c.role.in_(["admin", "user"])), {}),
        (filter_matching._active_statement(), {"viewers": people}),
        (
            visibility._context_statement(True),
            {"viewer": alice.account_id, "a0": people, "a1": people, "s": [int(post["id"])]},
        ),
        # the viewer's own rules (`core.viewer_rules`): their follows with the options
        (viewer_rules._statements()[0], {"viewer": alice.account_id}),
    ]

    def work(tx):
        found = 0
        for statement, params in cases:
            params = {"now": tx.now, **params}
            lean = tx.plain(statement, params)
            assert lean == plain_rows.plain(tx.execute(statement, params)), statement
            found += bool(lean)
        return found

    assert store.run_sync(work, write=False) == len(cases)
