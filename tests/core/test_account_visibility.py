"""The account rules, written once, answer the same in Python and in SQL.

Each rule of `core.account_visibility` (KNOWN, ACTIVE, LISTED, FOUND, SHOWN, NOTIFYING,
MAY_NOTIFY) is evaluated two ways: in Python against the facts `load_account_context` loads for a viewer,
and as a SQL condition, on the accounts table and on a column of account ids. Generated worlds
(blocks either way, mutes that hide notifications or not, expired mutes, blocked servers,
suspensions, sign-ups waiting for approval or confirmation) are checked for every viewer, signed out included, on
both databases; a hand-written expectation pins what each rule hides.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
import sqlalchemy as sa

import factories as f
from pnyx.core import account_visibility as av
from pnyx.core import accounts as core_accounts
from pnyx.core import decisions
from pnyx.db.tables import accounts, mutes, users

RULES = {
    "KNOWN": av.KNOWN,
    "ACTIVE": av.ACTIVE,
    "LISTED": av.LISTED,
    "FOUND": av.FOUND,
    "SHOWN": av.SHOWN,
    "NOTIFYING": av.NOTIFYING,
    "MAY_NOTIFY": av.MAY_NOTIFY,
}

# What each rule hides, by hand: the reasons, in the order the rule gives them.
HIDES = {
    "KNOWN": ("pending",),
    "ACTIVE": ("suspended", "pending"),
    "LISTED": ("suspended",),
    "FOUND": ("suspended", "pending", "blocked", "blocks_you"),
    "SHOWN": ("suspended", "blocked", "blocks_you", "muted"),
    "NOTIFYING": ("suspended", "blocked", "blocks_you", "muted_notifications", "domain_blocked"),
    "MAY_NOTIFY": ("blocked", "blocks_you", "muted_notifications", "domain_blocked"),
}


def _sign_up(db, name: str, *, approved: bool, confirmed: bool) -> int:
    def work(tx):
        account_id, user_id = core_accounts.create_local(
            tx, name, f"{name}@example.com", "a long enough password", approved=approved
        )
        tx.execute(users.update().where(users.c.id == user_id).values(confirmed=confirmed))
        return account_id

    return db.run_sync(work)


def _mute(db, a: int, b: int, *, notifications: bool, expired: bool) -> None:
    mute_id = f.mute(db, a, b, hide_notifications=notifications)
    if expired:
        db.run_sync(
            lambda tx: tx.execute(
                mutes.update()
                .where(mutes.c.id == mute_id)
                .values(expires_at=tx.now - timedelta(hours=1))
            )
        )


def _world(db, seed: int) -> tuple[list[int], dict]:
    """A random small world; returns (accounts, the facts as plain sets)."""
    rng = random.Random(seed)
    people = [f.remote_account(db, f"p{seed}_{i}", f"s{i % 3}.example") for i in range(6)]
    pending = {
        _sign_up(db, f"waiting{seed}", approved=False, confirmed=True),
        _sign_up(db, f"unconfirmed{seed}", approved=True, confirmed=False),
    }
    people += [*pending, _sign_up(db, f"member{seed}", approved=True, confirmed=True)]
    blocks, mutes_, muted_notifications = set(), set(), set()
    for a in people:
        for b in people:
            if a == b:
                continue
            if rng.random() < 0.15:
                f.block(db, a, b)
                blocks.add((a, b))
            if rng.random() < 0.25:
                notifications, expired = rng.random() < 0.5, rng.random() < 0.3
                _mute(db, a, b, notifications=notifications, expired=expired)
                if not expired:
                    mutes_.add((a, b))
                    if notifications:
                        muted_notifications.add((a, b))
    domains = {a: f"s{i % 3}.example" if i < 6 else None for i, a in enumerate(people)}
    domain_blocks = set()
    for a in people:
        if rng.random() < 0.3:
            blocked_domain = rng.choice(["s0.example", "s1.example", "s2.example"])
            f.domain_block(db, a, blocked_domain)
            domain_blocks |= {(a, b) for b in people if domains[b] == blocked_domain}
    suspended = set(rng.sample(people, k=2))
    for a in suspended:
        f.suspend(db, a)
    facts = {
        "suspended": suspended,
        "pending": pending,
        "blocks": blocks,
        "mutes": mutes_,
        "muted_notifications": muted_notifications,
        "domain_blocks": domain_blocks,
    }
    return people, facts


def _expected_reason(name: str, viewer_id: int | None, account_id: int, facts: dict) -> str | None:
    """The first reason, among those the rule hides for, that holds; None when shown."""
    holds = {
        "suspended": account_id in facts["suspended"],
        "pending": account_id in facts["pending"],
        "blocked": (viewer_id, account_id) in facts["blocks"],
        "blocks_you": (account_id, viewer_id) in facts["blocks"],
        "muted": (viewer_id, account_id) in facts["mutes"],
        "muted_notifications": (viewer_id, account_id) in facts["muted_notifications"],
        "domain_blocked": (viewer_id, account_id) in facts["domain_blocks"],
    }
    return next((reason for reason in HIDES[name] if holds[reason]), None)


def _by_sql(db, rule, viewer_id: int | None, people: list[int], *, on_column: bool) -> set[int]:
    listed = accounts.alias("listed")

    def work(tx):
        if on_column:  # the id column of a table other than `accounts`
            where = av.account_visible_condition(rule, listed.c.id, viewer_id, tx.now)
            query = sa.select(listed.c.id).where(listed.c.id.in_(people), where)
        else:
            where = av.account_visible_condition(rule, accounts, viewer_id, tx.now)
            query = sa.select(accounts.c.id).where(accounts.c.id.in_(people), where)
        return set(tx.scalars(query))

    return db.run_sync(work, write=False)


def _reasons(db, rule, viewer_id: int | None, people: list[int]) -> dict[int, str | None]:
    def work(tx):
        ctx = av.load_account_context(tx, viewer_id, people)
        return {a: av.why_account_hidden(ctx, a, rule) for a in people}

    return db.run_sync(work, write=False)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_python_and_sql_forms_agree(db, seed):
    people, facts = _world(db, seed)
    hidden_somewhere = set()
    for name, rule in RULES.items():
        for viewer_id in [None, *people]:
            reasons = _reasons(db, rule, viewer_id, people)
            expected = {a: _expected_reason(name, viewer_id, a, facts) for a in people}
            assert reasons == expected, f"{name}, viewer {viewer_id}"
            in_python = {a for a, reason in reasons.items() if reason is None}
            assert _by_sql(db, rule, viewer_id, people, on_column=False) == in_python, name
            assert _by_sql(db, rule, viewer_id, people, on_column=True) == in_python, name
            hidden_somewhere |= {r for r in reasons.values() if r is not None}
    # The worlds are not trivial: every reason hides someone from someone.
    assert hidden_somewhere == {r for reasons in HIDES.values() for r in reasons}


def test_hidden_accounts_say_why_through_the_pipeline(db):
    alice = f.remote_account(db, "alice", "a.example")
    bob = f.remote_account(db, "bob", "b.example")
    carol = f.remote_account(db, "carol", "c.example")
    waiting = _sign_up(db, "waiting", approved=False, confirmed=True)
    f.block(db, alice, bob)
    f.mute(db, alice, carol, hide_notifications=False)

    def decide(rule, viewer_id, account_id):
        def work(tx):
            ctx = av.load_account_context(tx, viewer_id, [account_id])
            return decisions.decide_account((decisions.account_rule(rule),), ctx, account_id)

        return db.run_sync(work, write=False)

    assert decide(av.FOUND, alice, bob) == decisions.hide("blocked")
    assert decide(av.FOUND, bob, alice) == decisions.hide("blocks_you")
    assert decide(av.FOUND, None, bob) == decisions.SHOW
    assert decide(av.LISTED, alice, bob) == decisions.SHOW  # the viewer's own blocks list
    assert decide(av.FOUND, alice, carol) == decisions.SHOW  # search ignores mutes
    assert decide(av.SHOWN, alice, carol) == decisions.hide("muted")
    assert decide(av.NOTIFYING, alice, carol) == decisions.SHOW  # notifications kept
    assert decide(av.KNOWN, None, waiting) == decisions.hide("pending")
    f.suspend(db, bob)
    assert decide(av.FOUND, alice, bob) == decisions.hide("suspended")  # the first reason
    assert decide(av.KNOWN, alice, bob) == decisions.SHOW  # a profile shows it, blanked
