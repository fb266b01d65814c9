"""An account deleted at its origin: hidden at once, then erased, counters kept right."""

from __future__ import annotations

import sqlalchemy as sa

import factories
from pnyx import registry
from pnyx.core import erasure, interactions, polls, remote_store
from pnyx.core import follows as core_follows
from pnyx.core import statuses as core_statuses
from pnyx.core.remote_store import IncomingStatus
from pnyx.db.tables import accounts, favourites, jobs, notifications, statuses

R = "https://remote.example/users/rita"


def counts(db, status_id: int) -> tuple[int, int, int]:
    row = db.run_sync(
        lambda tx: tx.one_or_none(sa.select(statuses).where(statuses.c.id == status_id))
    )
    return row.replies_count, row.reblogs_count, row.favourites_count


def account(db, account_id: int):
    return db.run_sync(
        lambda tx: tx.one_or_none(sa.select(accounts).where(accounts.c.id == account_id))
    )


def test_a_deleted_remote_account_is_hidden_then_erased_with_what_it_did(db, make_user):
    rita = factories.remote_account(db, "rita", "remote.example")
    ann = make_user("ann").account_id
    post = db.run_sync(core_statuses.create, ann, core_statuses.StatusInput(text="hello all"))
    post_uri = db.run_sync(
        lambda tx: tx.scalar(sa.select(statuses.c.uri).where(statuses.c.id == post))
    )

    def rita_acts(tx):
        reply = remote_store.store_status(
            tx,
            rita,
            IncomingStatus(
                uri=f"{R}/statuses/1",
                content="<p>hi ann</p>",
                visibility="public",
                in_reply_to_uri=post_uri,
            ),
        )
        interactions.favourite(tx, rita, post, uri=f"{R}/likes/1")
        interactions.reblog(tx, rita, post, uri=f"{R}/boosts/1")
        core_follows.follow(tx, rita, ann, uri=f"{R}/follows/1")
        return reply

    reply = db.run_sync(rita_acts)
    question = db.run_sync(
        core_statuses.create,
        ann,
        core_statuses.StatusInput(text="tea?", poll=core_statuses.PollInput(["yes", "no"], 3600)),
    )
    poll = db.run_sync(polls.for_status, question)
    db.run_sync(polls.vote, rita, poll.id, [1], uri=f"{R}/votes/1")
    db.run_sync(interactions.reblog, ann, reply)  # Ann boosts Rita's reply
    assert counts(db, post) == (1, 1, 1)
    assert account(db, ann).followers_count == 1 and account(db, ann).statuses_count == 3
    db.run_sync(lambda tx: tx.execute(jobs.delete()))  # deliveries: not what this is about

    db.run_sync(erasure.erase_remote_account, rita)
    assert account(db, rita).suspended_at is not None  # hidden at once
    registry.drain(db)

    assert account(db, rita) is None
    assert counts(db, post) == (0, 0, 0)
    ann_row = account(db, ann)
    assert ann_row.followers_count == 0 and ann_row.statuses_count == 2  # her boost went too
    counted = db.run_sync(polls.get, poll.id)
    assert (counted.tallies, counted.votes_count, counted.voters_count) == ([0, 0], 0, 0)
    left = db.run_sync(
        lambda tx: (
            list(
                tx.scalars(sa.select(statuses.c.id).where(statuses.c.id.not_in([post, question])))
            ),
            list(tx.scalars(sa.select(favourites.c.id))),
            list(tx.scalars(sa.select(notifications.c.id))),
        )
    )
    assert left == ([], [], [])


def test_erasing_goes_in_batches_and_spares_local_and_restored_accounts(db, make_user):
    rita = factories.remote_account(db, "rita", "remote.example")
    for n in range(3):
        factories.status(db, rita, f"post {n}", local=False)
    db.run_sync(erasure.erase_remote_account, rita)
    rounds = 0
    while not db.run_sync(erasure.erase_some, rita, limit=2):
        rounds += 1
    assert rounds == 2 and account(db, rita) is None  # 2 posts, 1 post, then the account

    # The job leaves alone a local account, and one no longer marked as deleted.
    ann = make_user("ann").account_id
    db.run_sync(erasure.erase_job, {"account_id": ann})
    assert account(db, ann) is not None
    zed = factories.remote_account(db, "zed", "remote.example")
    db.run_sync(erasure.erase_remote_account, zed)
    db.run_sync(
        lambda tx: tx.execute(
            accounts.update()
            .where(accounts.c.id == zed)
            .values(suspended_at=None, suspension_reason=None)
        )
    )
    registry.drain(db)
    assert account(db, zed) is not None
