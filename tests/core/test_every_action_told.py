"""Every kind of action the staff take on a person or their posts (each strike action) is in
the public log, told to the person by a `moderation_warning`, and can be appealed to another
moderator, whose decision is logged and told too. A strike action added without a case here
fails `test_every_strike_action_is_covered`."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import factories
from pnyx.core import (
    account_warnings,
    accounts,
    appeals,
    instance_labels,
    labels,
    moderation,
    moderation_log,
    post_moderation,
)
from pnyx.core.paging import Page
from pnyx.db.tables import notifications

PASSWORD = "correct horse battery"

# strike action -> (how the staff take it, the log action it writes)
CASES = {
    "none": (
        lambda db, by, who, post, rule: db.run_sync(
            moderation.take_action, by, who, "none", "Mind the tone"
        ),
        "warn",
    ),
    "suspend": (
        lambda db, by, who, post, rule: db.run_sync(moderation.suspend, by, who, "Spam", rule),
        "suspend",
    ),
    "silence": (
        lambda db, by, who, post, rule: db.run_sync(moderation.silence, by, who, "Flooding", rule),
        "silence",
    ),
    "sensitive": (
        lambda db, by, who, post, rule: db.run_sync(moderation.sensitize, by, who, "Graphic", rule),
        "sensitive",
    ),
    "delete_statuses": (
        lambda db, by, who, post, rule: db.run_sync(
            post_moderation.remove, by, [post], "A threat", rule
        ),
        "delete_statuses",
    ),
    "mark_statuses_as_sensitive": (
        lambda db, by, who, post, rule: db.run_sync(
            post_moderation.mark_sensitive, by, [post], "Graphic", rule
        ),
        "mark_statuses_as_sensitive",
    ),
    "remove_from_trends": (
        lambda db, by, who, post, rule: db.run_sync(
            post_moderation.remove_from_trends, by, post, "Bought boosts", rule
        ),
        "remove_from_trends",
    ),
    "label": (
        lambda db, by, who, post, rule: db.run_sync(
            instance_labels.label, by, "disputed", "Contradicted", status_id=post, rule_id=rule
        ),
        "label:disputed",
    ),
}


def test_every_strike_action_is_covered():
    assert set(CASES) == set(account_warnings.ACTIONS)


@pytest.mark.parametrize("action", sorted(account_warnings.ACTIONS))
def test_each_action_is_logged_told_and_appealable(db, action):
    def people(tx):
        made = {}
        for name, role in (("mo", "moderator"), ("mia", "moderator"), ("pat", "user")):
            account_id, _ = accounts.create_local(
                tx, name, f"{name}@example.com", PASSWORD, role=role
            )
            user = accounts.user_for_account(tx, account_id)
            made[name] = moderation.staff_member(user) if role != "user" else account_id
        return made

    made = db.run_sync(people)
    db.run_sync(labels.instance_labeler)
    pat = made["pat"]
    post = factories.status(db, pat, "something", has_media=True)
    rule = factories.rule(db, "Be civil")
    take, logged = CASES[action]
    take(db, made["mo"], pat, post, rule)

    entries = db.run_sync(moderation_log.public_entries, Page(limit=10))
    assert entries[0].action == logged
    [strike] = db.run_sync(account_warnings.of_account, pat)
    assert strike.action == action
    told = db.run_sync(
        lambda tx: list(
            tx.scalars(
                sa.select(notifications.c.account_warning_id).where(
                    notifications.c.account_id == pat,
                    notifications.c.type == "moderation_warning",
                )
            )
        )
    )
    assert told == [strike.id]

    appeal = db.run_sync(appeals.submit, pat, strike.id, "Please look again")
    db.run_sync(appeals.decide, made["mia"], appeal, approve=True)
    actions = [e.action for e in db.run_sync(moderation_log.public_entries, Page(limit=10))]
    assert f"appeal_approved:{action}" in actions and f"appeal:{action}" in actions
    assert db.run_sync(appeals.of_strike, strike.id).state == "approved"
    assert (
        len(
            db.run_sync(
                lambda tx: list(
                    tx.scalars(
                        sa.select(notifications.c.id).where(
                            notifications.c.account_id == pat,
                            notifications.c.type == "moderation_warning",
                        )
                    )
                )
            )
        )
        == 2
    )
