"""The admin API for reports: the Admin::Report entity, the list's filters, assigning,
resolving (also through an account action), reopening and recategorizing, each logged."""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.core import instance_settings
from pnyx.db.tables import moderation_log

STAFF_SCOPES = "read write follow admin:read admin:write"


def file(client, reporter, target, **fields) -> str:
    answer = client.post(
        "/api/v1/reports",
        json={"account_id": str(target.account_id), **fields},
        headers=reporter.headers,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["id"]


def actions(app) -> list[str]:
    return app.state.db.run_sync(
        lambda tx: list(
            tx.scalars(sa.select(moderation_log.c.action).order_by(moderation_log.c.id))
        )
    )


def test_the_admin_report_entity(app, client, make_user):
    mod = make_user("mod", role="moderator", scopes=STAFF_SCOPES)
    me, them = make_user("me"), make_user("them")
    private = client.post(
        "/api/v1/statuses",
        json={"status": "for followers", "visibility": "private"},
        headers=them.headers,
    ).json()["id"]
    client.post(f"/api/v1/accounts/{them.account_id}/follow", headers=me.headers)
    report_id = file(client, me, them, status_ids=[private], comment="rude", category="spam")
    answer = client.get(f"/api/v1/admin/reports/{report_id}", headers=mod.headers)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert set(report) == {
        "id", "action_taken", "action_taken_at", "category", "comment", "forwarded",
        "created_at", "updated_at", "account", "target_account", "assigned_account",
        "action_taken_by_account", "statuses", "rules",
    }  # fmt: skip
    assert report["account"]["username"] == "me" and report["target_account"]["username"] == "them"
    assert report["target_account"]["account"]["acct"] == "them"
    assert [s["id"] for s in report["statuses"]] == [private]  # the staff see reported posts
    assert report["assigned_account"] is None and report["action_taken"] is False
    user = make_user("nosy", scopes=STAFF_SCOPES)
    assert client.get(f"/api/v1/admin/reports/{report_id}", headers=user.headers).status_code == 403


def test_list_assign_resolve_reopen(app, client, make_user):
    mod = make_user("mod", role="moderator", scopes=STAFF_SCOPES)
    a, b, c = make_user("a"), make_user("b"), make_user("c")
    first = file(client, a, b)
    second = file(client, c, b)
    third = file(client, a, c)

    def listed(**params) -> list[str]:
        answer = client.get("/api/v1/admin/reports", params=params, headers=mod.headers)
        assert answer.status_code == 200, answer.text
        return [r["id"] for r in answer.json()]

    assert listed() == [third, second, first]
    assert listed(account_id=str(a.account_id)) == [third, first]
    assert listed(target_account_id=str(b.account_id)) == [second, first]

    base = f"/api/v1/admin/reports/{first}"
    answer = client.post(f"{base}/assign_to_self", headers=mod.headers)
    assert answer.json()["assigned_account"]["id"] == str(mod.account_id)
    answer = client.post(f"{base}/unassign", headers=mod.headers)
    assert answer.json()["assigned_account"] is None
    answer = client.post(f"{base}/resolve", headers=mod.headers)
    assert answer.json()["action_taken"] is True
    assert answer.json()["action_taken_by_account"]["id"] == str(mod.account_id)
    assert listed() == [third, second] and listed(resolved="true") == [first]
    answer = client.post(f"{base}/reopen", headers=mod.headers)
    assert answer.json()["action_taken"] is False and listed() == [third, second, first]
    assert actions(app) == ["assign_report", "unassign_report", "resolve_report", "reopen_report"]


def test_an_account_action_resolves_the_report_it_names(app, client, make_user):
    mod = make_user("mod", role="moderator", scopes=STAFF_SCOPES)
    a, b, c = make_user("a"), make_user("b"), make_user("c")
    about_b = file(client, a, b)
    about_c = file(client, a, c)
    path = f"/api/v1/admin/accounts/{b.account_id}/action"
    wrong = client.post(
        path, json={"type": "none", "text": "hm", "report_id": about_c}, headers=mod.headers
    )
    assert wrong.status_code == 404  # the report must be about this account
    answer = client.post(
        path, json={"type": "none", "text": "be nice", "report_id": about_b}, headers=mod.headers
    )
    assert answer.status_code == 200, answer.text
    report = client.get(f"/api/v1/admin/reports/{about_b}", headers=mod.headers).json()
    assert report["action_taken"] is True
    assert actions(app) == ["warn", "resolve_report"]


def test_recategorizing(app, client, make_user):
    mod = make_user("mod", role="moderator", scopes=STAFF_SCOPES)
    a, b = make_user("a"), make_user("b")
    rule = app.state.db.run_sync(instance_settings.add_rule, "Be kind.")
    report_id = file(client, a, b)
    path = f"/api/v1/admin/reports/{report_id}"
    answer = client.put(path, json={"rule_ids": [str(rule)]}, headers=mod.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["category"] == "violation"
    assert [r["text"] for r in answer.json()["rules"]] == ["Be kind."]
    answer = client.put(path, json={"category": "spam"}, headers=mod.headers)
    assert answer.json()["category"] == "spam" and answer.json()["rules"] == []
    assert client.put(path, json={"category": "nonsense"}, headers=mod.headers).status_code == 422
    assert client.put(path, json={"rule_ids": ["12345"]}, headers=mod.headers).status_code == 422
    assert actions(app) == ["rule:add", "update_report:violation", "update_report:spam"]
