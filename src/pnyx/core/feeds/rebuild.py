"""Building a feed from `statuses`, and merging into it what a new follow brings.

A feed is built (or rebuilt) from the read-time timeline's own candidate query, without its
rules: the newest `feed_size` candidates, each with its reasons (`provenance.compute`). It is then
complete down to the oldest of them (all of them when there were fewer). Built:
- on the first read of a feed that has none (the viewer is new, or came back after `AWAY`),
  by a `feeds.rebuild` job the read asks for (`request`);
- by `pnyx feeds rebuild` (after upgrading, every feed is empty: reads fall back meanwhile).

Merges keep a built feed equal to what the read-time timeline would find after a change
that adds candidates: a follow accepted (the followee's posts), a hashtag followed, a
member added to a list. They add the posts above the feed's floor (`feed_size` at most: if there
are more, the floor moves up to the oldest added).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from pnyx.core.feeds import provenance, reasons
from pnyx.core.feeds.entries import AWAY, HOME, SETTLE
from pnyx.core.feeds.store import Feed, Reason, counted, write_many
from pnyx.core.timelines.home_timeline import candidate_statement
from pnyx.core.timelines.list_timeline import list_candidate_statement
from pnyx.core.visibility import PUBLIC_VISIBILITIES
from pnyx.db.engine import Tx
from pnyx.db.tables import feed_entries, feed_states, lists, status_tags, statuses, users
from pnyx.jobs.queue import enqueue

REBUILD_JOB = "feeds.rebuild"  # {"viewer_id": ..., "list_id": ...}
PRUNE_JOB = "feeds.prune"  # daily: feeds nobody read for AWAY are dropped
SETTLE_JOB = "feeds.settle"  # {"viewer_id": ..., "list_id": ...}, SETTLE after a build
SETTLED_NEWEST = 200  # the newest candidates a settle merges again


def request(tx: Tx, viewer_id: int, list_id: int = HOME) -> None:
    """Ask for the feed to be built (once, however many reads ask before the job runs)."""
    enqueue(
        tx,
        REBUILD_JOB,
        {"viewer_id": viewer_id, "list_id": list_id},
        unique_key=f"{REBUILD_JOB}:{viewer_id}:{list_id}",
    )


def mark_seen(tx: Tx, viewer_id: int, list_id: int = HOME) -> None:
    """The viewer read the feed (at most once a day, `entries.SEEN_EVERY`): keep it."""
    tx.execute(
        feed_states.update()
        .where(feed_states.c.viewer_id == viewer_id, feed_states.c.list_id == list_id)
        .values(seen_at=tx.now)
    )


def rebuild_job(tx: Tx, payload: dict[str, Any]) -> None:
    rebuild(tx, int(payload["viewer_id"]), int(payload.get("list_id", HOME)))


def rebuild(tx: Tx, viewer_id: int, list_id: int = HOME) -> int:
    """Build the feed afresh; returns how many entries it holds. A list that is gone or not
    the viewer's builds nothing."""
    feed = (viewer_id, list_id)
    if list_id != HOME and not tx.scalar(
        sa.select(sa.func.count())
        .select_from(lists)
        .where(lists.c.id == list_id, lists.c.account_id == viewer_id)
    ):
        drop(tx, feed)
        return 0
    tx.execute(
        feed_entries.delete().where(
            feed_entries.c.viewer_id == viewer_id, feed_entries.c.list_id == list_id
        )
    )
    size = tx.settings.feed_size
    # A quarter more candidates than kept: direct posts not for the viewer are left out.
    n = size + size // 4
    rows = _newest(tx, viewer_id, list_id, n)
    found = _belonging(tx, viewer_id, list_id, rows)
    kept = [r.id for r in rows if r.id in found][:size]
    write_many(tx, feed, {status_id: found[status_id] for status_id in kept})
    # Complete down to the oldest kept when full, else down to the oldest candidate read
    # (when the query was cut at n), else entirely.
    floor = kept[-1] if len(kept) >= size else rows[-1].id if len(rows) >= n else 0
    tx.execute(
        feed_states.delete().where(
            feed_states.c.viewer_id == viewer_id, feed_states.c.list_id == list_id
        )
    )
    tx.execute(
        feed_states.insert().values(
            viewer_id=viewer_id,
            list_id=list_id,
            floor_id=floor,
            since_trim=0,
            built_at=tx.now,
            seen_at=tx.now,
        )
    )
    enqueue(
        tx,
        SETTLE_JOB,
        {"viewer_id": viewer_id, "list_id": list_id},
        run_at=tx.now + SETTLE,
        unique_key=f"{SETTLE_JOB}:{viewer_id}:{list_id}:{tx.now.isoformat()}",
    )
    return len(kept)


def _newest(tx: Tx, viewer_id: int, list_id: int, n: int) -> list[sa.Row]:
    """The newest n candidates of the read-time timeline (its query, without its rules)."""
    statement: sa.Executable
    if list_id == HOME:
        statement = candidate_statement(tx.is_postgres)
        params = {"viewer": viewer_id, "n": n}
    else:
        statement = list_candidate_statement(tx.is_postgres)
        params = {"list_id": list_id, "n": n}
    newest: dict[int, sa.Row] = {}
    for row in tx.execute(statement, params):
        newest.setdefault(row.id, row)
    return sorted(newest.values(), key=lambda r: r.id, reverse=True)[:n]


def settle_job(tx: Tx, payload: dict[str, Any]) -> None:
    settle(tx, int(payload["viewer_id"]), int(payload.get("list_id", HOME)))


def settle(tx: Tx, viewer_id: int, list_id: int = HOME) -> int:
    """After a build (`entries.SETTLE`): merge the newest posts again, so that one stored
    while the build ran (which neither its fan-out nor the build wrote) is in the feed.
    Writes only add reasons (`write_many`), so what is there already is untouched; returns
    how many posts were looked at."""
    floor = tx.scalar(
        sa.select(feed_states.c.floor_id).where(
            feed_states.c.viewer_id == viewer_id, feed_states.c.list_id == list_id
        )
    )
    if floor is None:
        return 0  # dropped meanwhile
    rows = [r for r in _newest(tx, viewer_id, list_id, SETTLED_NEWEST) if r.id >= floor]
    write_many(tx, (viewer_id, list_id), _belonging(tx, viewer_id, list_id, rows))
    return len(rows)


def _belonging(tx: Tx, viewer_id: int, list_id: int, rows: Sequence[sa.Row]) -> dict[int, Reason]:
    """The reasons of these candidates, without those fan-out would not have written: a
    direct post reaches only its author and the accounts it names."""
    found = provenance.compute(tx, viewer_id, list_id, rows)
    direct = {r.id for r in rows if r.visibility == "direct"}
    return {
        status_id: reason
        for status_id, reason in found.items()
        if reason.bits
        and (status_id not in direct or reason.bits & (reasons.OWN | reasons.MENTIONED))
    }


def drop(tx: Tx, feed: Feed) -> None:
    """Forget a feed: read from `statuses` until rebuilt."""
    viewer, list_id = feed
    tx.execute(
        feed_states.delete().where(
            feed_states.c.viewer_id == viewer, feed_states.c.list_id == list_id
        )
    )
    tx.execute(
        feed_entries.delete().where(
            feed_entries.c.viewer_id == viewer, feed_entries.c.list_id == list_id
        )
    )


def _floor(tx: Tx, feed: Feed) -> int | None:
    return tx.scalar(
        sa.select(feed_states.c.floor_id).where(
            feed_states.c.viewer_id == feed[0], feed_states.c.list_id == feed[1]
        )
    )


def merge_account(tx: Tx, feed: Feed, account_id: int) -> None:
    """The account's posts and boosts above the feed's floor (a new follow, a list member)."""
    query = sa.select(*provenance.COLUMNS).where(statuses.c.account_id == account_id)
    _merge(tx, feed, query)


def merge_boosts_of(tx: Tx, feed: Feed, account_id: int) -> None:
    """Boosts of the account's posts, above the feed's floor (a mute or block ended)."""
    original = statuses.alias("original")
    query = (
        sa.select(*provenance.COLUMNS)
        .join(original, original.c.id == statuses.c.reblog_of_id)
        .where(original.c.account_id == account_id)
    )
    _merge(tx, feed, query)


def merge_tag(tx: Tx, feed: Feed, tag_id: int) -> None:
    """Public and unlisted posts (not boosts) with the hashtag, above the home feed's floor."""
    query = (
        sa.select(*provenance.COLUMNS)
        .join(status_tags, status_tags.c.status_id == statuses.c.id)
        .where(
            status_tags.c.tag_id == tag_id,
            statuses.c.visibility.in_(PUBLIC_VISIBILITIES),
            statuses.c.reblog_of_id.is_(None),
        )
    )
    _merge(tx, feed, query)


def _merge(tx: Tx, feed: Feed, query: sa.Select) -> None:
    floor = _floor(tx, feed)
    if floor is None:
        return  # not built: it will be, whole
    size = tx.settings.feed_size
    rows = tx.execute(
        query.where(statuses.c.id >= floor).order_by(statuses.c.id.desc()).limit(size)
    ).all()
    found = _belonging(tx, feed[0], feed[1], rows)
    write_many(tx, feed, found)
    if len(rows) >= size:
        tx.execute(
            feed_states.update()
            .where(feed_states.c.viewer_id == feed[0], feed_states.c.list_id == feed[1])
            .values(floor_id=rows[-1].id)
        )
    counted(tx, [feed], len(found))


def schedule_prune(tx: Tx, *, after: datetime | None = None) -> None:
    """The next daily `feeds.prune`: now, or the day after `after`; keyed by its day, so
    that every process scheduling it at start adds one run a day between them."""
    day = (after or tx.now).date() + (timedelta(days=1) if after else timedelta())
    run_at = datetime(day.year, day.month, day.day, tzinfo=UTC) if after else tx.now
    enqueue(tx, PRUNE_JOB, {}, run_at=run_at, unique_key=f"{PRUNE_JOB}:{day.isoformat()}")


def prune_job(tx: Tx, payload: dict[str, Any]) -> None:
    prune(tx)
    schedule_prune(tx, after=tx.now)


def prune(tx: Tx) -> int:
    """Drop the feeds nobody read for `AWAY` (they are rebuilt on return); how many."""
    gone = tx.execute(
        sa.select(feed_states.c.viewer_id, feed_states.c.list_id).where(
            feed_states.c.seen_at < tx.now - AWAY
        )
    ).all()
    for row in gone:
        drop(tx, (row.viewer_id, row.list_id))
    return len(gone)


def local_feeds(tx: Tx, account_id: int | None = None) -> list[Feed]:
    """The feeds of the accounts here (or of one): each home, and each of their lists."""
    homes = sa.select(users.c.account_id)
    if account_id is not None:
        homes = homes.where(users.c.account_id == account_id)
    found: list[Feed] = [
        (viewer, HOME) for viewer in tx.scalars(homes.order_by(users.c.account_id))
    ]
    owned = sa.select(lists.c.account_id, lists.c.id).where(lists.c.account_id.in_(homes))
    found += [(r.account_id, r.id) for r in tx.execute(owned.order_by(lists.c.id))]
    return found
