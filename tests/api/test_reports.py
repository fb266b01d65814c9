"""POST /api/v1/reports: what an app's Report button sends, and what comes back."""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.core import instance_settings
from pnyx.db.tables import reports


def post(client, user, **fields):
    return client.post("/api/v1/reports", json=fields, headers=user.headers)


def status_of(client, user, text: str, visibility: str = "public") -> str:
    answer = client.post(
        "/api/v1/statuses", json={"status": text, "visibility": visibility}, headers=user.headers
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["id"]


def test_a_report_is_stored_for_the_moderators_and_answered_as_mastodon_does(
    client, make_user, app
):
    me, spammer = make_user("me"), make_user("spammer")
    first = status_of(client, spammer, "buy now")
    second = status_of(client, spammer, "buy more")
    answer = post(
        client,
        me,
        account_id=str(spammer.account_id),
        status_ids=[first, second],
        comment="advertising again",
        category="spam",
        forward=True,
    )
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert set(report) == {
        "id", "action_taken", "action_taken_at", "category", "comment", "forwarded",
        "created_at", "status_ids", "rule_ids", "target_account",
    }  # fmt: skip
    assert report["category"] == "spam" and report["comment"] == "advertising again"
    assert report["status_ids"] == [first, second] and report["rule_ids"] is None
    assert report["action_taken"] is False and report["forwarded"] is False
    assert report["target_account"]["acct"] == "spammer"
    stored = app.state.db.run_sync(lambda tx: tx.rows(sa.select(reports)))
    assert [(r.account_id, r.target_account_id) for r in stored] == [
        (me.account_id, spammer.account_id)
    ]


def test_naming_rules_makes_it_a_violation(client, make_user, app):
    me, rude = make_user("me"), make_user("rude")
    rule = app.state.db.run_sync(instance_settings.add_rule, "Be kind.")
    answer = post(client, me, account_id=str(rude.account_id), rule_ids=[str(rule)])
    assert answer.status_code == 200, answer.text
    assert answer.json()["category"] == "violation"
    assert answer.json()["rule_ids"] == [str(rule)]


def test_bad_reports_are_refused_with_mastodon_errors(client, make_user):
    me, other, third = make_user("me"), make_user("other"), make_user("third")
    theirs = status_of(client, third, "not other's post")
    hidden = status_of(client, other, "followers only", visibility="private")
    cases = [
        ({}, 422),
        ({"account_id": "12345"}, 404),
        ({"account_id": str(other.account_id), "status_ids": [theirs]}, 404),
        ({"account_id": str(other.account_id), "status_ids": [hidden]}, 404),
        ({"account_id": str(other.account_id), "category": "boring"}, 422),
        ({"account_id": str(other.account_id), "rule_ids": ["999"]}, 422),
        ({"account_id": str(other.account_id), "comment": "x" * 1001}, 422),
        ({"account_id": str(other.account_id), "status_ids": ["junk"]}, 422),
    ]
    for fields, status in cases:
        answer = post(client, me, **fields)
        assert answer.status_code == status, (fields, answer.text)
        assert "error" in answer.json()
    no_token = client.post("/api/v1/reports", json={"account_id": str(other.account_id)})
    assert no_token.status_code == 401
    reader = make_user("reader", scopes="read")
    assert post(client, reader, account_id=str(other.account_id)).status_code == 403
