"""`Account.roles` and `Account.moved` wherever an Account entity shows (statuses, timelines,
notifications v1 and v2, lists of accounts, search, streams), loaded once per page; and the
custom emojis of announcements and of a poll shown alone. Both databases, in process."""

from __future__ import annotations

import sqlalchemy as sa

import factories as f
from api.test_announcements import publish
from api.test_streaming import barrier, follow, next_message, post
from images import png
from pnyx.core import custom_emojis, status_views, viewer_rules
from pnyx.db.tables import accounts
from pnyx.presenters import entities
from web.test_admin import sign_in

MODERATOR = [{"id": "2", "name": "Moderator", "color": ""}]
ADMIN = [{"id": "3", "name": "Admin", "color": ""}]


def move(db, account_id: int, target_id: int) -> None:
    db.run_sync(
        lambda tx: tx.execute(
            accounts.update()
            .where(accounts.c.id == account_id)
            .values(moved_to_account_id=target_id)
        )
    )


def get(client, user, path: str, **params):
    r = client.get(path, params=params, headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_moderators_post_shows_the_role_on_every_surface(client, make_user):
    mod = make_user("mod", role="moderator")
    boss = make_user("boss", role="admin")
    viewer = make_user("viewer")
    follow(client, viewer, mod)
    follow(client, boss, mod)
    status = post(client, mod, "Rules updated, @viewer")
    assert client.post(f"/api/v1/statuses/{status['id']}/reblog", headers=boss.headers).is_success
    assert client.post(
        f"/api/v1/statuses/{status['id']}/favourite", headers=boss.headers
    ).is_success
    follow(client, viewer, boss)

    home = get(client, viewer, "/api/v1/timelines/home")
    boosted = next(s for s in home if s["reblog"])
    assert boosted["account"]["roles"] == ADMIN
    assert boosted["reblog"]["account"]["roles"] == MODERATOR
    [own] = [s for s in home if s["id"] == status["id"]]
    assert own["account"]["roles"] == MODERATOR

    [mention] = get(client, viewer, "/api/v1/notifications", types=["mention"])
    assert mention["account"]["roles"] == MODERATOR
    assert mention["status"]["account"]["roles"] == MODERATOR
    grouped = get(client, mod, "/api/v2/notifications")
    assert {a["acct"]: a["roles"] for a in grouped["accounts"]}["boss"] == ADMIN
    [single] = [n for n in get(client, mod, "/api/v1/notifications") if n["type"] == "reblog"]
    assert single["account"]["roles"] == ADMIN

    path = f"/api/v1/statuses/{status['id']}"
    assert [a["roles"] for a in get(client, viewer, f"{path}/favourited_by")] == [ADMIN]
    assert [a["roles"] for a in get(client, viewer, f"{path}/reblogged_by")] == [ADMIN]
    followers = get(client, viewer, f"/api/v1/accounts/{mod.account_id}/followers")
    assert {a["acct"]: a["roles"] for a in followers} == {"boss": ADMIN, "viewer": []}
    following = get(client, viewer, f"/api/v1/accounts/{viewer.account_id}/following")
    assert {a["acct"]: a["roles"] for a in following} == {"boss": ADMIN, "mod": MODERATOR}
    found = get(client, viewer, "/api/v2/search", q="mod", type="accounts")
    # (the instance's labeler, `moderation`, is found too: a public account with no role)
    assert {a["acct"]: a["roles"] for a in found["accounts"]} == {
        "mod": MODERATOR,
        "moderation": [],
    }
    found = get(client, viewer, "/api/v1/accounts/search", q="boss")
    assert [a["roles"] for a in found] == [ADMIN]
    assert client.post(f"/api/v1/accounts/{mod.account_id}/mute", headers=viewer.headers)
    assert [a["roles"] for a in get(client, viewer, "/api/v1/mutes")] == [MODERATOR]
    assert client.post(f"/api/v1/accounts/{boss.account_id}/block", headers=viewer.headers)
    assert [a["roles"] for a in get(client, viewer, "/api/v1/blocks")] == [ADMIN]


def test_a_moderators_post_streams_with_the_role(client, make_user):
    mod = make_user("mod", role="moderator")
    viewer = make_user("viewer")
    follow(client, viewer, mod)
    with client.websocket_connect("/api/v1/streaming?stream=user", headers=viewer.headers) as ws:
        barrier(ws)
        post(client, mod, "hello from the staff")
        message = next_message(ws)
        assert message["event"] == "update"
        assert message["payload"]["account"]["roles"] == MODERATOR


def test_a_moved_accounts_post_and_notification_show_where_it_went(client, make_user, app):
    db = app.state.db
    viewer = make_user("viewer")
    old = make_user("old")
    new = make_user("new", role="moderator")
    follow(client, viewer, old)
    status = post(client, old, "hello @viewer")
    move(db, old.account_id, new.account_id)
    move(db, new.account_id, f.remote_account(db, "newest", "far.example"))

    [shown] = get(client, viewer, "/api/v1/timelines/home")
    assert shown["id"] == status["id"]
    moved = shown["account"]["moved"]
    assert moved["id"] == str(new.account_id) and moved["acct"] == "new"
    # One level deep, as Mastodon: the target's own move is not followed; its role shows.
    assert "moved" not in moved and moved["roles"] == MODERATOR

    [mention] = get(client, viewer, "/api/v1/notifications")
    assert mention["account"]["moved"]["id"] == str(new.account_id)
    assert mention["status"]["account"]["moved"]["id"] == str(new.account_id)
    grouped = get(client, viewer, "/api/v2/notifications")
    [sample] = grouped["accounts"]
    assert sample["moved"]["id"] == str(new.account_id)
    [status_entity] = grouped["statuses"]
    assert status_entity["account"]["moved"]["id"] == str(new.account_id)
    following = get(client, viewer, f"/api/v1/accounts/{viewer.account_id}/following")
    assert [a["moved"]["acct"] for a in following] == ["new"]
    # The target, shown for itself, shows its own move.
    target = get(client, viewer, f"/api/v1/accounts/{new.account_id}")
    assert target["moved"]["acct"] == "newest@far.example"

    # Suspended: no role and no move, as before.
    f.suspend(db, old.account_id)
    f.suspend(db, new.account_id)
    gone = get(client, viewer, f"/api/v1/accounts/{old.account_id}")
    assert "moved" not in gone and gone["roles"] == []
    assert get(client, viewer, f"/api/v1/accounts/{new.account_id}")["roles"] == []


def count_queries(db, work) -> tuple[object, list[str]]:
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        result = db.run_sync(work, write=False)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    return result, seen


def test_roles_and_moves_of_a_page_of_authors_take_the_same_queries_for_any_number(app, make_user):
    db = app.state.db
    viewer = make_user("viewer").account_id
    elsewhere = f.remote_account(db, "there", "far.example")

    def page(n: int, prefix: str) -> list[int]:
        ids = []
        for i in range(n):
            author = make_user(f"{prefix}{i}", role="moderator" if i % 2 else "user")
            if i % 3 == 0:
                move(db, author.account_id, elsewhere)
            ids.append(f.status(db, author.account_id, f"post {i}"))
        return ids

    few, many = page(3, "few"), page(12, "many")

    def shown(ids):
        def work(tx):
            bundle = status_views.load(tx, ids, viewer)
            return entities.statuses(bundle, tx.settings, tx.now)

        return work

    # The viewer's own rules are read once and kept (`core.viewer_rules`): not per page.
    db.run_sync(lambda tx: viewer_rules.of(tx, viewer), write=False)
    rendered_few, queries_few = count_queries(db, shown(few))
    rendered_many, queries_many = count_queries(db, shown(many))
    assert len(queries_many) == len(queries_few)
    # One query for the roles of all twelve, one for where the moved ones went.
    assert (
        len([q for q in queries_many if q.startswith("SELECT users.account_id, users.role")]) == 1
    )
    by_author = {s["account"]["acct"]: s["account"] for s in rendered_many}
    assert by_author["many1"]["roles"] == MODERATOR and by_author["many2"]["roles"] == []
    assert by_author["many3"]["moved"]["acct"] == "there@far.example"
    assert "moved" not in by_author["many1"] and len(rendered_few) == 3


def test_an_announcement_lists_the_custom_emojis_its_text_names(client, make_user):
    db = client.app.state.db
    custom_emojis.upload(db, "blobcat", png(32, 32))
    alice = make_user("alice")
    make_user("mod", role="moderator")
    sign_in(client, "mod")
    with client.websocket_connect("/api/v1/streaming?stream=user", headers=alice.headers) as ws:
        barrier(ws)
        first = publish(client, "Party tonight :blobcat: :nosuch:")
        streamed = next_message(ws)
    client.cookies.clear()
    [listed] = get(client, alice, "/api/v1/announcements")
    assert listed["id"] == first
    assert [e["shortcode"] for e in listed["emojis"]] == ["blobcat"]
    assert listed["emojis"][0]["url"].endswith(".png")
    assert streamed["event"] == "announcement" and streamed["payload"] == listed


def test_a_poll_shown_alone_lists_its_custom_emojis(client, make_user):
    custom_emojis.upload(client.app.state.db, "blobcat", png(32, 32))
    alice, bob = make_user("alice"), make_user("bob")
    status = post(
        client,
        alice,
        "Which?",
        poll={"options": [":blobcat: cats", "dogs :nosuch:"], "expires_in": 3600},
    )
    inside = status["poll"]["emojis"]
    assert [e["shortcode"] for e in inside] == ["blobcat"]
    poll_id = status["poll"]["id"]
    alone = get(client, bob, f"/api/v1/polls/{poll_id}")
    assert alone["emojis"] == inside
    voted = client.post(
        f"/api/v1/polls/{poll_id}/votes", json={"choices": ["0"]}, headers=bob.headers
    )
    assert voted.status_code == 200, voted.text
    assert voted.json()["emojis"] == inside and voted.json()["own_votes"] == [0]
    plain = post(client, alice, "Plain?", poll={"options": ["yes", "no"], "expires_in": 3600})
    assert get(client, bob, f"/api/v1/polls/{plain['poll']['id']}")["emojis"] == []
