"""The instance's own notifications, staff roles and sign-up age with a real client:
Mastodon.py against `pnyx serve` (SQLite and PostgreSQL), as a moderation app and a sign-up
screen use them.

- admin.sign_up: the staff hear of each new account (grouped in v2, as Mastodon groups them);
- moderation_warning: a warning or a suspension through the admin API leaves a strike its
  owner reads (unless the staff asked to keep quiet);
- Account.roles: staff show their role, on the profile and wherever the account shows;
- an instance with a minimum age asks for a date of birth and refuses the young (422,
  `date_of_birth` in the details), and says so in /api/v2/instance.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from mastodon import Mastodon, MastodonAPIError

import mastodon_apps
from mastodon_apps import PASSWORD
from server import PnyxServer

USER_SCOPES = ["read", "write", "follow"]
STAFF_SCOPES = [*USER_SCOPES, "admin:read", "admin:write"]


def app_client(server: PnyxServer) -> Mastodon:
    return mastodon_apps.app_client(server, USER_SCOPES, version_check_mode="none")


def login(server: PnyxServer, name: str, scopes: list[str], *, admin: bool = False) -> Mastodon:
    return mastodon_apps.people(server, [name], scopes, admin=admin, version_check_mode="none")[
        name
    ]


def log_in(server: PnyxServer, name: str, scopes: list[str]) -> Mastodon:
    return mastodon_apps.log_in(server, name, scopes, version_check_mode="none")


def unique(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:6]


def test_the_staff_hear_of_each_sign_up(server: PnyxServer):
    boss = login(server, unique("boss"), STAFF_SCOPES, admin=True)
    nobody = login(server, unique("user"), USER_SCOPES)
    names = [unique("new"), unique("new")]
    for name in names:
        token, problem = app_client(server).create_account(
            name,
            PASSWORD,
            f"{name}@example.com",
            agreement=True,
            scopes=USER_SCOPES,
            return_detailed_error=True,
        )
        assert token and not problem.get("error"), problem

    told = boss.notifications(types=["admin.sign_up"])
    assert [n["account"]["username"] for n in told][:2] == list(reversed(names))
    assert all(n["type"] == "admin.sign_up" and n.get("status") is None for n in told)
    assert names[0] not in [
        n["account"]["username"] for n in boss.notifications(exclude_types=["admin.sign_up"])
    ]
    assert nobody.notifications(types=["admin.sign_up"]) == []
    # Grouped as Mastodon groups sign-ups: one group, every new account in its sample.
    grouped = boss.grouped_notifications(types=["admin.sign_up"])
    [group] = grouped["notification_groups"]
    assert group["type"] == "admin.sign_up" and group["group_key"].startswith("admin.sign_up-")
    assert group["notifications_count"] == len(told) >= 2
    sampled = {a["username"] for a in grouped["accounts"]}
    assert set(names) <= sampled
    alone = boss.grouped_notifications(types=["admin.sign_up"], grouped_types=["favourite"])
    assert len(alone["notification_groups"]) == len(told)


def test_a_strike_is_told_to_its_owner(server: PnyxServer):
    boss = login(server, unique("boss"), STAFF_SCOPES, admin=True)
    name = unique("rude")
    rude = login(server, name, USER_SCOPES)
    rude_id = rude.account_verify_credentials()["id"]
    post = rude.status_post("you are all idiots")
    victim = login(server, unique("victim"), USER_SCOPES)
    report = victim.report(rude_id, status_ids=[post["id"]], comment="insults")

    boss.admin_account_moderate(rude_id, "none", report_id=report["id"], text="Be civil.")
    [told] = rude.notifications(types=["moderation_warning"])
    assert told["type"] == "moderation_warning" and told["account"]["id"] == rude_id
    warning = told["moderation_warning"]
    assert warning["action"] == "none" and warning["text"] == "Be civil."
    assert warning["status_ids"] == [post["id"]]
    assert warning["target_account"]["id"] == rude_id and warning["appeal"] is None
    grouped = rude.grouped_notifications(types=["moderation_warning"])
    [group] = grouped["notification_groups"]
    assert group["moderation_warning"]["id"] == warning["id"]

    # Quiet (Mastodon.py then leaves `send_email_notification` out, which Mastodon reads as
    # false): the strike is kept for the staff, its owner is not told.
    boss.admin_account_moderate(rude_id, "none", text="Noted.", send_email_notification=False)
    assert len(rude.notifications(types=["moderation_warning"])) == 1

    # A suspension, taken on a report that names the rule broken (it cites that rule): the
    # owner, signed out, reads it once let back in.
    rule = mastodon_apps.instance_rule(server, "Be civil")
    again = victim.report(rude_id, comment="again", category="violation", rule_ids=[rule])
    with pytest.raises(MastodonAPIError):  # a suspension cites a rule: none was given
        boss.admin_account_moderate(rude_id, "suspend", text="Insults after a warning.")
    boss.admin_account_moderate(
        rude_id, "suspend", report_id=again["id"], text="Insults after a warning."
    )
    boss.admin_account_unsuspend(rude_id)
    back = log_in(server, name, USER_SCOPES)
    strikes = back.notifications(types=["moderation_warning"])
    assert [
        (n["moderation_warning"]["action"], n["moderation_warning"]["text"]) for n in strikes
    ] == [
        ("suspend", "Insults after a warning."),
        ("none", "Be civil."),
    ]


def test_staff_show_their_role(server: PnyxServer):
    boss = login(server, unique("boss"), STAFF_SCOPES, admin=True)
    user = login(server, unique("user"), USER_SCOPES)
    boss_id = boss.account_verify_credentials()["id"]
    user_id = user.account_verify_credentials()["id"]
    assert user.account(boss_id)["roles"] == [{"id": "3", "name": "Admin", "color": ""}]
    assert boss.account_verify_credentials()["roles"][0]["name"] == "Admin"
    assert boss.account(user_id)["roles"] == []


def test_staff_show_their_role_in_posts_and_notifications(server: PnyxServer):
    """Not only on the profile: in the home timeline, a boost, a notification (v1 and the
    grouped v2 `accounts`), and a list of followers, as Mastodon shows it."""
    boss = login(server, unique("boss"), STAFF_SCOPES, admin=True)
    user = login(server, unique("user"), USER_SCOPES)
    boss_id = boss.account_verify_credentials()["id"]
    user_name = user.account_verify_credentials()["acct"]
    user.account_follow(boss_id)
    posted = boss.status_post(f"Maintenance tonight, @{user_name}")
    [shown] = user.timeline_home()
    assert shown["id"] == posted["id"]
    assert shown["account"]["roles"] == [{"id": "3", "name": "Admin", "color": ""}]
    [mention] = user.notifications(types=["mention"])
    assert mention["account"]["roles"][0]["name"] == "Admin"
    assert mention["status"]["account"]["roles"][0]["name"] == "Admin"
    grouped = user.grouped_notifications()
    assert [a["roles"][0]["name"] for a in grouped["accounts"]] == ["Admin"]
    user.status_reblog(posted["id"])
    assert [a["roles"] for a in boss.status_reblogged_by(posted["id"])] == [[]]
    [follower] = user.account_followers(boss_id)
    assert follower["roles"] == []
    assert (
        user.account_following(user.account_verify_credentials()["id"])[0]["roles"][0]["name"]
        == "Admin"
    )


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def aged_server(request, tmp_path_factory) -> PnyxServer:
    """A server whose operator set a minimum age of 16."""
    if request.param == "postgres" and not os.environ.get("PNYX_TEST_DATABASE_URL"):
        pytest.skip("no PostgreSQL")
    instance = PnyxServer(
        tmp_path_factory.mktemp(f"aged-{request.param}"),
        backend=request.param,
        env={"PNYX_MIN_AGE": "16"},
    )
    instance.start()
    try:
        yield instance
    finally:
        instance.stop()


def test_a_minimum_age_asks_for_a_date_of_birth(aged_server: PnyxServer):
    anonymous = app_client(aged_server)
    assert anonymous.instance_v2()["registrations"]["min_age"] == 16
    today = datetime.now(UTC)
    name = unique("kid")

    token, problem = app_client(aged_server).create_account(
        name,
        PASSWORD,
        f"{name}@example.com",
        agreement=True,
        scopes=USER_SCOPES,
        return_detailed_error=True,
    )
    assert token is None
    assert problem["details"]["date_of_birth"][0]["error"] == "ERR_BLANK"

    young = today - timedelta(days=365 * 10)
    token, problem = app_client(aged_server).create_account(
        name,
        PASSWORD,
        f"{name}@example.com",
        agreement=True,
        scopes=USER_SCOPES,
        date_of_birth=young,
        return_detailed_error=True,
    )
    assert token is None
    assert problem["error"] == "Validation failed: Date of birth is below the age limit"
    assert problem["details"]["date_of_birth"][0]["error"] == "ERR_BELOW_LIMIT"

    grown = today - timedelta(days=365 * 30)
    token, problem = app_client(aged_server).create_account(
        name,
        PASSWORD,
        f"{name}@example.com",
        agreement=True,
        scopes=USER_SCOPES,
        date_of_birth=grown,
        return_detailed_error=True,
    )
    assert token and not problem.get("error"), problem
