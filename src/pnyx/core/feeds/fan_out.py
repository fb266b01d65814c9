"""Fan-out: a new status (written here or received from another server) into the feeds of
the local viewers it belongs to, each entry with its reasons.

Who, for a status S by A (for a boost: A is the booster, S the boost's own row):
- A, if A's feed is maintained: OWN;
- A's followers: FOLLOWED_AUTHOR, or BOOSTED_BY_FOLLOWED via A for a boost (not for a direct
  post: those reach only the accounts they name);
- the accounts a followers-only or direct post names: MENTIONED;
- for a public or unlisted post (not a boost), the followers of its hashtags: FOLLOWED_TAG
  via the (first) hashtag;
- the lists A is a member of, in their owner's list feed: IN_LIST via A (not direct posts).
These are the parts of the read-time home query (`core.timelines.home_timeline`), so the
feed holds what that query would find, but for posts the viewer's mutes and blocks would hide
(as Mastodon's fan-out); the rules that decide what is shown (those again, and replies,
languages, replies policies ...) are applied when the feed is read.

Only maintained feeds are written (those with a `feed_states` row): a viewer away for weeks
has none, and is rebuilt on return. The followers are walked in batches of
`feed_fanout_batch` (by follow id). The first batch, with the author's own feed and the few
reached otherwise, is written in the transaction that stores the post (a subscription in the
transaction): the author sees their post in home when the request answers, and most posts
need no job at all. Each further batch is a job of its own, chained: an account with 10,000
followers here costs one batch in the request and nine short jobs, never one long
transaction. Every write OR-s reasons into the row
that may be there (`store.write`), so a job retried after a crash is harmless.
"""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa

from pnyx.core import events
from pnyx.core.feeds import reasons
from pnyx.core.feeds.entries import HOME
from pnyx.core.feeds.store import Feed, Reason, write
from pnyx.core.visibility import PUBLIC_VISIBILITIES
from pnyx.db.engine import Tx
from pnyx.db.tables import (
    blocks,
    feed_states,
    follows,
    list_accounts,
    lists,
    mentions,
    mutes,
    status_tags,
    statuses,
    tag_follows,
)
from pnyx.jobs.queue import enqueue

# The job of the followers after the first batch: {"status_id": ..., "after": follow id}.
MORE_JOB = "feeds.fan_out"


def on_event(tx: Tx, event: events.Event) -> None:
    """The `feeds` subscription's handler for new statuses and boosts, in the
    transaction that stores them."""
    if isinstance(event, events.StatusCreated):
        fan_out(tx, event.status_id)
    elif isinstance(event, events.StatusBoosted):
        fan_out(tx, event.boost_id)


def more_job(tx: Tx, payload: dict) -> None:
    """One further batch of followers (`MORE_JOB`)."""
    status = _status(tx, int(payload["status_id"]))
    if status is not None:
        _followers(tx, status, int(payload["after"]))


def _status(tx: Tx, status_id: int) -> Any | None:
    rows = tx.plain(_statements()["status"], {"status": status_id})
    return rows[0] if rows else None


def _maintained(list_id: int | sa.ColumnElement[int], viewer: sa.ColumnElement[int]) -> sa.Exists:
    return sa.exists().where(feed_states.c.viewer_id == viewer, feed_states.c.list_id == list_id)


def _welcome(viewer: sa.ColumnElement[int]) -> sa.ColumnElement[bool]:
    """The viewer has not muted or blocked the author (nor, for a boost, the boosted post's
    author: `original`, NULL for a post), and is not blocked by them: the read-time rules
    would hide the post, so it is not written (as Mastodon's fan-out). A few index probes
    per viewer."""
    people = (
        sa.bindparam("author", type_=sa.BigInteger),
        sa.bindparam("original", type_=sa.BigInteger),
    )
    muted = sa.exists().where(
        mutes.c.account_id == viewer,
        mutes.c.target_account_id.in_(people),
        sa.or_(mutes.c.expires_at.is_(None), mutes.c.expires_at > sa.bindparam("now")),
    )
    blocking = sa.exists().where(
        blocks.c.account_id == viewer, blocks.c.target_account_id.in_(people)
    )
    blocked = sa.exists().where(
        blocks.c.account_id.in_(people), blocks.c.target_account_id == viewer
    )
    return sa.not_(sa.or_(muted, blocking, blocked))


@functools.cache
def _statements() -> dict[str, sa.Select]:
    """The fan-out's statements, built once: it runs in the transaction of every stored
    post (local or received), and building them cost more than running them (a profile of
    the inbox: 40% of processing a received post)."""
    original = statuses.alias("original")
    author = sa.bindparam("author", type_=sa.BigInteger)
    status = sa.bindparam("status", type_=sa.BigInteger)
    return {
        "status": sa.select(
            statuses.c.id,
            statuses.c.account_id,
            statuses.c.visibility,
            statuses.c.reblog_of_id,
            original.c.account_id.label("original_account_id"),
        )
        .select_from(statuses.outerjoin(original, original.c.id == statuses.c.reblog_of_id))
        .where(statuses.c.id == status),
        "own": sa.select(_maintained(HOME, author).label("maintained")),
        "named": sa.select(mentions.c.account_id).where(
            mentions.c.status_id == status,
            mentions.c.private.is_(True),
            _maintained(HOME, mentions.c.account_id),
            _welcome(mentions.c.account_id),
        ),
        "tagged": sa.select(
            tag_follows.c.account_id, sa.func.min(tag_follows.c.tag_id).label("tag")
        )
        .join(status_tags, status_tags.c.tag_id == tag_follows.c.tag_id)
        .where(
            status_tags.c.status_id == status,
            _maintained(HOME, tag_follows.c.account_id),
            _welcome(tag_follows.c.account_id),
        )
        .group_by(tag_follows.c.account_id),
        "listed": sa.select(lists.c.account_id, lists.c.id)
        .join(list_accounts, list_accounts.c.list_id == lists.c.id)
        .where(
            list_accounts.c.account_id == author,
            _maintained(lists.c.id, lists.c.account_id),
            _welcome(lists.c.account_id),
        ),
        "followers": sa.select(follows.c.id, follows.c.account_id)
        .where(
            follows.c.target_account_id == author,
            follows.c.id > sa.bindparam("after", type_=sa.BigInteger),
            _maintained(HOME, follows.c.account_id),
            _welcome(follows.c.account_id),
        )
        .order_by(follows.c.id)
        .limit(sa.bindparam("n", type_=sa.Integer)),
    }


def _params(tx: Tx, status: Any) -> dict[str, Any]:
    return {
        "status": status.id,
        "author": status.account_id,
        "original": status.original_account_id,
        "now": tx.now,
    }


def fan_out(tx: Tx, status_id: int) -> None:
    """The status into every feed it belongs in: the few reached otherwise than by following
    now, then the first batch of followers (which chains the next)."""
    status = _status(tx, status_id)
    if status is None:
        return  # deleted before the job ran
    found: dict[Feed, Reason] = {}

    def add(feed: Feed, bits: int, account: int | None = None, tag: int | None = None) -> None:
        found.setdefault(feed, Reason(0)).add(bits, account, tag)

    q = _statements()
    params = _params(tx, status)
    author = status.account_id
    if tx.plain(q["own"], params)[0].maintained:
        add((author, HOME), reasons.OWN)
    if status.visibility in ("private", "direct"):
        for row in tx.plain(q["named"], params):
            add((row.account_id, HOME), reasons.MENTIONED)
    if status.visibility in PUBLIC_VISIBILITIES and status.reblog_of_id is None:
        for row in tx.plain(q["tagged"], params):
            add((row.account_id, HOME), reasons.FOLLOWED_TAG, tag=row.tag)
    if status.visibility != "direct":
        for row in tx.plain(q["listed"], params):
            add((row.account_id, row.id), reasons.IN_LIST, account=author)
    write(tx, status.id, found)
    _followers(tx, status, 0)


def _followers(tx: Tx, status: Any, after: int) -> None:
    """One batch of the author's followers with a maintained home feed, from follow id
    `after`; the next batch is a job of its own."""
    if status.visibility == "direct":
        return
    batch = tx.settings.feed_fanout_batch
    params = _params(tx, status) | {"after": after, "n": batch + 1}  # one more: a next batch?
    rows = tx.plain(_statements()["followers"], params)
    more = len(rows) > batch
    rows = rows[:batch]
    if not rows:
        return
    bits, via = (
        (reasons.FOLLOWED_AUTHOR, None)
        if status.reblog_of_id is None
        else (reasons.BOOSTED_BY_FOLLOWED, status.account_id)
    )
    write(tx, status.id, {(r.account_id, HOME): Reason(bits, via) for r in rows})
    if more:
        enqueue(tx, MORE_JOB, {"status_id": status.id, "after": rows[-1].id})
