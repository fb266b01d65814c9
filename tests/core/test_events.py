"""Events keep what happened across the queue: every type comes back from its stored row as
it was recorded, and rows queued by the former outbox (before events) still read as events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from pnyx.core import events
from pnyx.db.tables import jobs

PUBLISHED = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)

ONE_OF_EACH = [
    events.StatusCreated(1),
    events.StatusEdited(2),
    events.StatusDeleted(
        3, "https://pnyx.test/users/a/statuses/3", "private", False, (7, 8), 9, status_id=14
    ),
    events.StatusBoosted(4),
    events.BoostUndone(
        5, 6, "https://pnyx.test/users/a/statuses/4/activity", "public", PUBLISHED, boost_id=15
    ),
    events.StatusFavourited(5, 6, "https://pnyx.test/users/a/likes/1"),
    events.FavouriteUndone(5, 6, None),
    events.PollVoted(5, 10, (0, 2)),
    events.PollCountsChanged(11),
    events.PollClosed(12),
    events.FollowRequested(5, 6, "https://pnyx.test/users/a/follows/1"),
    events.FollowUndone(5, 6, None),
    events.FollowAccepted(5, 6, "https://else.example/follows/1"),
    events.FollowRejected(5, 6, None),
    events.AccountBlocked(5, 6, "https://pnyx.test/users/a/blocks/1"),
    events.BlockUndone(5, 6, None),
    events.AccountUpdated(5),
    events.MentionsResolved(1, edited=True),
    events.AccountMoved(5, 6, tell_other_servers=False),
    events.AccountMovedOut(5, 6, 7),
    events.ReportFiled(13),
    events.NotificationCreated(16, 5),
    events.FiltersChanged(5),
    events.AnnouncementPublished(17),
    events.AnnouncementWithdrawn(17),
    events.AnnouncementReacted(17, "👍"),
    events.AccountRegistered(17),
    events.AccountWarned(18),
    events.LabelIssued(17, 22),
    events.LabelerSubscribed(17),
    events.LabelerUnsubscribed(18),
    events.ModerationListChanged(19, 20, True),
    events.NoteWritten(21),
    events.NoteDeleted(21, "https://pnyx.test/notes/21"),
    events.NoteRated(22),
    events.NoteRatingRemoved("https://pnyx.test/notes/21/ratings/22"),
    events.NoteStatusChanged(21, "CURRENTLY_RATED_HELPFUL", "NEEDS_MORE_RATINGS"),
    events.RelationshipsSevered(19),
    events.QuoteRequested(17),
    events.QuoteAccepted(18, tell_other_servers=False),
    events.QuoteRejected(19),
    events.QuoteRevoked(20),
    events.QuoteTermsChanged(21),
    events.AccountMuted(5, 6),
    events.AccountUnmuted(5, 6),
    events.ListMembersChanged(22, 5, (6, 7), added=True),
    events.TagFollowChanged(5, 23, followed=False),
]


def test_the_list_above_has_one_event_of_each_type():
    assert {type(e) for e in ONE_OF_EACH} == set(events.EVENT_TYPES.values())


def test_every_event_comes_back_from_its_job_row_as_recorded(db):
    def record_all(tx):
        for event in ONE_OF_EACH:
            events.enqueue_job(tx, event)  # the row `record` writes for handlers after commit

    db.run_sync(record_all)
    payloads = db.run_sync(
        lambda tx: tx.scalars(
            sa.select(jobs.c.payload).where(jobs.c.kind == events.EVENT_JOB).order_by(jobs.c.id)
        )
    )
    assert [events.decode(p) for p in payloads] == ONE_OF_EACH


def test_a_coalesced_event_waits_and_folds_the_next_ones_into_it(db):
    def vote_counts(tx, status_id):
        events.record(
            tx, events.PollCountsChanged(status_id), coalesce="poll:1", delay=timedelta(seconds=30)
        )

    for _ in range(3):
        db.run_sync(vote_counts, 11)
    rows = db.run_sync(
        lambda tx: tx.rows(sa.select(jobs.c.payload, jobs.c.run_at, jobs.c.created_at))
    )
    assert len(rows) == 1
    assert rows[0].run_at > rows[0].created_at


OUTBOX_ROWS = [
    ({"kind": "create", "status_id": 1}, events.StatusCreated(1)),
    ({"kind": "update", "status_id": 2}, events.StatusEdited(2)),
    (
        {
            "kind": "delete",
            "account_id": 3,
            "uri": "https://pnyx.test/users/a/statuses/3",
            "visibility": "private",
            "reblog": False,
            "mentioned_account_ids": [7, 8],
            "in_reply_to_account_id": 9,
        },
        events.StatusDeleted(
            3, "https://pnyx.test/users/a/statuses/3", "private", False, (7, 8), 9
        ),
    ),
    ({"kind": "announce", "status_id": 4}, events.StatusBoosted(4)),
    (
        {
            "kind": "undo_announce",
            "account_id": 5,
            "status_id": 6,
            "uri": "https://pnyx.test/users/a/statuses/4/activity",
            "visibility": "public",
            "published": PUBLISHED.isoformat(),
        },
        events.BoostUndone(
            5, 6, "https://pnyx.test/users/a/statuses/4/activity", "public", PUBLISHED
        ),
    ),
    (
        {"kind": "like", "account_id": 5, "status_id": 6, "uri": "https://pnyx.test/l/1"},
        events.StatusFavourited(5, 6, "https://pnyx.test/l/1"),
    ),
    (
        {"kind": "undo_like", "account_id": 5, "status_id": 6, "uri": None},
        events.FavouriteUndone(5, 6, None),
    ),
    (
        {"kind": "vote", "account_id": 5, "poll_id": 10, "choices": [0, 2]},
        events.PollVoted(5, 10, (0, 2)),
    ),
    (
        {"kind": "follow", "follower_id": 5, "target_id": 6, "uri": "https://pnyx.test/f/1"},
        events.FollowRequested(5, 6, "https://pnyx.test/f/1"),
    ),
    (
        {"kind": "undo_follow", "follower_id": 5, "target_id": 6, "uri": None},
        events.FollowUndone(5, 6, None),
    ),
    (
        {"kind": "accept_follow", "follower_id": 5, "target_id": 6, "uri": "https://e.example/1"},
        events.FollowAccepted(5, 6, "https://e.example/1"),
    ),
    (
        {"kind": "reject_follow", "follower_id": 5, "target_id": 6, "uri": None},
        events.FollowRejected(5, 6, None),
    ),
    (
        {"kind": "block", "account_id": 5, "target_id": 6, "uri": "https://pnyx.test/b/1"},
        events.AccountBlocked(5, 6, "https://pnyx.test/b/1"),
    ),
    (
        {"kind": "undo_block", "account_id": 5, "target_id": 6, "uri": None},
        events.BlockUndone(5, 6, None),
    ),
    ({"kind": "update_actor", "account_id": 5}, events.AccountUpdated(5)),
]


@pytest.mark.parametrize(("payload", "event"), OUTBOX_ROWS, ids=[p["kind"] for p, _ in OUTBOX_ROWS])
def test_a_row_of_the_former_outbox_reads_as_its_event(payload, event):
    assert events.from_outbox_payload(payload) == event
    assert events.decode(payload) == event


@pytest.mark.parametrize(
    "payload",
    [
        {"event": "SomethingFromALaterVersion", "id": 1},
        {"event": "StatusCreated"},  # its status_id is missing
        {
            "event": "BoostUndone",
            "account_id": 1,
            "status_id": 2,
            "uri": "u",
            "visibility": "public",
            "published": "not a date",
        },
        {"kind": "teleport", "account_id": 1},
        {"kind": "create"},
        {"kind": ["create"]},
        {"event": {"name": "StatusCreated"}},
        {},
        None,
        [1, 2],
    ],
)
def test_a_row_no_event_matches_reads_as_nothing(payload):
    assert events.decode(payload) is None
