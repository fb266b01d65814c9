"""No shadow bans (issue 12): every state that narrows who sees a person's posts is applied the
way the staff apply it, and each time the person can see it: a strike they are notified of,
the state listed among what limits them now (`core.reach.current`, shown on their standing
page), and an entry in the public log. The enumeration is `core.reach.STATES`; a state added
there without a case here fails `test_every_reach_limit_is_covered`. A server the staff limit
touches people elsewhere: they see it in the public log and the instance's published list.

And no code path limits reach another way: only `core.reach` writes the columns and the table
that hold these states (`test_only_core_reach_writes_the_states`).

"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

import factories
from pnyx.core import (
    accounts,
    domain_blocks,
    instance_labels,
    labels,
    moderation,
    moderation_log,
    post_moderation,
    reach,
    status_views,
    trends,
)
from pnyx.core.paging import Page
from pnyx.core.timelines import public_timelines
from pnyx.db.tables import account_warnings, notifications, statuses

PASSWORD = "correct horse battery"
SRC = Path(__file__).resolve().parents[2] / "src" / "pnyx"


@pytest.fixture
def scene(db):
    """A moderator, a person whose posts are limited, a post of theirs with media that trends
    (it has favourites), and one of the instance's rules."""

    def work(tx):
        mod_id, _ = accounts.create_local(tx, "mo", "mo@example.com", PASSWORD, role="moderator")
        person, _ = accounts.create_local(tx, "pat", "pat@example.com", PASSWORD)
        return moderation.staff_member(accounts.user_for_account(tx, mod_id)), person

    by, person = db.run_sync(work)
    db.run_sync(labels.instance_labeler)  # made at start-up by the app
    post = factories.status(db, person, "look at this", has_media=True)
    db.run_sync(
        lambda tx: tx.execute(
            statuses.update().where(statuses.c.id == post).values(favourites_count=5)
        )
    )
    return by, person, post, factories.rule(db, "Keep it civil")


def public_ids(db) -> list[int]:
    return list(db.run_sync(lambda tx: public_timelines.public(tx, None, Page(limit=40)).ids))


def trending_ids(db) -> list[int]:
    return db.run_sync(trends.trending_status_ids, None)


def sensitive(db, post: int) -> bool:
    return db.run_sync(
        lambda tx: tx.scalar(sa.select(statuses.c.sensitive).where(statuses.c.id == post))
    )


def told(db, person: int) -> list[str]:
    """The strikes the person was notified of (moderation_warning), by action."""
    query = (
        sa.select(account_warnings.c.action)
        .join(notifications, notifications.c.account_warning_id == account_warnings.c.id)
        .where(notifications.c.account_id == person, notifications.c.type == "moderation_warning")
    )
    return db.run_sync(lambda tx: list(tx.scalars(query)))


def public_log(db) -> list[str]:
    return [e.action for e in db.run_sync(moderation_log.public_entries, Page(limit=40))]


# Each state: how the staff apply it, and what it does (checked before and after).
def apply_silence(db, by, person, post, rule):
    db.run_sync(moderation.silence, by, person, "Flooding", rule, until=None)


def apply_sensitive(db, by, person, post, rule):
    db.run_sync(moderation.sensitize, by, person, "Graphic media", rule)


def apply_mark(db, by, person, post, rule):
    db.run_sync(post_moderation.mark_sensitive, by, [post], "Graphic media", rule)


def apply_trends(db, by, person, post, rule):
    db.run_sync(post_moderation.remove_from_trends, by, post, "Bought boosts", rule)


def apply_label(db, by, person, post, rule):
    # "spam-suspected" hides by default: a label, not a removal, but it narrows reach.
    db.run_sync(instance_labels.label, by, "spam-suspected", "Same link 40 times", status_id=post)


def shown_publicly(db, post: int) -> bool:
    """Whether someone signed out is shown the post on the public timeline (labels applied)."""

    def work(tx):
        ids = public_timelines.public(tx, None, Page(limit=40)).ids
        return post in status_views.load(tx, ids, None, filter_context="public").visible

    return db.run_sync(work)


CASES = {
    "silence": (apply_silence, lambda db, post: post in public_ids(db)),
    "sensitive": (apply_sensitive, lambda db, post: not sensitive(db, post)),
    "mark_statuses_as_sensitive": (apply_mark, lambda db, post: not sensitive(db, post)),
    "remove_from_trends": (apply_trends, lambda db, post: post in trending_ids(db)),
    "label": (apply_label, shown_publicly),
}


def test_every_reach_limit_is_covered():
    assert set(CASES) == set(reach.STATES)


@pytest.mark.parametrize("state", sorted(reach.STATES))
def test_each_reach_limit_is_seen_by_the_person_it_touches(db, scene, state):
    by, person, post, rule = scene
    apply, reaches = CASES[state]
    assert reaches(db, post)  # before: the post reaches as far as it can
    assert db.run_sync(reach.current, person) == []

    apply(db, by, person, post, rule)

    assert not reaches(db, post)  # the state is real ...
    assert told(db, person) == [state]  # ... the person was told ...
    limits = db.run_sync(reach.current, person)
    assert [limit.state for limit in limits] == [state]  # ... it is among what limits them ...
    assert any(a.split(":")[0] == state for a in public_log(db))  # ... and the public log has it

    # Lifting it (as staff would, here through an approved appeal) restores the reach.
    from pnyx.core import appeals

    strike = db.run_sync(account_warnings_of, person)[0]
    appeal = db.run_sync(appeals.submit, person, strike, "Please look again")
    admin = db.run_sync(admin_moderator)
    db.run_sync(appeals.decide, admin, appeal, approve=True)
    assert reaches(db, post)
    assert db.run_sync(reach.current, person) == []
    assert told(db, person) == [state, state]  # the outcome is told too


def account_warnings_of(tx, person):
    return [
        r.id
        for r in tx.rows(
            sa.select(account_warnings.c.id).where(account_warnings.c.target_account_id == person)
        )
    ]


def admin_moderator(tx):
    account_id, _ = accounts.create_local(tx, "ann", "ann@example.com", PASSWORD, role="admin")
    return moderation.staff_member(accounts.user_for_account(tx, account_id))


def test_a_limit_with_an_end_ends_by_itself(db, scene):
    by, person, post, rule = scene
    until = db.run_sync(lambda tx: tx.now) + timedelta(days=3)
    db.run_sync(moderation.silence, by, person, "Flooding", rule, until=until)
    assert post not in public_ids(db)
    [limit] = db.run_sync(reach.current, person)
    assert (limit.state, limit.until) == ("silence", until)
    entry = db.run_sync(moderation_log.public_entries, Page(limit=5))[0]
    assert (entry.action, entry.ends_at) == ("silence", until)
    # Once the end has passed, the state no longer holds anywhere.
    db.run_sync(
        lambda tx: tx.execute(
            sa.text("UPDATE accounts SET silenced_until = :t WHERE id = :i"),
            {"t": until - timedelta(days=10), "i": person},
        )
    )
    assert post in public_ids(db)
    assert db.run_sync(reach.current, person) == []


def test_a_limited_server_is_in_the_public_log_and_the_published_list(db, scene):
    by, _person, _post, _rule = scene
    admin = db.run_sync(admin_moderator)
    far = factories.remote_account(db, "far", "far.example")
    far_post = factories.status(db, far, "from far", local=False)
    assert far_post in public_ids(db)
    db.run_sync(
        moderation.block_domain,
        admin,
        "far.example",
        domain_blocks.BlockInput(severity="silence", public_comment="Spam wave"),
    )
    assert far_post not in public_ids(db)
    [entry] = [
        e
        for e in db.run_sync(moderation_log.public_entries, Page(limit=10))
        if e.action == "domain_block:silence"
    ]
    assert (entry.target_domain, entry.reason) == ("far.example", "Spam wave")
    assert "far.example" in [b.domain for b in db.run_sync(domain_blocks.public_list)]


# --- No other code path --------------------------------------------------------------------

# What holds the states: columns of accounts and the trends removals table.
STATE_WRITES = re.compile(
    r"\b(silenced_at|silenced_until|sensitized_at)\s*=|status_trend_removals\.(insert|delete|update)"
)
# Labels are written by core.labels alone (the instance's through core.instance_labels).
LABEL_WRITES = re.compile(r"\blabels\.(insert|update|delete)\(")
ALLOWED = {SRC / "core" / "reach.py"}


def test_only_core_reach_writes_the_states():
    writers = []
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts or path.parent.name == "tables" or path in ALLOWED:
            continue
        if STATE_WRITES.search(path.read_text()):
            writers.append(str(path.relative_to(SRC)))
    assert writers == []
    # The pattern does find the writes it is meant to find.
    assert STATE_WRITES.search((SRC / "core" / "reach.py").read_text())


def test_only_core_labels_writes_labels():
    writers = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if "migrations" not in path.parts
        and path != SRC / "core" / "labels.py"
        and LABEL_WRITES.search(path.read_text())
    ]
    assert writers == []
    assert LABEL_WRITES.search((SRC / "core" / "labels.py").read_text())
