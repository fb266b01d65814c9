"""Trends and follow suggestions: the open formulas of core.trends and core.suggestions,
opt-outs honoured (`discoverable`, `indexable`, public posts only, suspended accounts out),
each reader's pipeline applied, suggestions dismissed."""

from __future__ import annotations

from datetime import timedelta

import factories as f
from pnyx.core import trends
from pnyx.db.tables import accounts, statuses


def opt_out(app, account_id: int, **values) -> None:
    app.state.db.run_sync(
        lambda tx: tx.execute(accounts.update().where(accounts.c.id == account_id).values(**values))
    )


def names(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [t["name"] for t in response.json()]


def test_trending_tags_follow_the_formula_and_the_opt_outs(client, make_user, app):
    db = app.state.db
    people = [make_user(f"u{n}") for n in range(4)]
    for person in people[:3]:
        f.status(db, person.account_id, "#rising", tag_names=["rising"])
    f.status(db, people[0].account_id, "#alone", tag_names=["alone"])  # one account: no
    f.status(db, people[0].account_id, "#hush", tag_names=["hush"], visibility="unlisted")
    f.status(db, people[1].account_id, "#hush", tag_names=["hush"], visibility="unlisted")
    hidden = make_user("hidden")
    opt_out(app, hidden.account_id, discoverable=False)
    f.status(db, hidden.account_id, "#secret", tag_names=["secret"])
    f.status(db, people[3].account_id, "#secret", tag_names=["secret"])
    # A steady tag: as many accounts every day of the week as today, so score <= 0.
    steady = [make_user(f"s{n}") for n in range(2)]
    for person in steady:
        for day in range(7):
            sid = f.status(db, person.account_id, "#steady", tag_names=["steady"])
            db.run_sync(
                lambda tx, sid=sid, day=day: tx.execute(
                    statuses.update()
                    .where(statuses.c.id == sid)
                    .values(created_at=tx.now - timedelta(days=day, hours=1))
                )
            )
    response = client.get("/api/v1/trends/tags")
    assert names(response) == ["rising"]
    [entity] = response.json()
    assert entity["history"][0]["accounts"] == "3" and "following" not in entity
    assert names(client.get("/api/v1/trends", headers=people[0].headers)) == ["rising"]
    # Computed once per while: a new use does not show until the cache expires.
    for person in people[:3]:
        f.status(db, person.account_id, "#later", tag_names=["later"])
    assert names(client.get("/api/v1/trends/tags")) == ["rising"]
    app.state.trends_cache = trends.Cache(seconds=0)
    assert sorted(names(client.get("/api/v1/trends/tags"))) == ["later", "rising"]
    assert client.get("/api/v1/trends/links").json() == []


def test_trending_posts_by_interactions_over_age(client, make_user, app):
    db = app.state.db
    app.state.trends_cache = trends.Cache(seconds=0)
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    loved = f.status(db, alice.account_id, "loved")
    liked = f.status(db, bob.account_id, "liked")
    quiet = f.status(db, bob.account_id, "quiet")  # no interaction: not trending
    shy = make_user("shy")
    opt_out(app, shy.account_id, indexable=False)
    unindexed = f.status(db, shy.account_id, "not indexable")
    private = f.status(db, alice.account_id, "followers only", visibility="private")
    counts = {loved: 5, liked: 2, unindexed: 9, private: 9}

    def interact(tx):
        for sid, count in counts.items():
            tx.execute(statuses.update().where(statuses.c.id == sid).values(favourites_count=count))

    db.run_sync(interact)
    ranked = [s["id"] for s in client.get("/api/v1/trends/statuses").json()]
    assert ranked == [str(loved), str(liked)] and str(quiet) not in ranked
    # Each reader's pipeline: someone alice blocks does not get her post.
    client.post(f"/api/v1/accounts/{carol.account_id}/block", headers=alice.headers)
    mine = [s["id"] for s in client.get("/api/v1/trends/statuses", headers=carol.headers).json()]
    assert mine == [str(liked)]
    page = client.get("/api/v1/trends/statuses?limit=1")
    assert [s["id"] for s in page.json()] == [str(loved)] and "offset=1" in page.headers["link"]
    # A suspended author leaves the trends.
    f.suspend(db, alice.account_id)
    assert [s["id"] for s in client.get("/api/v1/trends/statuses").json()] == [str(liked)]


def test_suggestions_friends_of_friends_most_followed_and_dismiss(client, make_user, app):
    db = app.state.db
    me, friend, star, other = (make_user(n) for n in ("me", "friend", "star", "other"))
    private = make_user("private")
    opt_out(app, private.account_id, discoverable=False)
    f.follow(db, me.account_id, friend.account_id)
    f.follow(db, friend.account_id, star.account_id)
    f.follow(db, friend.account_id, private.account_id)
    f.follow(db, other.account_id, star.account_id)
    f.follow(db, star.account_id, other.account_id)

    v2 = client.get("/api/v2/suggestions", headers=me.headers)
    assert v2.status_code == 200, v2.text
    got = [(s["account"]["id"], s["sources"], s["source"]) for s in v2.json()]
    assert got == [
        (str(star.account_id), ["friends_of_friends", "most_followed"], "past_interactions"),
        (str(other.account_id), ["most_followed"], "global"),
    ]
    v1 = client.get("/api/v1/suggestions", headers=me.headers).json()
    assert [a["id"] for a in v1] == [str(star.account_id), str(other.account_id)]

    gone = client.delete(f"/api/v1/suggestions/{star.account_id}", headers=me.headers)
    assert gone.status_code == 200 and gone.json() == {}
    left = client.get("/api/v2/suggestions", headers=me.headers).json()
    assert [s["account"]["id"] for s in left] == [str(other.account_id)]
    client.post(f"/api/v1/accounts/{other.account_id}/block", headers=me.headers)
    assert client.get("/api/v2/suggestions", headers=me.headers).json() == []
    assert client.get("/api/v2/suggestions").status_code == 401
