"""Reports reach the moderators here and, when the reporter asks, the reported account's
server: a Flag signed by this server's instance actor, naming the account and the posts, and
never the reporter. The other server is a stand-in on loopback (tests/federation/peer.py)."""

from __future__ import annotations

import sqlalchemy as sa

import factories
from pnyx import registry
from pnyx.core import reports
from pnyx.db.tables import accounts, notifications, statuses, users
from pnyx.db.tables import reports as reports_table


def taka_of(db, peer) -> int:
    taka = factories.remote_account(db, "taka", peer.domain)
    db.run_sync(
        lambda tx: tx.execute(
            accounts.update()
            .where(accounts.c.id == taka)
            .values(uri=peer.actor, inbox_url=f"{peer.actor}/inbox")
        )
    )
    return taka


def test_a_forwarded_report_reaches_the_accounts_server_from_the_instance(
    local_db, peer, make_user, client
):
    me, moderator = make_user("me"), make_user("mod", role="moderator")
    taka = taka_of(local_db, peer)
    post = factories.status(local_db, taka, "spam spam", local=False)
    post_uri = local_db.run_sync(
        lambda tx: tx.scalar(sa.select(statuses.c.uri).where(statuses.c.id == post))
    )

    answer = client.post(
        "/api/v1/reports",
        headers=me.headers,
        json={
            "account_id": str(taka),
            "status_ids": [str(post)],
            "comment": "selling things",
            "forward": True,
        },
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["forwarded"] is True
    registry.drain(local_db)

    [flag] = peer.of_type("Flag")
    instance_actor = f"{local_db.settings.base_url}/actor"
    assert flag["actor"] == instance_actor
    assert flag["object"] == [peer.actor, post_uri]
    assert flag["content"] == "selling things"
    assert "me" not in str(flag)  # the reporter is never named

    # The moderators here are told too, with the report in the notification.
    seen = client.get("/api/v1/notifications", headers=moderator.headers).json()
    [told] = [n for n in seen if n["type"] == "admin.report"]
    assert told["account"]["acct"] == "me"
    assert told["report"]["id"] == answer.json()["id"]
    assert told["report"]["target_account"]["acct"] == f"taka@{peer.domain}"
    assert client.get("/api/v1/notifications", headers=me.headers).json() == []


def test_a_report_kept_here_sends_nothing(local_db, peer, make_user):
    me = make_user("me")
    taka = taka_of(local_db, peer)
    report_id = local_db.run_sync(
        reports.file_report, me.account_id, reports.ReportInput(taka, comment="hm")
    )
    registry.drain(local_db)
    assert peer.received == []
    stored = local_db.run_sync(
        lambda tx: tx.scalar(
            sa.select(reports_table.c.forwarded).where(reports_table.c.id == report_id)
        )
    )
    assert stored is False
    # Nobody here moderates yet: nobody is told.
    assert local_db.run_sync(lambda tx: tx.scalars(sa.select(notifications.c.id))) == []


def test_moderators_hear_of_reports_whoever_blocked_whom_while_they_are_staff(
    local_db, make_user, client
):
    """A report is work for the instance: a reporter who blocks the moderator, or whom the
    moderator muted, still reaches them; someone no longer staff no longer sees it."""
    reporter, target = make_user("reporter"), make_user("target")
    blocked_mod, muting_mod = make_user("mod1", role="moderator"), make_user("mod2", role="admin")
    client.post(f"/api/v1/accounts/{blocked_mod.account_id}/block", headers=reporter.headers)
    client.post(f"/api/v1/accounts/{reporter.account_id}/mute", headers=muting_mod.headers)
    answer = client.post(
        "/api/v1/reports", headers=reporter.headers, json={"account_id": str(target.account_id)}
    )
    assert answer.status_code == 200, answer.text
    for moderator in (blocked_mod, muting_mod):
        seen = client.get(
            "/api/v1/notifications",
            params={"exclude_types[]": "admin.sign_up"},  # mod1 heard of mod2's account
            headers=moderator.headers,
        ).json()
        assert [n["type"] for n in seen] == ["admin.report"]

    local_db.run_sync(
        lambda tx: tx.execute(
            users.update().where(users.c.account_id == blocked_mod.account_id).values(role="user")
        )
    )
    # Neither the report nor the sign-up shows to someone no longer staff.
    assert client.get("/api/v1/notifications", headers=blocked_mod.headers).json() == []


def test_a_report_about_an_unreachable_account_is_not_called_forwarded(local_db, make_user, client):
    me = make_user("me")
    nowhere = factories.remote_account(local_db, "ghost", "nowhere.example")  # no inbox known
    answer = client.post(
        "/api/v1/reports",
        headers=me.headers,
        json={"account_id": str(nowhere), "forward": True},
    )
    assert answer.status_code == 200 and answer.json()["forwarded"] is False
