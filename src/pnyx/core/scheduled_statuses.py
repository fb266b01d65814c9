"""Posts scheduled for later: kept as asked, published at their time through the one write path.

As Mastodon: `scheduled_at` must be at least five minutes ahead (a time already past posts at
once, which is the caller's choice: `statuses.create`); an account keeps at most 300 scheduled
posts, and 50 for any one (UTC) day. The post is checked when it is scheduled (text, poll,
visibility, media), so that a mistake is told at once rather than lost at publication; the
media it will carry are reserved for it (`media_attachments.scheduled_status_id`) and stay the
author's to describe, but may not be deleted or given to another post meanwhile.

Publication is a durable job (`PUBLISH_JOB`, run at `scheduled_at`) that, in one transaction,
deletes the scheduled row, frees its media and calls `statuses.create`: a retried or repeated
job finds no row and does nothing, and of two jobs running at once (a post moved, both due)
only the one whose DELETE removed the row publishes, so a post is never published twice. Moving the time
enqueues a new job; a job that finds its post not yet due (it was moved later) leaves it to
the newer one.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from pnyx.core import media, statuses, visibility
from pnyx.core.errors import Invalid, NotFound
from pnyx.core.paging import Page, fetch
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.tables import accounts, media_attachments, scheduled_statuses
from pnyx.jobs.queue import enqueue

PUBLISH_JOB = "scheduled_status.publish"
MINIMUM_OFFSET = timedelta(minutes=5)
TOTAL_LIMIT = 300
DAILY_LIMIT = 50
TOO_SOON = "Scheduled at The scheduled date must be in the future"
OVER_TOTAL = f"You have exceeded the limit of {TOTAL_LIMIT} scheduled posts"
OVER_DAILY = f"You have exceeded the limit of {DAILY_LIMIT} scheduled posts for today"


def is_due_now(tx: Tx, scheduled_at: datetime | None) -> bool:
    """A post given a time already past is posted at once, as Mastodon does."""
    return scheduled_at is None or scheduled_at <= tx.now


# Mastodon sets no bound; dates near the end of the calendar break date arithmetic, and a post
# scheduled for a century later is a mistake.
MAXIMUM_AHEAD = timedelta(days=3660)
TOO_FAR = "Scheduled at must be within ten years"


def _check_time(tx: Tx, account_id: int, scheduled_at: datetime, exclude: int | None) -> None:
    if scheduled_at < tx.now + MINIMUM_OFFSET:
        raise Invalid(TOO_SOON)
    if scheduled_at > tx.now + MAXIMUM_AHEAD:
        raise Invalid(TOO_FAR)
    mine = scheduled_statuses.c.account_id == account_id
    if exclude is not None:
        mine = sa.and_(mine, scheduled_statuses.c.id != exclude)
    total = tx.scalar(sa.select(sa.func.count()).select_from(scheduled_statuses).where(mine))
    if (total or 0) >= TOTAL_LIMIT:
        raise Invalid(OVER_TOTAL)
    day = scheduled_at.replace(hour=0, minute=0, second=0, microsecond=0)
    same_day = tx.scalar(
        sa.select(sa.func.count())
        .select_from(scheduled_statuses)
        .where(
            mine,
            scheduled_statuses.c.scheduled_at >= day,
            scheduled_statuses.c.scheduled_at < day + timedelta(days=1),
        )
    )
    if (same_day or 0) >= DAILY_LIMIT:
        raise Invalid(OVER_DAILY)


def _params(data: statuses.StatusInput, media_ids: list[str]) -> dict[str, Any]:
    """What the post will be, as Mastodon's ScheduledStatus `params` show it."""
    poll = asdict(data.poll) if data.poll is not None else None
    if poll is not None:
        poll.pop("keep_end", None)
    return {
        "text": data.text,
        "poll": poll,
        "media_ids": media_ids or None,
        "sensitive": data.sensitive,
        "spoiler_text": data.spoiler_text or None,
        "visibility": data.visibility,
        "language": data.language,
        "in_reply_to_id": str(data.in_reply_to_id) if data.in_reply_to_id else None,
        "application_id": data.application_id,
        "quoted_status_id": str(data.quoted_status_id) if data.quoted_status_id else None,
        "quote_approval_policy": data.quote_policy,
        "idempotency": data.idempotency_key,
        "scheduled_at": None,
        "with_rate_limit": False,
    }


def _input(params: dict[str, Any]) -> statuses.StatusInput:
    poll = params.get("poll")
    reply = params.get("in_reply_to_id")
    quoted = params.get("quoted_status_id")
    return statuses.StatusInput(
        text=params.get("text") or "",
        spoiler_text=params.get("spoiler_text") or "",
        sensitive=params.get("sensitive"),
        language=params.get("language"),
        poll=statuses.PollInput(**poll) if poll else None,
        media_ids=params.get("media_ids") or [],
        visibility=params.get("visibility"),
        in_reply_to_id=int(reply) if reply else None,
        application_id=params.get("application_id"),
        quoted_status_id=int(quoted) if quoted else None,
        quote_policy=params.get("quote_approval_policy"),
    )


def schedule(tx: Tx, account_id: int, data: statuses.StatusInput, scheduled_at: datetime) -> int:
    """Keep a post to publish at `scheduled_at`; returns the scheduled post's id. The same
    Idempotency-Key again within the hour answers with the first one."""
    if data.idempotency_key:
        again = tx.scalar(
            sa.select(scheduled_statuses.c.id).where(
                scheduled_statuses.c.account_id == account_id,
                scheduled_statuses.c.params["idempotency"].as_string() == data.idempotency_key,
                scheduled_statuses.c.created_at > tx.now - statuses.IDEMPOTENCY_WINDOW,
            )
        )
        if again is not None:
            return int(again)
    author = tx.one_or_none(sa.select(accounts).where(accounts.c.id == account_id))
    if author is None or author.suspended_at is not None:
        raise NotFound()
    _check_time(tx, account_id, scheduled_at, None)
    attached = media.for_post(tx, account_id, data.media_ids or [])
    statuses.validate_content(tx, data, has_media=bool(attached))
    if data.poll is not None and data.poll.expires_in is None:
        raise Invalid("Poll expires at can't be blank")
    if data.visibility and data.visibility not in visibility.VISIBILITIES:
        raise Invalid("Visibility is not included in the list")
    if data.in_reply_to_id is not None:
        statuses.visible_row(tx, account_id, data.in_reply_to_id)
    scheduled_id = new_id()
    tx.execute(
        scheduled_statuses.insert().values(
            id=scheduled_id,
            account_id=account_id,
            scheduled_at=scheduled_at,
            params=_params(data, [str(row.id) for row in attached]),
            application_id=data.application_id,
            created_at=tx.now,
        )
    )
    if attached:
        tx.execute(
            media_attachments.update()
            .where(media_attachments.c.id.in_([row.id for row in attached]))
            .values(scheduled_status_id=scheduled_id)
        )
    _enqueue(tx, scheduled_id, scheduled_at)
    return scheduled_id


def _enqueue(tx: Tx, scheduled_id: int, scheduled_at: datetime) -> None:
    enqueue(tx, PUBLISH_JOB, {"id": scheduled_id}, run_at=scheduled_at)


def own(tx: Tx, account_id: int, scheduled_id: int) -> Any:
    row = tx.one_or_none(
        sa.select(scheduled_statuses).where(
            scheduled_statuses.c.id == scheduled_id,
            scheduled_statuses.c.account_id == account_id,
        )
    )
    if row is None:
        raise NotFound()
    return row


def page(tx: Tx, account_id: int, wanted: Page) -> list[Any]:
    """The account's scheduled posts, newest first, by id (Mastodon's pagination)."""
    query = sa.select(scheduled_statuses).where(scheduled_statuses.c.account_id == account_id)
    return fetch(tx, query, scheduled_statuses.c.id, wanted)


def media_of(tx: Tx, rows: list[Any]) -> dict[int, list[Any]]:
    """The media reserved for each scheduled post, in the order they were given."""
    if not rows:
        return {}
    found = {
        media_row.id: media_row
        for media_row in tx.rows(
            sa.select(media_attachments).where(
                media_attachments.c.scheduled_status_id.in_([row.id for row in rows])
            )
        )
    }
    out: dict[int, list[Any]] = {}
    for row in rows:
        order = [int(i) for i in (row.params or {}).get("media_ids") or []]
        out[row.id] = [
            found[i] for i in order if i in found and found[i].scheduled_status_id == row.id
        ]
    return out


def reschedule(tx: Tx, account_id: int, scheduled_id: int, scheduled_at: datetime) -> Any:
    """PUT /api/v1/scheduled_statuses/:id: a new time, with the same checks."""
    row = own(tx, account_id, scheduled_id)
    _check_time(tx, account_id, scheduled_at, scheduled_id)
    tx.execute(
        scheduled_statuses.update()
        .where(scheduled_statuses.c.id == row.id)
        .values(scheduled_at=scheduled_at)
    )
    _enqueue(tx, scheduled_id, scheduled_at)
    return own(tx, account_id, scheduled_id)


def cancel(tx: Tx, account_id: int, scheduled_id: int) -> None:
    """DELETE: the post will not be published; its media go back to the author, unattached."""
    own(tx, account_id, scheduled_id)
    _release_media(tx, scheduled_id)
    tx.execute(scheduled_statuses.delete().where(scheduled_statuses.c.id == scheduled_id))


def _release_media(tx: Tx, scheduled_id: int) -> None:
    tx.execute(
        media_attachments.update()
        .where(media_attachments.c.scheduled_status_id == scheduled_id)
        .values(scheduled_status_id=None)
    )


def publish(tx: Tx, scheduled_id: int) -> int | None:
    """Publish a scheduled post that is due; returns the new status's id, or None when there
    is nothing to do (already published, cancelled, or moved later)."""
    row = tx.one_or_none(
        sa.select(scheduled_statuses).where(scheduled_statuses.c.id == scheduled_id)
    )
    if row is None or row.scheduled_at > tx.now:
        return None
    _release_media(tx, scheduled_id)
    removed = tx.execute(
        scheduled_statuses.delete().where(scheduled_statuses.c.id == scheduled_id)
    ).rowcount
    if removed != 1:  # a concurrent job (an earlier time, moved) published it meanwhile
        return None
    return statuses.create(tx, row.account_id, _input(row.params))


def publish_job(tx: Tx, payload: dict) -> None:
    """The job: publish, in the job's transaction (the row's removal and the new post commit
    together, so a retry never posts twice). A post that can no longer be made (the reply's
    parent is gone, the author suspended) raises: the transaction is undone, so the scheduled
    post stays listed, and the queue retries, then keeps the job as failed with its reason."""
    publish(tx, int(payload["id"]))
