"""Polls: creation with their post, voting, and closing at expiry through a durable job.

Tallies live on the poll row (one number per option) and move in the same transaction as the
vote, so showing a poll never counts votes. Closing is a job scheduled for the expiry time:
it survives restarts, and running it twice notifies nobody twice (it only acts while the poll
is still open).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from pnyx.core import accounts as core_accounts
from pnyx.core import custom_emojis, events, visibility
from pnyx.core.errors import Invalid, NotFound
from pnyx.core.rows import PollRow
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.tables import accounts, poll_votes, polls, statuses
from pnyx.jobs.queue import enqueue

CLOSE_JOB = "poll.close"


def for_status(tx: Tx, status_id: int) -> PollRow | None:
    return tx.one_or_none(sa.select(polls).where(polls.c.status_id == status_id))


def get(tx: Tx, poll_id: int, *, for_update: bool = False) -> PollRow | None:
    query = sa.select(polls).where(polls.c.id == poll_id)
    if for_update and tx.is_postgres:
        query = query.with_for_update()
    return tx.one_or_none(query)


def schedule_close(tx: Tx, poll_id: int, expires_at: datetime) -> None:
    """One job per (poll, expiry): moving the expiry schedules a new one; the old one no-ops."""
    enqueue(
        tx,
        CLOSE_JOB,
        {"poll_id": str(poll_id)},
        run_at=expires_at,
        unique_key=f"{CLOSE_JOB}:{poll_id}:{int(expires_at.timestamp())}",
    )


def create(
    tx: Tx,
    status_id: int,
    account_id: int,
    options: list[str],
    *,
    expires_in: int,
    multiple: bool = False,
    hide_totals: bool = False,
) -> int:
    """Options must already be validated (core.statuses.validate_poll)."""
    poll_id = new_id()
    expires_at = tx.now + timedelta(seconds=expires_in)
    tx.execute(
        polls.insert().values(
            id=poll_id,
            status_id=status_id,
            account_id=account_id,
            options=list(options),
            tallies=[0] * len(options),
            multiple=bool(multiple),
            hide_totals=bool(hide_totals),
            expires_at=expires_at,
            created_at=tx.now,
        )
    )
    schedule_close(tx, poll_id, expires_at)
    return poll_id


def update(
    tx: Tx,
    poll: PollRow,
    options: list[str],
    *,
    expires_in: int | None,
    multiple: bool = False,
    hide_totals: bool = False,
) -> None:
    """An edited poll. New options or a new kind (single/multiple) start the voting over.

    `expires_in` None keeps the current end, to the microsecond; only a poll still running
    has one to keep (one that ended meanwhile needs a new duration)."""
    if expires_in is not None:
        expires_at = tx.now + timedelta(seconds=expires_in)
    elif poll.expires_at is not None and not is_expired(poll, tx.now):
        expires_at = poll.expires_at
    else:
        raise Invalid("Poll expires at is too soon")
    values: dict[str, Any] = {
        "expires_at": expires_at,
        "closed_at": None,
        "hide_totals": bool(hide_totals),
        "multiple": bool(multiple),
    }
    if list(poll.options) != list(options) or bool(poll.multiple) != bool(multiple):
        tx.execute(poll_votes.delete().where(poll_votes.c.poll_id == poll.id))
        values.update(
            options=list(options), tallies=[0] * len(options), votes_count=0, voters_count=0
        )
    tx.execute(polls.update().where(polls.c.id == poll.id).values(**values))
    schedule_close(tx, poll.id, expires_at)


def remove(tx: Tx, poll_id: int) -> None:
    tx.execute(polls.delete().where(polls.c.id == poll_id))


def is_expired(poll: PollRow, now: datetime) -> bool:
    return poll.closed_at is not None or (poll.expires_at is not None and poll.expires_at <= now)


def own_votes(tx: Tx, poll_id: int, account_id: int | None) -> list[int]:
    if account_id is None:
        return []
    return sorted(
        tx.scalars(
            sa.select(poll_votes.c.choice).where(
                poll_votes.c.poll_id == poll_id, poll_votes.c.account_id == account_id
            )
        )
    )


def visible_poll(tx: Tx, viewer_id: int | None, poll_id: int) -> PollRow:
    """The poll if the viewer may see the post it belongs to; otherwise NotFound."""
    poll = get(tx, poll_id)
    if poll is None:
        raise NotFound()
    status = tx.one_or_none(sa.select(statuses).where(statuses.c.id == poll.status_id))
    if status is None or not visibility.may_see_one(tx, viewer_id, status):
        raise NotFound()
    return poll


def option_emojis(tx: Tx, poll: PollRow) -> list[dict[str, Any]]:
    """The `emojis` of a poll shown alone: the custom emojis its options name, of its author's
    server, as inside its status (`core.status_views`). No query when they name none."""
    if not custom_emojis.shortcodes_in(*poll.options):
        return []
    domain = tx.scalar(sa.select(accounts.c.domain).where(accounts.c.id == poll.account_id))
    return custom_emojis.in_texts(tx, domain, poll.options)


def has_voted(tx: Tx, poll: PollRow, account_id: int) -> bool:
    if poll.account_id == account_id:
        return True  # as Mastodon: the author counts as having voted
    return bool(
        tx.scalar(
            sa.select(sa.literal(1)).where(
                poll_votes.c.poll_id == poll.id, poll_votes.c.account_id == account_id
            )
        )
    )


def vote_counted(tx: Tx, poll_id: int, vote_uri: str) -> bool:
    """Whether the vote another server sent as `vote_uri` is already counted in this poll."""
    return (
        tx.scalar(
            sa.select(poll_votes.c.id).where(
                poll_votes.c.poll_id == poll_id, poll_votes.c.uri == vote_uri
            )
        )
        is not None
    )


def vote(
    tx: Tx, account_id: int, poll_id: int, choices: list[int], *, uri: str | None = None
) -> None:
    """One vote per account: one choice, or several on a multiple-choice poll. `uri` is the
    vote's ActivityPub id when it comes from another server."""
    visible_poll(tx, account_id, poll_id)
    poll = get(tx, poll_id, for_update=True)
    if poll is None:  # deleted with its post since visible_poll read it (read committed)
        raise NotFound()
    if is_expired(poll, tx.now):
        raise Invalid("The poll has already ended")
    if poll.account_id == account_id:
        raise Invalid("You cannot vote in your own polls")
    if has_voted(tx, poll, account_id):
        raise Invalid("You have already voted on this poll")
    if not choices:
        raise Invalid("Choices can't be blank")
    unique = sorted(set(choices))
    if any(c < 0 or c >= len(poll.options) for c in unique):
        raise Invalid("The chosen vote option does not exist")
    if len(unique) > 1 and not poll.multiple:
        raise Invalid("You can only choose one option in this poll")
    tallies = list(poll.tallies)
    for choice in unique:
        tx.execute(
            poll_votes.insert().values(
                id=new_id(),
                poll_id=poll.id,
                account_id=account_id,
                choice=choice,
                uri=uri,
                created_at=tx.now,
            )
        )
        tallies[choice] += 1
    tx.execute(
        polls.update()
        .where(polls.c.id == poll.id)
        .values(
            tallies=tallies,
            votes_count=polls.c.votes_count + len(unique),
            voters_count=polls.c.voters_count + 1,
        )
    )
    if uri is None and not core_accounts.is_local(tx, poll.account_id):
        events.record(tx, events.PollVoted(account_id, poll.id, tuple(unique)))
    elif core_accounts.is_local(tx, poll.account_id):
        # Other servers show the counts too: send them the poll as it stands, once the votes
        # of the next half minute are in.
        events.record(
            tx,
            events.PollCountsChanged(poll.status_id),
            coalesce=f"poll:{poll.id}",
            delay=POLL_UPDATE_DELAY,
        )


# Votes in a row are sent to other servers as one update of the poll, this long after the first.
POLL_UPDATE_DELAY = timedelta(seconds=30)


def close(tx: Tx, poll_id: int, *, closed_at: datetime | None = None) -> bool:
    """Close a poll whose time is up and tell its voters (local ones) and author (if local).
    False: nothing to do. `closed_at`: a remote poll's server says it has closed then.

    A remote poll is closed by whichever comes first, the job at its expiry or its server's
    Update saying it closed; the other finds it closed and does nothing, so nobody is told
    twice.
    """
    poll = get(tx, poll_id, for_update=True)
    if poll is None or poll.closed_at is not None:
        return False
    if closed_at is None and poll.expires_at is not None and poll.expires_at > tx.now:
        return False  # the expiry moved (edit): the job for the new time will close it
    tx.execute(polls.update().where(polls.c.id == poll.id).values(closed_at=closed_at or tx.now))
    # Its voters here (and its author, if here) are told by `core.notify`; other servers
    # hear of a local poll's end from its author.
    author_is_local = core_accounts.is_local(tx, poll.account_id)
    events.record(tx, events.PollClosed(poll.status_id, tell_other_servers=author_is_local))
    return True


def close_job(tx: Tx, payload: dict[str, Any]) -> None:
    """The durable expiry job; a poll deleted in the meantime is simply gone."""
    try:
        poll_id = int(payload["poll_id"])
    except (KeyError, TypeError, ValueError):
        return
    close(tx, poll_id)
