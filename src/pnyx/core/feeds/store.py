"""Writing feed entries: the upsert every writer shares, and trimming a feed to its size.

Writers only ever add reasons: an entry written twice (a job retried, a fan-out and a merge
racing) keeps one row whose reasons are OR-ed, so every writer is idempotent.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from pnyx.core.feeds.entries import slack
from pnyx.db.engine import Tx
from pnyx.db.id_lists import in_ids
from pnyx.db.tables import accounts, feed_entries, feed_states
from pnyx.db.types import UTCDateTime

_UPSERTS: dict[bool, sa.Executable] = {}


@dataclass
class Reason:
    """What one writer found for one feed: bits and the account or hashtag they came through."""

    bits: int
    via_account_id: int | None = None
    via_tag_id: int | None = None

    def add(
        self, bits: int, via_account_id: int | None = None, via_tag_id: int | None = None
    ) -> None:
        self.bits |= bits
        self.via_account_id = self.via_account_id or via_account_id
        self.via_tag_id = self.via_tag_id or via_tag_id


# A feed: (viewer_id, list_id).
Feed = tuple[int, int]


def _upsert(postgres: bool) -> sa.Executable:
    """Rows of plain values (executemany), OR-ing reasons into entries already there."""
    statement = _UPSERTS.get(postgres)
    if statement is None:
        dialect = postgresql if postgres else sqlite
        statement = _UPSERTS[postgres] = _with_conflict(dialect.insert(feed_entries))
    return statement


def _with_conflict(insert: sa.Insert) -> sa.Executable:
    """The insert, OR-ing the reasons into an entry already there."""
    assert isinstance(insert, (postgresql.Insert, sqlite.Insert))
    return insert.on_conflict_do_update(
        index_elements=[feed_entries.c.viewer_id, feed_entries.c.list_id, feed_entries.c.status_id],
        set_={
            "reasons": feed_entries.c.reasons.op("|")(insert.excluded.reasons),
            "via_account_id": sa.func.coalesce(
                feed_entries.c.via_account_id, insert.excluded.via_account_id
            ),
            "via_tag_id": sa.func.coalesce(feed_entries.c.via_tag_id, insert.excluded.via_tag_id),
        },
    )


_FAN_OUTS: dict[bool, sa.Executable] = {}


def _fan_out_statement(postgres: bool) -> sa.Executable:
    """One status into many viewers' feeds with the same reasons, in one statement whose
    viewers are one bound array (`in_ids`): INSERT ... SELECT over their account rows. Built
    once: a fan-out to 10,000 followers runs it ten times."""
    statement = _FAN_OUTS.get(postgres)
    if statement is None:

        def typed(name: str, type_: sa.types.TypeEngine) -> sa.ColumnElement:
            return sa.cast(sa.bindparam(name), type_)

        source = sa.select(
            accounts.c.id,
            typed("list_id", sa.BigInteger()),
            typed("status_id", sa.BigInteger()),
            typed("reasons", sa.SmallInteger()),
            typed("via_account_id", sa.BigInteger()),
            typed("via_tag_id", sa.BigInteger()),
            sa.bindparam("created_at", type_=UTCDateTime()),
        ).where(in_ids(accounts.c.id, "viewers"))
        dialect = postgresql if postgres else sqlite
        insert = dialect.insert(feed_entries).from_select(
            [
                "viewer_id",
                "list_id",
                "status_id",
                "reasons",
                "via_account_id",
                "via_tag_id",
                "created_at",
            ],
            source,
        )
        statement = _FAN_OUTS[postgres] = _with_conflict(insert)
    return statement


def write(tx: Tx, status_id: int, found: Mapping[Feed, Reason]) -> None:
    """One status into many feeds (one statement per list and reason: the followers of a
    batch share one), then the feeds that grew past their slack trimmed."""
    if not found:
        return
    alike: dict[tuple[int, int, int | None, int | None], list[int]] = {}
    for (viewer, list_id), reason in found.items():
        key = (list_id, reason.bits, reason.via_account_id, reason.via_tag_id)
        alike.setdefault(key, []).append(viewer)
    statement = _fan_out_statement(tx.is_postgres)
    for (list_id, bits, via_account_id, via_tag_id), viewers in alike.items():
        tx.execute(
            statement,
            {
                "viewers": viewers,
                "list_id": list_id,
                "status_id": status_id,
                "reasons": bits,
                "via_account_id": via_account_id,
                "via_tag_id": via_tag_id,
                "created_at": tx.now,
            },
        )
    counted(tx, found.keys(), 1)


def write_many(tx: Tx, feed: Feed, found: Mapping[int, Reason]) -> None:
    """Many statuses into one feed (a rebuild, a merge), not trimmed here."""
    if not found:
        return
    viewer, list_id = feed
    tx.execute(
        _upsert(tx.is_postgres),
        [
            {
                "viewer_id": viewer,
                "list_id": list_id,
                "status_id": status_id,
                "reasons": reason.bits,
                "via_account_id": reason.via_account_id,
                "via_tag_id": reason.via_tag_id,
                "created_at": tx.now,
            }
            for status_id, reason in found.items()
        ],
    )


def counted(tx: Tx, feeds: Iterable[Feed], added: int) -> None:
    """Count entries added to these feeds; those grown past their slack since their last
    trim are trimmed now (so a feed holds at most its size and slack, at the cost of one
    DELETE per `slack` posts rather than one per post)."""
    by_list: dict[int, list[int]] = {}
    for viewer, list_id in feeds:
        by_list.setdefault(list_id, []).append(viewer)
    for list_id, viewers in by_list.items():
        params = {"feed_list": list_id, "viewers": viewers, "added": added}
        grown = tx.execute(_count_statement(), params).all()
        for row in grown:
            if row.since_trim >= slack(tx.settings.feed_size):
                trim(tx, (row.viewer_id, list_id), tx.settings.feed_size)


@functools.cache
def _count_statement() -> sa.Update:
    return (
        feed_states.update()
        .where(
            feed_states.c.list_id == sa.bindparam("feed_list", type_=sa.BigInteger),
            in_ids(feed_states.c.viewer_id, "viewers"),
        )
        .values(since_trim=feed_states.c.since_trim + sa.bindparam("added", type_=sa.Integer))
        .returning(feed_states.c.viewer_id, feed_states.c.since_trim)
    )


def trim(tx: Tx, feed: Feed, size: int) -> None:
    """Keep the newest `size` entries of a feed; it is then complete down to the oldest kept
    (its floor)."""
    viewer, list_id = feed
    in_feed = sa.and_(feed_entries.c.viewer_id == viewer, feed_entries.c.list_id == list_id)
    cut = tx.scalar(
        sa.select(feed_entries.c.status_id)
        .where(in_feed)
        .order_by(feed_entries.c.status_id.desc())
        .offset(size - 1)
        .limit(1)
    )
    values: dict[str, object] = {"since_trim": 0}
    if cut is not None:
        tx.execute(feed_entries.delete().where(in_feed, feed_entries.c.status_id < cut))
        # Never lower: entries under the floor (a backdated remote post) do not make the
        # feed complete there.
        values["floor_id"] = sa.case(
            (feed_states.c.floor_id > cut, feed_states.c.floor_id), else_=cut
        )
    tx.execute(
        feed_states.update()
        .where(feed_states.c.viewer_id == viewer, feed_states.c.list_id == list_id)
        .values(**values)
    )
