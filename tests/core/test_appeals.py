"""core.appeals: the owner of a strike appeals it once; another staff member decides; approving
reverses what can be undone; every step is in the public log without the appeal's words; the
owner is told of the outcome."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import factories
from pnyx.core import accounts, appeals, moderation, moderation_log, post_moderation
from pnyx.core.errors import Forbidden, Invalid, NotFound
from pnyx.core.paging import Page
from pnyx.db.tables import notifications, statuses

PASSWORD = "correct horse battery"


@pytest.fixture
def staff(db):
    """Two moderators, an admin, and two ordinary users: {name: (Moderator or None, id)}."""

    def work(tx):
        found = {}
        for name, role in (
            ("mo", "moderator"),
            ("mia", "moderator"),
            ("ann", "admin"),
            ("pat", "user"),
            ("sam", "user"),
        ):
            account_id, _ = accounts.create_local(
                tx, name, f"{name}@example.com", PASSWORD, role=role
            )
            user = accounts.user_for_account(tx, account_id)
            found[name] = (moderation.staff_member(user) if role != "user" else None, account_id)
        return found

    return db.run_sync(work)


def strike_of(db, person: int) -> int:
    from pnyx.core import account_warnings

    return db.run_sync(account_warnings.of_account, person)[0].id


def warnings_told(db, person: int) -> int:
    return db.run_sync(
        lambda tx: tx.scalar(
            sa.select(sa.func.count()).where(
                notifications.c.account_id == person,
                notifications.c.type == "moderation_warning",
            )
        )
    )


def test_a_suspension_appealed_and_reversed_by_another_moderator(db, staff):
    mo, mia = staff["mo"][0], staff["mia"][0]
    pat = staff["pat"][1]
    rule = factories.rule(db, "No spam")
    db.run_sync(moderation.suspend, mo, pat, "Spam links", rule)
    strike = strike_of(db, pat)
    assert warnings_told(db, pat) == 1

    # The owner appeals, even while suspended; once.
    appeal = db.run_sync(appeals.submit, pat, strike, "Those were my own shop's links")
    with pytest.raises(Invalid, match="already been appealed"):
        db.run_sync(appeals.submit, pat, strike, "again")
    # Nobody else can appeal it, nor learn that it exists.
    with pytest.raises(NotFound):
        db.run_sync(appeals.submit, staff["sam"][1], strike, "me too")
    # The moderator who acted cannot decide.
    with pytest.raises(Forbidden, match="different staff member"):
        db.run_sync(appeals.decide, mo, appeal, approve=True)
    assert db.run_sync(appeals.of_strike, strike).state == "pending"

    db.run_sync(appeals.decide, mia, appeal, approve=True, reason="Checked: a real shop")
    assert db.run_sync(accounts.get, pat).suspended_at is None
    assert db.run_sync(appeals.of_strike, strike).state == "approved"
    with pytest.raises(Invalid, match="already been decided"):
        db.run_sync(appeals.decide, staff["ann"][0], appeal, approve=False)
    assert warnings_told(db, pat) == 2  # the outcome is told

    entries = db.run_sync(moderation_log.public_entries, Page(limit=10))
    shown = [(e.action, e.actor_role, e.reason, e.rule_text) for e in reversed(entries)]
    assert shown == [
        ("suspend", "moderator", "Spam links", "No spam"),
        ("appeal:suspend", "owner", "", "No spam"),  # never the appeal's words
        ("appeal_approved:suspend", "moderator", "Checked: a real shop", "No spam"),
        ("unsuspend", "moderator", "Checked: a real shop", None),
    ]
    suspension = entries[-1]
    assert suspension.appeal_state == "approved"  # the entry shows how its appeal ended
    numbers = db.run_sync(moderation_log.summary)
    assert (numbers.appealed, numbers.reversed_on_appeal) == (1, 1)


def test_an_empty_appeal_is_refused(db, staff):
    mo, pat = staff["mo"][0], staff["pat"][1]
    db.run_sync(moderation.take_action, mo, pat, "none", "Mind the tone")
    strike = strike_of(db, pat)
    for text in ("", "   "):
        with pytest.raises(Invalid, match="blank"):
            db.run_sync(appeals.submit, pat, strike, text)
    with pytest.raises(Invalid, match="too long"):
        db.run_sync(appeals.submit, pat, strike, "x" * (appeals.MAX_TEXT + 1))


def test_a_rejected_appeal_keeps_the_decision(db, staff):
    mo, ann, pat = staff["mo"][0], staff["ann"][0], staff["pat"][1]
    db.run_sync(moderation.silence, mo, pat, "Flooding the local timeline")
    appeal = db.run_sync(appeals.submit, pat, strike_of(db, pat), "I post a lot")
    db.run_sync(appeals.decide, ann, appeal, approve=False)
    assert db.run_sync(accounts.get, pat).silenced_at is not None
    actions = [e.action for e in db.run_sync(moderation_log.public_entries, Page(limit=10))]
    assert actions[0] == "appeal_rejected:silence" and "unsilence" not in actions


def test_a_moderator_does_not_decide_a_staff_members_appeal(db, staff):
    ann, mo, mia = staff["ann"][0], staff["mo"][0], staff["mia"][0]
    db.run_sync(moderation.take_action, ann, staff["mia"][1], "none", "Be gentler")
    appeal = db.run_sync(appeals.submit, staff["mia"][1], strike_of(db, staff["mia"][1]), "I was")
    with pytest.raises(Forbidden):
        db.run_sync(appeals.decide, mo, appeal, approve=True)
    with pytest.raises(Forbidden):  # nor their own
        db.run_sync(appeals.decide, mia, appeal, approve=True)
    assert [a.appeal.id for a in db.run_sync(appeals.pending)] == [appeal]


def test_removed_posts_stay_removed_but_the_appeal_is_recorded(db, staff):
    mo, mia, pat = staff["mo"][0], staff["mia"][0], staff["pat"][1]
    rule = factories.rule(db, "No threats")
    post = factories.status(db, pat, "you will regret this")
    with pytest.raises(Invalid, match="Cite the instance rule"):
        db.run_sync(post_moderation.remove, mo, [post], "A threat", None)
    db.run_sync(post_moderation.remove, mo, [post], "A threat", rule)
    gone = db.run_sync(lambda tx: tx.scalar(sa.select(statuses.c.id).where(statuses.c.id == post)))
    assert gone is None
    strike = db.run_sync(appeals.account_warnings.get, strike_of(db, pat))
    assert strike.removed_posts[0]["content"] == "<p>you will regret this</p>"
    appeal = db.run_sync(appeals.submit, pat, strike.id, "It was a joke about a film")
    db.run_sync(appeals.decide, mia, appeal, approve=True)
    actions = [e.action for e in db.run_sync(moderation_log.public_entries, Page(limit=10))]
    assert actions[:2] == ["appeal_approved:delete_statuses", "appeal:delete_statuses"]
    # The public log names the action and the rule, never what the post said.
    assert all(
        "regret" not in (e.reason or "")
        for e in db.run_sync(moderation_log.public_entries, Page(limit=10))
    )
