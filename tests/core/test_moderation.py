"""core.moderation: who may do what, the required reason, and the log, whoever asks (the admin
pages, `pnyx user`, later the admin API)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import factories
from pnyx.core import accounts, moderation, reports
from pnyx.core.errors import Forbidden, Invalid, NotFound
from pnyx.db.tables import moderation_log

PASSWORD = "correct horse battery"


@pytest.fixture
def people(db):
    """An admin, a moderator and two ordinary users, as (Moderator or None, account id)."""

    def work(tx):
        found = {}
        for name, role in (("ann", "admin"), ("mo", "moderator"), ("u1", "user"), ("u2", "user")):
            account_id, _ = accounts.create_local(
                tx, name, f"{name}@example.com", PASSWORD, role=role
            )
            user = accounts.user_for_account(tx, account_id)
            staff = moderation.staff_member(user) if role != "user" else None
            found[name] = (staff, account_id)
        return found

    return db.run_sync(work)


def log(db) -> list[tuple]:
    rows = db.run_sync(lambda tx: tx.rows(sa.select(moderation_log).order_by(moderation_log.c.id)))
    return [(r.action, r.target_account_id, r.actor_account_id, r.reason) for r in rows]


def test_only_staff_are_moderators(db, people):
    plain = db.run_sync(accounts.user_for_account, people["u1"][1])
    with pytest.raises(Forbidden):
        moderation.staff_member(plain)
    with pytest.raises(Forbidden):
        moderation.staff_member(None)
    mod = db.run_sync(accounts.user_for_account, people["mo"][1])
    with pytest.raises(Forbidden):
        moderation.staff_member(mod, admin=True)
    assert people["ann"][0].is_admin and not people["mo"][0].is_admin


def test_a_suspension_needs_a_reason_and_a_rule_from_anyone(db, people):
    ann, u1 = people["ann"][0], people["u1"][1]
    rule = factories.rule(db, "No spam")
    for by in (ann, moderation.OPERATOR):
        for reason in ("", "   "):
            with pytest.raises(Invalid, match="Reason"):
                db.run_sync(moderation.suspend, by, u1, reason, rule)
        with pytest.raises(Invalid, match="Cite the instance rule"):
            db.run_sync(moderation.suspend, by, u1, "spam")
        with pytest.raises(Invalid, match="No such rule"):
            db.run_sync(moderation.suspend, by, u1, "spam", rule + 1)
    assert db.run_sync(accounts.get, u1).suspended_at is None
    assert log(db) == []
    db.run_sync(moderation.suspend, ann, u1, " spam ", rule)
    assert db.run_sync(accounts.get, u1).suspension_reason == "spam"
    assert log(db) == [("suspend", u1, ann.account_id, "spam")]
    entry = db.run_sync(
        lambda tx: tx.rows(sa.select(moderation_log).where(moderation_log.c.action == "suspend"))
    )[0]
    assert (entry.rule_id, entry.rule_text, entry.actor_role) == (rule, "No spam", "admin")


def test_moderators_act_on_ordinary_users_only(db, people):
    mo, ann, u1 = people["mo"][0], people["ann"][1], people["u1"][1]
    rule = factories.rule(db)
    db.run_sync(moderation.suspend, mo, u1, "rude", rule)
    db.run_sync(moderation.unsuspend, mo, u1)
    for action in (
        lambda tx: moderation.suspend(tx, mo, ann, "coup", rule),
        lambda tx: moderation.set_role(tx, mo, u1, "admin"),
        lambda tx: moderation.add_rule(tx, mo, "Mine"),
        lambda tx: moderation.create_invite(tx, mo),
        lambda tx: moderation.change_settings(tx, mo, {"instance_title": "Mine"}),
    ):
        with pytest.raises(Forbidden):
            db.run_sync(action)
    assert db.run_sync(accounts.user_for_account, u1).role == "user"
    assert [entry[0] for entry in log(db)] == ["suspend", "unsuspend"]


def test_nobody_acts_on_their_own_account_but_the_operator_may_do_anything(db, people):
    ann = people["ann"]
    with pytest.raises(Forbidden):
        db.run_sync(moderation.set_role, ann[0], ann[1], "user")
    with pytest.raises(NotFound):
        db.run_sync(moderation.approve, ann[0], 12345)
    db.run_sync(moderation.set_role, moderation.OPERATOR, ann[1], "moderator", "handover")
    assert db.run_sync(accounts.user_for_account, ann[1]).role == "moderator"
    assert log(db) == [("set_role:moderator", ann[1], None, "handover")]


def test_any_staff_member_resolves_reports(db, people):
    mo, u1, u2 = people["mo"][0], people["u1"][1], people["u2"][1]
    report_id = db.run_sync(reports.file_report, u2, reports.ReportInput(target_account_id=u1))
    db.run_sync(moderation.resolve_report, mo, report_id, "warned")
    assert log(db) == [("resolve_report", u1, mo.account_id, "warned")]
