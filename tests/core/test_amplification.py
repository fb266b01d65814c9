"""Amplification in the open (issue 12): the instance labels a post boosted or favourited within
30 minutes by many accounts that are mostly new, or mostly from one newly seen server, by the
published rule of `core.amplification`; the reason gives the figures, the label is issued once,
and it is only a label: shown by default, a `filtered` result for someone who sets it to warn,
and the post keeps its place in the timelines and the trends.

Rows are written directly with the times the rule reads (a post two hours old, interactions
minutes after it, accounts made days or years before), as the write paths would have stored
them: ids made for their moment, the post's counters kept.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from pnyx import registry
from pnyx.core import accounts as core_accounts
from pnyx.core import amplification, label_rules, labels, status_views, timelines, trends
from pnyx.core.paging import Page
from pnyx.db.ids import new_id
from pnyx.db.tables import accounts, favourites, jobs, label_definitions, statuses
from pnyx.db.tables import labels as label_rows
from pnyx.db.types import utcnow

DOCS = Path(__file__).resolve().parents[2] / "docs" / "moderation.md"
POSTED = timedelta(hours=2)  # how long ago the posts were made: their windows are over


def account(db, name: str, *, domain: str | None = None, age=timedelta(0), stored=None) -> int:
    """An account its server says was created `age` ago, stored here `stored` ago (its id)."""

    def work(tx):
        account_id = new_id(tx.now - stored) if stored is not None else new_id()
        host = domain or "pnyx.test"
        tx.execute(
            accounts.insert().values(
                id=account_id,
                username=name,
                domain=domain,
                uri=f"https://{host}/users/{name}",
                url=f"https://{host}/@{name}",
                fields=[],
                also_known_as=[],
                created_at=tx.now - age,
                updated_at=tx.now,
            )
        )
        return account_id

    return db.run_sync(work)


def accounts_of(db, prefix: str, n: int, **kwargs) -> list[int]:
    return [account(db, f"{prefix}{i}", **kwargs) for i in range(n)]


def post(db, author: int, ago=POSTED) -> int:
    def work(tx):
        at = tx.now - ago
        status_id = new_id(at)
        tx.execute(
            statuses.insert().values(
                id=status_id,
                uri=f"https://pnyx.test/statuses/{status_id}",
                account_id=author,
                text="look",
                content="<p>look</p>",
                visibility="public",
                conversation_id=status_id,
                created_at=at,
            )
        )
        return status_id

    return db.run_sync(work)


def interact(db, status_id: int, who: list[int], after: timedelta, *, boost=False) -> None:
    """Each of `who` favourites (or boosts) the post `after` it was posted."""

    def work(tx):
        posted = tx.scalar(sa.select(statuses.c.created_at).where(statuses.c.id == status_id))
        at = posted + after
        for account_id in who:
            if boost:
                boost_id = new_id(at)
                tx.execute(
                    statuses.insert().values(
                        id=boost_id,
                        uri=f"https://pnyx.test/statuses/{boost_id}",
                        account_id=account_id,
                        reblog_of_id=status_id,
                        visibility="public",
                        conversation_id=boost_id,
                        created_at=at,
                    )
                )
            else:
                tx.execute(
                    favourites.insert().values(
                        id=new_id(at), account_id=account_id, status_id=status_id, created_at=at
                    )
                )
        counter = statuses.c.reblogs_count if boost else statuses.c.favourites_count
        tx.execute(
            statuses.update()
            .where(statuses.c.id == status_id)
            .values({counter: counter + len(who)})
        )

    db.run_sync(work)


def label_recent(db) -> int:
    return db.run_sync(amplification.label_recent)


def instance_labels_on(db, status_id: int) -> list:
    return db.run_sync(
        lambda tx: tx.rows(
            sa.select(label_rows).where(
                label_rows.c.status_id == status_id,
                label_rows.c.value == amplification.VALUE,
            )
        )
    )


@pytest.fixture
def author(db) -> int:
    return account(db, "author", age=timedelta(days=400))


def test_favourited_by_accounts_made_yesterday_is_labeled_with_its_figures(db, author):
    status_id = post(db, author)
    interact(db, status_id, accounts_of(db, "new", 12, age=timedelta(days=1)), timedelta(minutes=5))
    interact(
        db, status_id, accounts_of(db, "old", 3, age=timedelta(days=900)), timedelta(minutes=9)
    )

    assert label_recent(db) == 1
    [label] = instance_labels_on(db, status_id)
    assert label.labeler_account_id == db.run_sync(labels.instance_labeler_id)
    assert label.neg is False
    assert label.reason == (
        "12 of 15 accounts that boosted or favourited it within 30 minutes of posting"
        " were created in the 7 days before it"
    )
    found = db.run_sync(amplification.assess, status_id)
    assert (found.accounts, found.new_accounts, found.clauses) == (15, 12, ("new-accounts",))
    assert found.window_over and amplification.NEW_PERCENT * 15 <= 12 * 100


def test_favourited_by_old_accounts_is_not_labeled(db, author):
    status_id = post(db, author)
    interact(
        db, status_id, accounts_of(db, "old", 12, age=timedelta(days=365)), timedelta(minutes=3)
    )

    assert label_recent(db) == 0
    assert instance_labels_on(db, status_id) == []
    found = db.run_sync(amplification.assess, status_id)
    assert (found.accounts, found.new_accounts, found.clauses) == (12, 0, ())


def test_boosted_mostly_from_one_newly_seen_server_is_labeled(db, author):
    """Its accounts claim to be years old; the server was first seen here today."""
    status_id = post(db, author)
    fresh = accounts_of(db, "p", 9, domain="fresh.example", age=timedelta(days=2000))
    settled = accounts_of(db, "o", 4, age=timedelta(days=500))
    interact(db, status_id, fresh, timedelta(minutes=12), boost=True)
    assert db.run_sync(amplification.assess, status_id).clauses == ()  # all of them, but 9 < 10
    interact(db, status_id, settled, timedelta(minutes=20), boost=True)
    interact(db, status_id, [account(db, "p9", domain="fresh.example")], timedelta(minutes=25))

    assert label_recent(db) == 1
    [label] = instance_labels_on(db, status_id)
    assert label.reason == (
        "10 of 14 accounts that boosted or favourited it within 30 minutes of posting are from"
        " fresh.example, a server first seen here in the 7 days before it"
    )
    found = db.run_sync(amplification.assess, status_id)
    assert (found.server, found.server_accounts, found.clauses) == (
        "fresh.example",
        10,
        ("new-server",),
    )


def test_a_server_known_for_long_is_not_a_new_server(db, author):
    status_id = post(db, author)
    # The first account of known.example was stored here a year ago.
    account(
        db, "first", domain="known.example", age=timedelta(days=400), stored=timedelta(days=365)
    )
    known = accounts_of(db, "k", 12, domain="known.example", age=timedelta(days=300))
    interact(db, status_id, known, timedelta(minutes=4), boost=True)

    assert label_recent(db) == 0
    found = db.run_sync(amplification.assess, status_id)
    assert (found.server, found.server_accounts, found.clauses) == ("known.example", 12, ())
    assert found.server_first_seen is not None
    assert found.server_first_seen < found.posted_at - timedelta(days=amplification.NEW_DAYS)


def test_interactions_after_the_window_do_not_count(db, author):
    status_id = post(db, author)
    interact(
        db, status_id, accounts_of(db, "early", 6, age=timedelta(days=1)), timedelta(minutes=29)
    )
    interact(
        db, status_id, accounts_of(db, "late", 8, age=timedelta(days=1)), timedelta(minutes=31)
    )

    assert label_recent(db) == 0
    found = db.run_sync(amplification.assess, status_id)
    assert (found.accounts, found.new_accounts, found.clauses) == (6, 6, ())


def test_the_authors_own_boost_and_one_account_twice_count_once_or_not_at_all(db, author):
    status_id = post(db, author)
    fans = accounts_of(db, "fan", 9, age=timedelta(days=2))
    interact(db, status_id, fans, timedelta(minutes=1))
    interact(db, status_id, fans, timedelta(minutes=2), boost=True)
    interact(db, status_id, [author], timedelta(minutes=2), boost=True)

    assert label_recent(db) == 0
    assert db.run_sync(amplification.assess, status_id).accounts == 9


def test_a_post_whose_window_is_not_over_waits(db, author):
    status_id = post(db, author, ago=timedelta(minutes=10))
    interact(db, status_id, accounts_of(db, "new", 12, age=timedelta(days=1)), timedelta(minutes=1))

    assert label_recent(db) == 0
    found = db.run_sync(amplification.assess, status_id)
    assert found.matches and not found.window_over


def test_running_again_labels_nothing_twice_and_a_label_taken_back_stays_back(db, author):
    status_id = post(db, author)
    interact(db, status_id, accounts_of(db, "new", 12, age=timedelta(days=1)), timedelta(minutes=5))
    assert label_recent(db) == 1
    assert label_recent(db) == 0
    assert len(instance_labels_on(db, status_id)) == 1

    def take_back(tx):
        uri = tx.scalar(sa.select(statuses.c.uri).where(statuses.c.id == status_id))
        labeler = labels.instance_labeler(tx)
        labels.issue(tx, labeler, labels.LabelInput(uri, amplification.VALUE, neg=True))

    db.run_sync(take_back)
    assert label_recent(db) == 0
    [label] = instance_labels_on(db, status_id)
    assert label.neg is True


def test_the_label_is_shown_filters_only_when_set_to_warn_and_moves_nothing(db, author):
    viewer, _ = db.run_sync(
        lambda tx: core_accounts.create_local(tx, "reader", "r@example.com", "a long password")
    )
    before_it = post(db, author, ago=POSTED + timedelta(minutes=1))
    status_id = post(db, author)
    after_it = post(db, author, ago=POSTED - timedelta(minutes=1))
    interact(db, before_it, accounts_of(db, "o", 10, age=timedelta(days=99)), timedelta(minutes=1))
    interact(db, status_id, accounts_of(db, "n", 12, age=timedelta(days=1)), timedelta(minutes=5))

    def public_ids(tx):
        return list(timelines.public(tx, viewer, Page(limit=20)).ids)

    def trending_ids(tx):
        return [t.status_id for t in trends.status_trends(tx)]

    def matches(tx):
        bundle = status_views.load(tx, [status_id], viewer, filter_context="home")
        assert bundle.visible == [status_id]
        return bundle.filter_matches.get(status_id, ())

    timeline = db.run_sync(public_ids, write=False)
    trending = db.run_sync(trending_ids, write=False)
    assert timeline == [after_it, status_id, before_it]
    assert label_recent(db) == 1

    assert db.run_sync(public_ids, write=False) == timeline
    assert db.run_sync(trending_ids, write=False) == trending
    assert db.run_sync(matches, write=False) == ()  # severity inform, shown by default
    labeler = db.run_sync(labels.instance_labeler_id)
    [badge] = db.run_sync(
        lambda tx: label_rules.badges(tx, label_rules.rules_of(tx, viewer), [status_id], [author])
    )
    assert (badge.row.value, badge.setting) == (amplification.VALUE, "show")

    db.run_sync(labels.set_setting, viewer, labeler, amplification.VALUE, "warn")
    [match] = db.run_sync(matches, write=False)
    assert match.filter.action == "warn"
    assert match.filter.title == "Label: coordinated-amplification (by @moderation)"
    assert db.run_sync(public_ids, write=False) == timeline


def test_the_job_runs_every_five_minutes_and_labels(db, author):
    status_id = post(db, author)
    interact(db, status_id, accounts_of(db, "new", 12, age=timedelta(days=1)), timedelta(minutes=5))
    db.run_sync(amplification.schedule)
    db.run_sync(amplification.schedule)  # another process starting: still one run

    def queued(tx):
        return tx.rows(sa.select(jobs).where(jobs.c.kind == amplification.LABEL_JOB))

    assert len(db.run_sync(queued)) == 1
    registry.drain(db)
    assert len(instance_labels_on(db, status_id)) == 1
    [following] = db.run_sync(queued)
    assert utcnow() < following.run_at <= utcnow() + amplification.INTERVAL


def test_a_labeler_made_before_gets_the_new_definition_and_keeps_its_own(db):
    def as_an_older_version_left_it(tx):
        labeler = labels.instance_labeler(tx)
        tx.execute(
            label_definitions.delete().where(
                label_definitions.c.labeler_account_id == labeler,
                label_definitions.c.value == amplification.VALUE,
            )
        )
        tx.execute(
            label_definitions.update()
            .where(
                label_definitions.c.labeler_account_id == labeler,
                label_definitions.c.value == "satire",
            )
            .values(default_setting="warn", locales=[{"lang": "en", "name": "Ours"}])
        )
        return labeler

    labeler = db.run_sync(as_an_older_version_left_it)
    assert db.run_sync(labels.instance_labeler) == labeler  # as at start-up
    found = {row.value: row for row in db.run_sync(labels.definitions_of, labeler)}
    assert set(found) == {d.value for d in labels.INSTANCE_DEFINITIONS}
    added = found[amplification.VALUE]
    assert (added.severity, added.default_setting) == ("inform", "show")
    assert added.locales[0]["name"] == "Coordinated amplification"
    assert (found["satire"].default_setting, found["satire"].locales[0]["name"]) == ("warn", "Ours")


def test_the_published_rule_states_the_numbers_the_code_applies():
    [definition] = [d for d in labels.INSTANCE_DEFINITIONS if d.value == amplification.VALUE]
    description = definition.locales[0]["description"]
    minutes = int(amplification.WINDOW.total_seconds() // 60)
    docs = DOCS.read_text(encoding="utf-8")
    for text in (description, docs.replace("*", ""), amplification.__doc__ or ""):
        assert f"{minutes} minutes" in text
        assert f"{amplification.MIN_ACCOUNTS} " in text
        assert f"{amplification.NEW_PERCENT}%" in text
        assert f"{amplification.SERVER_PERCENT}%" in text
        assert f"{amplification.NEW_DAYS} days" in text
    assert amplification.NEW_PERCENT == amplification.SERVER_PERCENT  # the description says one
    assert (definition.severity, definition.default_setting) == ("inform", "show")
