"""The admin API with a real client: Mastodon.py's admin methods against `pnyx serve`, as a
moderation app uses them (list accounts, act with a reason, handle reports)."""

from __future__ import annotations

import pytest
from mastodon import Mastodon, MastodonAPIError

import mastodon_apps
from server import PnyxServer

USER_SCOPES = ["read", "write", "follow"]
STAFF_SCOPES = [*USER_SCOPES, "admin:read", "admin:write"]


def login(server: PnyxServer, name: str, scopes: list[str], *, admin: bool = False) -> Mastodon:
    return mastodon_apps.people(server, [name], scopes, admin=admin)[name]


def test_moderating_with_mastodon_py(server: PnyxServer):
    boss = login(server, "boss", STAFF_SCOPES, admin=True)
    victim = login(server, "victim", USER_SCOPES)
    spammer = login(server, "spammer", USER_SCOPES)
    spammer_id = spammer.account_verify_credentials()["id"]
    post = spammer.status_post("buy cheap watches")

    listed = boss.admin_accounts_v2(origin="local", username="spam")
    assert [a["username"] for a in listed] == ["spammer"]
    assert listed[0]["email"] == "spammer@example.com" and listed[0]["suspended"] is False
    staff = boss.admin_accounts_v2(permissions="staff")
    assert [a["username"] for a in staff] == ["boss"]

    rule = mastodon_apps.instance_rule(server, "No spam")
    # The report names the rule broken: the suspension taken on it cites that rule.
    report = victim.report(
        spammer_id, status_ids=[post["id"]], comment="spam", category="violation", rule_ids=[rule]
    )
    found = boss.admin_reports()
    assert [r["id"] for r in found] == [report["id"]]
    assert found[0]["target_account"]["username"] == "spammer"
    assert [s["id"] for s in found[0]["statuses"]] == [post["id"]]
    assigned = boss.admin_report_assign(report["id"])
    assert assigned["assigned_account"]["username"] == "boss"

    with pytest.raises(MastodonAPIError) as refused:
        boss.admin_account_moderate(spammer_id, "disable", text="quiet")  # no such state
    assert refused.value.args[1] == 422
    with pytest.raises(MastodonAPIError) as refused:
        boss.admin_account_moderate(spammer_id, "suspend")  # no reason given
    assert refused.value.args[1] == 422

    boss.admin_account_moderate(spammer_id, "suspend", report_id=report["id"], text="spam")
    assert boss.admin_account(spammer_id)["suspended"] is True
    assert boss.admin_reports() == []
    assert [r["id"] for r in boss.admin_reports(resolved=True)] == [report["id"]]
    assert post["id"] not in [s["id"] for s in victim.timeline_public()]

    boss.admin_account_unsuspend(spammer_id)
    assert boss.admin_account(spammer_id)["suspended"] is False


def test_limiting_with_mastodon_py(server: PnyxServer):
    """silence and sensitive, as Mastodon.py sends them (telling the owner unless asked not
    to), lifted by its unsilence and unsensitive; a post taken out of the trends and back."""
    chief = login(server, "chief", STAFF_SCOPES, admin=True)
    loud = login(server, "loud", USER_SCOPES)
    loud_id = loud.account_verify_credentials()["id"]
    shout = loud.status_post("LISTEN TO ME")

    chief.admin_account_moderate(loud_id, action="silence", text="Shouting")
    assert chief.admin_account(loud_id)["silenced"] is True
    assert shout["id"] not in [s["id"] for s in chief.timeline_public()]
    [told] = loud.notifications(types=["moderation_warning"])
    assert told["moderation_warning"]["action"] == "silence"
    assert told["moderation_warning"]["text"] == "Shouting"
    assert told["moderation_warning"]["appeal"] is None
    assert chief.admin_account_unsilence(loud_id)["silenced"] is False
    assert shout["id"] in [s["id"] for s in chief.timeline_public()]

    chief.admin_account_moderate(
        loud_id, action="sensitive", text="Graphic", send_email_notification=False
    )
    assert chief.admin_account(loud_id)["sensitized"] is True
    assert len(loud.notifications(types=["moderation_warning"])) == 1  # not told this time
    assert chief.admin_account_unsensitive(loud_id)["sensitized"] is False

    rejected = chief.admin_reject_trending_status(shout["id"])
    assert rejected["id"] == shout["id"]
    newest = loud.notifications(types=["moderation_warning"])[0]["moderation_warning"]
    assert newest["action"] == "remove_from_trends" and newest["status_ids"] == [shout["id"]]
    assert chief.admin_approve_trending_status(shout["id"])["id"] == shout["id"]


def test_a_user_token_gets_403(server: PnyxServer):
    nosy = login(server, "nosy", STAFF_SCOPES)
    with pytest.raises(MastodonAPIError) as refused:
        nosy.admin_accounts_v2()
    assert refused.value.args[1] == 403
