"""The admin API for accounts, as moderation apps call it: who may (scopes and roles), what
is required (a reason), and what happens (suspended posts gone, the moderation log)."""

from __future__ import annotations

import sqlalchemy as sa

import factories
from pnyx.core import accounts as core_accounts
from pnyx.core import remote_store
from pnyx.db.tables import accounts, moderation_log, users

STAFF_SCOPES = "read write follow admin:read admin:write"


def staff(make_user, name: str, role: str = "moderator"):
    return make_user(name, role=role, scopes=STAFF_SCOPES)


def pending(app, name: str) -> int:
    def work(tx):
        account_id, _ = core_accounts.create_local(
            tx, name, f"{name}@example.com", "correct horse battery", approved=False, reason="hi"
        )
        return account_id

    return app.state.db.run_sync(work)


def remote(app, name: str, domain: str = "elsewhere.example") -> int:
    incoming = remote_store.IncomingAccount(
        uri=f"https://{domain}/users/{name}",
        username=name,
        domain=domain,
        inbox_url=f"https://{domain}/users/{name}/inbox",
    )
    return app.state.db.run_sync(remote_store.store_account, incoming)


def log(app) -> list[tuple]:
    rows = app.state.db.run_sync(
        lambda tx: tx.rows(sa.select(moderation_log).order_by(moderation_log.c.id))
    )
    return [(r.action, r.actor_account_id, r.target_account_id, r.reason) for r in rows]


def test_only_staff_with_an_admin_scope_may_read(client, make_user):
    mod = staff(make_user, "mod")
    user = make_user("plain", scopes=STAFF_SCOPES)  # asks for admin scopes, is not staff
    unscoped = make_user("admin2", role="admin")  # staff, but a token without admin scopes
    assert client.get("/api/v1/admin/accounts", headers=user.headers).status_code == 403
    assert client.get("/api/v1/admin/accounts", headers=unscoped.headers).status_code == 403
    assert client.get("/api/v1/admin/accounts").status_code == 401
    answer = client.get("/api/v2/admin/accounts", headers=mod.headers)
    assert answer.status_code == 200, answer.text
    assert {a["username"] for a in answer.json()} == {"mod", "plain", "admin2"}


def test_granular_admin_scopes(app, client, make_user):
    reader = make_user("reader", role="moderator", scopes="admin:read:accounts")
    assert client.get("/api/v2/admin/accounts", headers=reader.headers).status_code == 200
    assert client.get("/api/v1/admin/reports", headers=reader.headers).status_code == 403
    answer = client.post(
        f"/api/v1/admin/accounts/{reader.account_id}/action",
        json={"type": "none", "text": "x"},
        headers=reader.headers,
    )
    assert answer.status_code == 403


def test_the_admin_account_entity_and_the_v2_filters(app, client, make_user):
    admin = staff(make_user, "boss", role="admin")
    make_user("carol")
    waiting = pending(app, "newbie")
    far = remote(app, "dana")
    answer = client.get(f"/api/v1/admin/accounts/{waiting}", headers=admin.headers)
    assert answer.status_code == 200, answer.text
    entity = answer.json()
    assert set(entity) == {
        "id", "username", "domain", "created_at", "email", "ip", "ips", "locale",
        "invite_request", "role", "confirmed", "approved", "disabled", "silenced",
        "sensitized", "suspended", "account", "created_by_application_id",
        "invited_by_account_id",
    }  # fmt: skip
    assert entity["email"] == "newbie@example.com" and entity["approved"] is False
    assert entity["invite_request"] == "hi" and entity["domain"] is None
    assert entity["account"]["acct"] == "newbie"

    def names(path: str, **params) -> set[str]:
        found = client.get(path, params=params, headers=admin.headers)
        assert found.status_code == 200, found.text
        return {a["username"] for a in found.json()}

    v2 = "/api/v2/admin/accounts"
    assert names(v2, origin="remote") == {"dana"}
    assert names(v2, status="pending") == {"newbie"}
    assert names(v2, permissions="staff") == {"boss"}
    assert names(v2, username="CAR") == {"carol"}
    assert names(v2, email="newbie@") == {"newbie"}
    assert names(v2, by_domain="elsewhere") == {"dana"}
    assert names(v2, status="silenced") == set()  # no such state here: nobody has it
    assert names(v2, ip="127.0.0.1") == set()  # no addresses recorded
    v1 = "/api/v1/admin/accounts"
    assert names(v1) == {"boss", "carol"}  # local and active unless told otherwise
    assert names(v1, pending="true") == {"newbie"}
    assert names(v1, remote="true") == {"dana"}
    remote_entity = client.get(f"/api/v1/admin/accounts/{far}", headers=admin.headers).json()
    assert remote_entity["domain"] == "elsewhere.example" and remote_entity["email"] is None


def test_approve_and_reject_a_sign_up(app, client, make_user):
    mod = staff(make_user, "mod")
    first, second = pending(app, "first"), pending(app, "second")
    answer = client.post(f"/api/v1/admin/accounts/{first}/approve", headers=mod.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["approved"] is True
    again = client.post(f"/api/v1/admin/accounts/{first}/approve", headers=mod.headers)
    assert again.status_code == 403  # not pending any more
    answer = client.post(f"/api/v1/admin/accounts/{second}/reject", headers=mod.headers)
    assert answer.status_code == 200, answer.text
    gone = app.state.db.run_sync(
        lambda tx: tx.scalar(sa.select(accounts.c.id).where(accounts.c.id == second))
    )
    assert gone is None
    assert client.get(f"/api/v1/admin/accounts/{second}", headers=mod.headers).status_code == 404
    assert [e[0] for e in log(app)] == ["approve", "reject"]
    # The name it asked for is kept for the staff, out of the public reason.
    rejected = app.state.db.run_sync(
        lambda tx: tx.rows(sa.select(moderation_log).where(moderation_log.c.action == "reject"))
    )
    assert [r.target_name for r in rejected] == ["second"]


def test_suspending_needs_a_reason_and_takes_the_posts_off_timelines(app, client, make_user):
    mod = staff(make_user, "mod")
    spammer = make_user("spammer")
    post = client.post("/api/v1/statuses", json={"status": "buy now"}, headers=spammer.headers)
    assert post.status_code == 200
    public = lambda: [s["id"] for s in client.get("/api/v1/timelines/public").json()]  # noqa: E731
    assert post.json()["id"] in public()
    path = f"/api/v1/admin/accounts/{spammer.account_id}/action"
    answer = client.post(path, json={"type": "suspend"}, headers=mod.headers)
    assert answer.status_code == 422
    assert answer.json()["error"] == (
        "Validation failed: Text can't be blank (the moderation log needs a reason)"
    )
    assert log(app) == []
    answer = client.post(path, json={"type": "suspend", "text": "spam"}, headers=mod.headers)
    assert answer.status_code == 422  # a suspension cites the rule broken
    assert "Cite the instance rule" in answer.json()["error"]
    bad = client.post(
        path, json={"type": "suspend", "text": "spam", "rule_id": "x"}, headers=mod.headers
    )
    assert bad.status_code == 422 and "No such rule" in bad.json()["error"]
    rule = factories.rule(app.state.db, "No ads")
    answer = client.post(
        path, json={"type": "suspend", "text": "spam", "rule_id": str(rule)}, headers=mod.headers
    )
    assert answer.status_code == 200, answer.text
    assert post.json()["id"] not in public()
    shown = client.get(f"/api/v1/admin/accounts/{spammer.account_id}", headers=mod.headers)
    assert shown.json()["suspended"] is True
    assert log(app) == [("suspend", mod.account_id, spammer.account_id, "spam")]
    assert (
        client.get("/api/v1/accounts/verify_credentials", headers=spammer.headers).status_code
        == 401
    )
    answer = client.post(
        f"/api/v1/admin/accounts/{spammer.account_id}/unsuspend", headers=mod.headers
    )
    assert answer.status_code == 200 and answer.json()["suspended"] is False
    assert post.json()["id"] in public()


def test_the_state_pnyx_has_not_got_is_refused_not_ignored(app, client, make_user):
    mod = staff(make_user, "mod")
    user = make_user("someone")
    base = f"/api/v1/admin/accounts/{user.account_id}"
    for kind in ("disable",):
        answer = client.post(
            f"{base}/action", json={"type": kind, "text": "x"}, headers=mod.headers
        )
        assert answer.status_code == 422, kind
        assert "no " + kind in answer.json()["error"]
    assert client.post(f"{base}/enable", headers=mod.headers).status_code == 422
    assert log(app) == []


def test_a_moderator_acts_on_users_but_not_on_staff(app, client, make_user):
    mod = staff(make_user, "mod")
    admin = staff(make_user, "boss", role="admin")
    other_mod = make_user("othermod", role="moderator")
    for target in (admin, other_mod, mod):
        answer = client.post(
            f"/api/v1/admin/accounts/{target.account_id}/action",
            json={"type": "suspend", "text": "no"},
            headers=mod.headers,
        )
        assert answer.status_code == 403, target.username
    answer = client.post(
        f"/api/v1/admin/accounts/{other_mod.account_id}/action",
        json={"type": "none", "text": "a warning"},
        headers=admin.headers,
    )
    assert answer.status_code == 200
    assert log(app) == [("warn", admin.account_id, other_mod.account_id, "a warning")]


def test_erasing_is_for_admins_and_suspended_accounts(app, client, make_user):
    mod = staff(make_user, "mod")
    admin = staff(make_user, "boss", role="admin")
    far = remote(app, "dana")
    local = make_user("local")
    assert client.delete(f"/api/v1/admin/accounts/{far}", headers=admin.headers).status_code == 403
    rule = factories.rule(app.state.db)
    client.post(
        f"/api/v1/admin/accounts/{far}/action",
        json={"type": "suspend", "text": "abuse", "rule_id": str(rule)},
        headers=mod.headers,
    )
    assert client.delete(f"/api/v1/admin/accounts/{far}", headers=mod.headers).status_code == 403
    answer = client.delete(f"/api/v1/admin/accounts/{far}", headers=admin.headers)
    assert answer.status_code == 200, answer.text
    from pnyx.registry import drain

    drain(app.state.db)
    left = app.state.db.run_sync(
        lambda tx: tx.scalar(sa.select(accounts.c.id).where(accounts.c.id == far))
    )
    assert left is None
    client.post(
        f"/api/v1/admin/accounts/{local.account_id}/action",
        json={"type": "suspend", "text": "abuse", "rule_id": str(rule)},
        headers=admin.headers,
    )
    answer = client.delete(f"/api/v1/admin/accounts/{local.account_id}", headers=admin.headers)
    assert answer.status_code == 422  # not built for local accounts, and said so
    still = app.state.db.run_sync(
        lambda tx: tx.scalar(sa.select(users.c.id).where(users.c.account_id == local.account_id))
    )
    assert still is not None
