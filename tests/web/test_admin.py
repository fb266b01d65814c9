"""Administration in the browser: who may enter, approving, suspending and promoting accounts
(each action in the moderation log), and the instance's name, description, registration mode,
rules and invites."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

import factories
from pnyx.core import accounts as core_accounts
from pnyx.core import instance_settings
from pnyx.core.errors import Invalid
from pnyx.db.tables import account_warnings, moderation_log, notifications

PASSWORD = "correct horse battery"


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(client, login: str):
    client.cookies.clear()
    client.get("/auth/sign_in")
    answer = client.post(
        "/auth/sign_in",
        data={"login": login, "password": PASSWORD, "csrf_token": client.cookies["pnyx_csrf"]},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


def act(client, account_id: int, action: str, **fields):
    return client.post(
        f"/admin/accounts/{account_id}/{action}",
        data={"csrf_token": client.cookies["pnyx_csrf"], **fields},
        follow_redirects=False,
    )


def post(client, path: str, **fields):
    return client.post(
        path, data={"csrf_token": client.cookies["pnyx_csrf"], **fields}, follow_redirects=False
    )


def log(client) -> list:
    return client.app.state.db.run_sync(
        lambda tx: tx.rows(sa.select(moderation_log).order_by(moderation_log.c.id))
    )


def pending_user(client, name: str) -> int:
    def work(tx):
        account_id, _ = core_accounts.create_local(
            tx, name, f"{name}@example.com", PASSWORD, approved=False, reason="let me in"
        )
        return account_id

    return client.app.state.db.run_sync(work)


def user(client, account_id: int):
    return client.app.state.db.run_sync(core_accounts.user_for_account, account_id)


@pytest.fixture
def admin(client, make_user):
    person = make_user("boss", role="admin")
    sign_in(client, "boss")
    return person


def test_only_staff_may_enter(client, make_user):
    target = make_user("target")
    for path in ("/admin/accounts", "/admin/instance"):
        assert client.get(path, follow_redirects=False).headers["location"] == "/auth/sign_in"
    make_user("alice")
    sign_in(client, "alice")
    for path in ("/admin/accounts", "/admin/instance", "/admin"):
        answer = client.get(path)
        assert answer.status_code == 403, path
        assert "only for the staff" in answer.text
    assert act(client, target.account_id, "suspend", reason="spam").status_code == 403
    assert post(client, "/admin/instance", instance_title="Mine").status_code == 403
    assert post(client, "/admin/instance/rules", rule="Mine").status_code == 403
    assert post(client, "/admin/invites").status_code == 403
    assert user(client, target.account_id) is not None
    assert client.app.state.db.run_sync(core_accounts.get, target.account_id).suspended_at is None
    assert log(client) == []
    assert 'href="/admin/accounts"' not in client.get("/settings/profile").text


def test_approve_suspend_unsuspend_and_promote_are_logged(client, make_user, admin):
    newcomer = pending_user(client, "newcomer")
    page = client.get("/admin/accounts")
    assert page.status_code == 200 and "@newcomer" in page.text and "let me in" in page.text
    assert act(client, newcomer, "approve").headers["location"] == (
        "/admin/accounts?status=pending&done=approve"
    )
    assert user(client, newcomer).approved is True
    assert f'id="person-{newcomer}"' not in client.get("/admin/accounts?status=pending").text
    assert "The account was approved." in client.get("/admin/accounts?done=approve").text

    refused = act(client, newcomer, "suspend", reason="  ", back="active")
    assert refused.status_code == 422 and "Please give a reason" in refused.text
    # The instance has no rules yet: the form says to write them; a suspension cites one.
    assert "write them first" in client.get("/admin/accounts?status=active").text
    refused = act(client, newcomer, "suspend", reason="spam links", back="active")
    assert refused.status_code == 422 and "Please choose the rule broken" in refused.text
    rule = factories.rule(client.app.state.db, "No spam links")
    form = client.get("/admin/accounts?status=active").text
    assert f'<option value="{rule}">1. No spam links</option>' in form
    answer = act(client, newcomer, "suspend", reason="spam links", back="active", rule_id=rule)
    assert answer.headers["location"] == "/admin/accounts?status=active&done=suspend"
    assert client.app.state.db.run_sync(core_accounts.get, newcomer).suspended_at is not None
    listed = client.get("/admin/accounts?status=suspended").text
    assert "@newcomer" in listed and "spam links" in listed
    assert act(client, newcomer, "unsuspend", reason="appeal heard").status_code == 303
    assert client.app.state.db.run_sync(core_accounts.get, newcomer).suspended_at is None
    # Its owner was told (a strike, read once let back in), as Mastodon's form does by default.
    told = (
        sa.select(
            notifications.c.type,
            account_warnings.c.action,
            account_warnings.c.text,
            account_warnings.c.account_id.label("by"),
        )
        .join(account_warnings, account_warnings.c.id == notifications.c.account_warning_id)
        .where(notifications.c.account_id == newcomer)
    )
    strikes = [tuple(r) for r in client.app.state.db.run_sync(lambda tx: tx.rows(told))]
    assert strikes == [("moderation_warning", "suspend", "spam links", admin.account_id)]

    assert act(client, newcomer, "role", role="moderator").status_code == 303
    assert user(client, newcomer).role == "moderator"
    assert act(client, newcomer, "role", role="emperor").status_code == 422
    entries = [(e.action, e.target_account_id, e.actor_account_id, e.reason) for e in log(client)]
    me = admin.account_id
    assert entries == [
        ("approve", newcomer, me, ""),
        ("suspend", newcomer, me, "spam links"),
        ("unsuspend", newcomer, me, "appeal heard"),
        ("set_role:moderator", newcomer, me, ""),
    ]
    everyone = client.get("/admin/accounts?status=all").text
    assert "Recent moderation actions" in everyone and "appeal heard" in everyone


def test_nobody_acts_on_their_own_account(client, admin):
    answer = act(client, admin.account_id, "role", role="user")
    assert answer.status_code == 403 and "your own account" in answer.text
    assert user(client, admin.account_id).role == "admin"
    assert act(client, admin.account_id, "suspend", reason="oops").status_code == 403
    assert act(client, 12345, "approve").status_code == 404
    assert (
        client.post(
            "/admin/accounts/1/explode",
            data={"csrf_token": client.cookies["pnyx_csrf"]},
        ).status_code
        == 404
    )


def test_moderators_act_on_users_only(client, make_user):
    make_user("mod", role="moderator")
    boss = make_user("boss", role="admin")
    plain = make_user("plain")
    newcomer = pending_user(client, "newcomer")
    sign_in(client, "mod")
    page = client.get("/admin/accounts?status=all")
    assert page.status_code == 200
    assert "Change role" not in page.text and 'href="/admin/instance"' not in page.text
    assert client.get("/admin/instance").status_code == 403
    assert act(client, newcomer, "approve").status_code == 303
    rule = factories.rule(client.app.state.db)
    assert act(client, plain.account_id, "suspend", reason="rude", rule_id=rule).status_code == 303
    assert act(client, plain.account_id, "role", role="admin").status_code == 403
    assert user(client, plain.account_id).role == "user"
    refused = act(client, boss.account_id, "suspend", reason="coup", rule_id=rule)
    assert refused.status_code == 403 and "Only an admin" in refused.text
    assert client.app.state.db.run_sync(core_accounts.get, boss.account_id).suspended_at is None
    assert [e.action for e in log(client)] == ["approve", "suspend"]


def test_instance_settings_are_stored_as_overrides_and_logged(client, admin):
    page = client.get("/admin/instance")
    assert page.status_code == 200 and 'value="Pnyx"' in page.text
    answer = post(
        client,
        "/admin/instance",
        instance_title="Agora",
        instance_description="Where citizens meet.\r\nEvery day.",
        registrations="approval",
        reason="rename",
    )
    assert (
        answer.status_code == 303 and answer.headers["location"] == "/admin/instance?done=instance"
    )
    overrides = client.app.state.db.run_sync(instance_settings.get_overrides)
    assert overrides == {
        "instance_title": "Agora",
        "instance_description": "Where citizens meet.\nEvery day.",
        "registrations": "approval",
    }
    page = client.get(answer.headers["location"])
    assert 'value="Agora"' in page.text and '<option value="approval" selected>' in page.text
    assert "The instance settings were saved." in page.text
    assert [(e.action, e.reason) for e in log(client)] == [
        ("instance:instance_title", "rename"),
        ("instance:instance_description", "rename"),
        ("instance:registrations", "rename"),
    ]
    # Saving the same values again changes (and logs) nothing.
    post(
        client,
        "/admin/instance",
        instance_title="Agora",
        instance_description="Where citizens meet.\r\nEvery day.",
        registrations="approval",
    )
    assert len(log(client)) == 3
    client.cookies.delete("pnyx_session")
    assert '<label for="reason">' in client.get("/auth/sign_up").text  # approval now
    sign_in(client, "boss")
    refused = post(client, "/admin/instance", instance_title=" ", registrations="sometimes")
    assert refused.status_code == 422
    assert 'id="instance_title-error">Instance name can' in refused.text
    assert (
        client.app.state.db.run_sync(instance_settings.get_overrides)["instance_title"] == "Agora"
    )


def test_rules_are_added_and_removed(client, admin):
    assert post(client, "/admin/instance/rules", rule="Be kind", hint="Really").status_code == 303
    assert post(client, "/admin/instance/rules", rule="No spam").status_code == 303
    assert post(client, "/admin/instance/rules", rule="   ").status_code == 422
    rules = client.get("/api/v1/instance/rules").json()
    assert [r["text"] for r in rules] == ["Be kind", "No spam"] and rules[0]["hint"] == "Really"
    assert "No spam" in client.get("/").text
    answer = post(client, f"/admin/instance/rules/{rules[0]['id']}/delete")
    assert answer.status_code == 303
    assert post(client, f"/admin/instance/rules/{rules[0]['id']}/delete").status_code == 303
    assert [r["text"] for r in client.get("/api/v1/instance/rules").json()] == ["No spam"]
    assert [(e.action, e.reason) for e in log(client)] == [
        ("rule:add", "Be kind"),
        ("rule:add", "No spam"),
        ("rule:remove", "Be kind"),
    ]


def test_an_invite_made_here_lets_someone_join(client, admin):
    answer = post(client, "/admin/invites", max_uses="1")
    code = re.search(r"invite=([\w-]+)", answer.headers["location"]).group(1)
    page = client.get(answer.headers["location"])
    assert f"/auth/sign_up?invite_code={code}" in page.text and 'role="status"' in page.text
    assert [e.action for e in log(client)] == ["invite:create"]
    client.app.state.db.run_sync(instance_settings.set_override, "registrations", "invite")
    client.cookies.clear()
    client.get(f"/auth/sign_up?invite_code={code}")
    joined = client.post(
        "/auth/sign_up",
        data={
            "username": "invited",
            "email": "invited@example.com",
            "password": PASSWORD,
            "password_confirmation": PASSWORD,
            "agreement": "1",
            "invite_code": code,
            "csrf_token": client.cookies["pnyx_csrf"],
        },
        follow_redirects=False,
    )
    assert joined.status_code == 303 and joined.headers["location"] == "/home"


def test_every_admin_post_needs_the_csrf_token(client, admin):
    newcomer = pending_user(client, "newcomer")
    for path in (
        f"/admin/accounts/{newcomer}/approve",
        "/admin/instance",
        "/admin/instance/rules",
        "/admin/invites",
    ):
        answer = client.post(
            path, data={"csrf_token": "forged", "instance_title": "X", "rule": "X"}
        )
        assert answer.status_code == 403, path
    assert user(client, newcomer).approved is False
    assert log(client) == []


def test_admin_pages_in_french(client, admin):
    page = client.get("/admin/accounts?status=all", headers={"Accept-Language": "fr"})
    assert '<html lang="fr">' in page.text
    assert "Actions de modération récentes" in page.text and "Rôle de @boss" not in page.text
    assert "Inscriptions" in client.get("/admin/instance", headers={"Accept-Language": "fr"}).text


def test_overrides_follow_their_rules(db):
    with pytest.raises(Invalid):
        db.run_sync(instance_settings.set_override, "registrations", "sometimes")
    with pytest.raises(Invalid):
        db.run_sync(instance_settings.set_override, "domain", "evil.example")
    db.run_sync(instance_settings.set_override, "instance_title", "Agora")
    effective = db.run_sync(instance_settings.effective_settings)
    assert effective.instance_title == "Agora" and effective.domain == db.settings.domain
    # A stored value that is no longer valid is ignored, not trusted.
    assert instance_settings.effective(db.settings, {"registrations": "sometimes"}) == db.settings
    db.run_sync(instance_settings.set_override, "instance_title", None)
    assert db.run_sync(instance_settings.get_overrides) == {}


def test_reports_are_listed_and_resolved_with_a_note_in_the_log(client, make_user):
    import factories
    from pnyx.core import remote_store
    from pnyx.core import statuses as core_statuses

    db = client.app.state.db
    moderator = make_user("mod", role="moderator")
    target = make_user("target")
    post_id = db.run_sync(
        core_statuses.create, target.account_id, core_statuses.StatusInput(text="buy now")
    )
    rex = factories.remote_account(db, "rex", "remote.example")
    report_id = db.run_sync(
        remote_store.store_report,
        rex,
        target.account_id,
        [post_id],
        "spam links",
        "https://remote.example/flags/1",
    )

    sign_in(client, "target")  # not staff
    assert client.get("/admin/reports").status_code == 403
    assert post(client, f"/admin/reports/{report_id}/resolve").status_code == 403

    sign_in(client, "mod")
    page = client.get("/admin/reports")
    assert page.status_code == 200
    assert "@target, reported by @rex@remote.example" in page.text
    assert "spam links" in page.text and f'href="/@target/{post_id}"' in page.text
    assert "<dd>Other</dd>" in page.text  # a Flag has no category
    answer = post(client, f"/admin/reports/{report_id}/resolve", reason="warned them")
    assert answer.headers["location"] == "/admin/reports?status=open&done=resolve_report"
    assert "No reports here." in client.get("/admin/reports").text
    resolved = client.get("/admin/reports?status=resolved").text
    assert "spam links" in resolved and "Mark as resolved" not in resolved
    entry = log(client)[-1]
    assert (entry.action, entry.target_account_id, entry.actor_account_id, entry.reason) == (
        "resolve_report",
        target.account_id,
        moderator.account_id,
        "warned them",
    )
    again = post(client, f"/admin/reports/{report_id}/resolve")
    assert again.status_code == 422 and "already resolved" in again.text
    assert post(client, "/admin/reports/12345/resolve").status_code == 404


def test_ids_out_of_range_in_admin_addresses_are_not_found(client, admin):
    huge = "9" * 25
    for path in (
        f"/admin/accounts/{huge}/approve",
        f"/admin/instance/rules/{huge}/delete",
        f"/admin/reports/{huge}/resolve",
    ):
        answer = post(client, path, reason="x")
        assert answer.status_code == 404, (path, answer.status_code, answer.text[:300])


def test_the_minimum_age_is_set_from_the_instance_page(client, admin):
    page = client.get("/admin/instance")
    assert '<input id="min_age" name="min_age" type="number" value="0"' in page.text
    refused = post(client, "/admin/instance", instance_title="Pnyx", min_age="two hundred")
    assert refused.status_code == 422
    assert "Minimum age must be a whole number from 0 to 120" in refused.text
    saved = post(client, "/admin/instance", instance_title="Pnyx", min_age="16")
    assert saved.status_code == 303
    assert client.get("/api/v2/instance").json()["registrations"]["min_age"] == 16
    assert [e.action for e in log(client)] == ["instance:min_age"]
    post(client, "/admin/instance", instance_title="Pnyx", min_age="0")
    assert client.get("/api/v2/instance").json()["registrations"]["min_age"] is None
