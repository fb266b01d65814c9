"""The rows a page of posts is made of, read once and then kept by render version.

Each post is shown with its own row and the rows of its mentions, hashtags, media, link card,
poll, quote and community notes; each author with their account row. The database moves a post's or an
account's `render_version` on every change to any of them (migration 0031), so a page reads
the versions (one narrow query, or none when its timeline read them with its ids) and reads
the rest only for what `core.row_cache` does not hold at that version: a page of posts seen
before costs no query for its posts and one for its authors.

The statements that read the parts are `core.status_views`' (passed in as `q`), so that both
read the very same rows.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.base import Executable

from pnyx.core import row_cache
from pnyx.core.row_cache import PostParts
from pnyx.core.rows import AccountRow
from pnyx.db.engine import Tx
from pnyx.db.id_lists import in_ids
from pnyx.db.tables import accounts, statuses

Statements = dict[str, Executable]


@functools.cache
def _versions() -> Statements:
    """The render versions of posts (with those they boost, for `posts`) and of accounts."""
    boosted = statuses.alias("boosted")

    def of(table: sa.Table) -> sa.Select:
        return sa.select(table.c.id, table.c.render_version).where(in_ids(table.c.id, "ids"))

    return {
        "posts": sa.union_all(
            of(statuses),
            sa.select(boosted.c.id, boosted.c.render_version)
            .join(statuses, statuses.c.reblog_of_id == boosted.c.id)
            .where(in_ids(statuses.c.id, "ids")),
        ),
        "quoted": of(statuses),
        "accounts": of(accounts),
    }


def load(
    tx: Tx, q: Statements, status_ids: list[int], versions: dict[int, int] | None
) -> tuple[dict[int, PostParts], dict[int, Any]]:
    """The posts, those they boost, and those their quotes quote (two levels: a quoted post
    shows its own quote as a ShallowQuote), each with its parts; and the quotes of the
    posts shown and of those they quote, by quoting post. `versions`: the render versions of
    the posts and of those they boost, when the caller read them in this transaction."""
    keep = row_cache.may_keep(tx)
    level = _parts_at(tx, q, "posts", status_ids, keep, versions)
    loaded = dict(level)
    quoting: dict[int, Any] = {}
    for depth in range(3):
        quoted = {
            p.quote.quoted_status_id
            for p in level.values()
            if p.quote is not None and p.quote.quoted_status_id
        }
        if depth < 2:
            quoting.update((sid, p.quote) for sid, p in level.items() if p.quote is not None)
        missing = list(quoted - loaded.keys())
        if depth == 2 or not missing:
            break
        level = _parts_at(tx, q, "quoted", missing, keep)
        loaded.update(level)
    return loaded, quoting


def accounts_of(tx: Tx, q: Statements, ids: Iterable[int]) -> dict[int, AccountRow]:
    """Account rows: kept ones at their current render version, the rest read and kept."""
    versions = dict(tx.plain(_versions()["accounts"], {"ids": list(ids)}))
    found, missing = row_cache.accounts.take(versions)
    if missing:
        rows = tx.plain(q["accounts"], {"ids": missing})
        if row_cache.may_keep(tx):
            row_cache.accounts.keep(
                (r.id, r.render_version, r) for r in rows if versions.get(r.id) == r.render_version
            )
        found.update((r.id, r) for r in rows)
    return found


def _parts_at(
    tx: Tx,
    q: Statements,
    which: str,
    ids: list[int],
    keep: bool,
    versions: dict[int, int] | None = None,
) -> dict[int, PostParts]:
    """The parts of these posts: those kept at their current render version, the others
    read (and kept, when read at the version the versions' query saw)."""
    if versions is None:
        versions = dict(tx.plain(_versions()[which], {"ids": ids}))
    found, missing = row_cache.posts.take(versions)
    if missing:
        read = _read_parts(tx, q, missing)
        if keep:
            row_cache.posts.keep(
                (sid, parts.row.render_version, parts)
                for sid, parts in read.items()
                if versions.get(sid) == parts.row.render_version
            )
        found.update(read)
    return found


def _read_parts(tx: Tx, q: Statements, ids: list[int]) -> dict[int, PostParts]:
    """Posts and what they are shown with, read from the tables (a query per kind)."""
    rows = tx.plain(q["statuses"], {"ids": ids})
    if not rows:
        return {}
    found = [r.id for r in rows]
    mentioned = _grouped(tx.plain(q["mentions"], {"ids": found}))
    tagged = _grouped(tx.plain(q["tags"], {"ids": found}))
    with_media = [r.id for r in rows if r.has_media]
    media = _grouped(tx.plain(q["media"], {"ids": with_media})) if with_media else {}
    card_ids = [r.id for r in rows if not r.has_media and r.reblog_of_id is None]
    cards = {c.status_id: c for c in tx.plain(q["cards"], {"ids": card_ids})} if card_ids else {}
    polls = {p.status_id: p for p in tx.plain(q["polls"], {"ids": found})}
    quotes = {quote.status_id: quote for quote in tx.plain(q["quotes"], {"ids": found})}
    counted = [r.id for r in rows if not r.reblog_of_id]
    counts = dict(tx.plain(q["quotes_count"], {"ids": counted})) if counted else {}
    noted = _grouped(tx.plain(q["notes"], {"ids": counted})) if counted else {}
    own = [r.id for r in rows if r.local and not r.reblog_of_id]
    imported = {i.status_id: i for i in tx.plain(q["imported"], {"ids": own})} if own else {}
    return {
        r.id: PostParts(
            r,
            tuple(mentioned.get(r.id, ())),
            tuple(tagged.get(r.id, ())),
            tuple(media.get(r.id, ())),
            cards.get(r.id),
            polls.get(r.id),
            quotes.get(r.id),
            counts.get(r.id, 0),
            tuple(noted.get(r.id, ())),
            imported.get(r.id),
        )
        for r in rows
    }


def _grouped(rows: list[Any]) -> dict[int, list[Any]]:
    """Rows by their `status_id`, in the order read."""
    out: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        out[row.status_id].append(row)
    return out
