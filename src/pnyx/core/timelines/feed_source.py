"""Home and list timelines read from materialized feeds (`core.feeds`), with the read-time
query (`home_timeline`, `list_timeline`) as the fallback and the reference.

A feed's entries are candidates: joined with their statuses they become the very
`Candidate`s the read-time query would have found, and the same rules and refill loop
(`fill_page`) decide the page. Each entry is checked against what holds now in the same
statement (its author still followed, or still a list member; its hashtag still followed),
so an entry a removal job has not reached yet is no candidate at all.

The feed is complete down to its floor (`feed_states.floor_id`): a page that walks below it
continues with the read-time query from the floor down, so paging never ends early. A feed
not built yet is read the read-time way entirely, and the page asks for it to be built
(`Slice.feed_request`, acted on by the edge with `feed_requested` in a write).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from pnyx.core import decisions
from pnyx.core.feeds import reasons
from pnyx.core.feeds import rebuild as feed_rebuild
from pnyx.core.feeds.entries import HOME, state
from pnyx.core.lists import get as get_list
from pnyx.core.paging import Page
from pnyx.core.timelines.candidates import (
    FEED_OVERFETCH,
    OVERFETCH,
    Candidate,
    Fetch,
    Slice,
    bounded,
    fill_page,
    ordered,
)
from pnyx.core.timelines.home_timeline import (
    AUTHORED,
    HOME_COLUMNS,
    ORIGINAL,
    home_candidates,
    home_keep,
    read_time_fetch,
)
from pnyx.core.timelines.list_timeline import list_fetch, list_keep
from pnyx.core.visibility import ReadFacts
from pnyx.db.engine import Tx
from pnyx.db.tables import (
    accounts,
    bookmarks,
    favourites,
    feed_entries,
    follows,
    list_accounts,
    mentions,
    status_pins,
    status_tags,
    statuses,
    tag_follows,
)


def home(tx: Tx, viewer_id: int, page: Page) -> Slice:
    """The viewer's home timeline page: from their feed when it is built, else read-time."""
    feed = state(tx, viewer_id, HOME)
    read = read_time_fetch(tx, viewer_id, page)
    if feed is None or feed.settling:
        found = fill_page(page, read, home_keep(tx, viewer_id), viewer_id)
        found.feed_request = "build" if feed is None else "seen" if feed.stale else None
        return found
    fetch = _with_floor(
        _entries_fetch(tx, viewer_id, HOME, page, feed.floor_id), read, feed.floor_id, page
    )
    found = fill_page(page, fetch, home_keep(tx, viewer_id), viewer_id, FEED_OVERFETCH)
    found.feed_request = "seen" if feed.stale else None
    return found


def list_statuses(tx: Tx, viewer_id: int, list_id: int, page: Page) -> Slice:
    """The timeline of the viewer's list (NotFound if it is not theirs), as `home`."""
    owned = get_list(tx, viewer_id, list_id)
    keep = list_keep(tx, viewer_id, list_id, owned.replies_policy)
    read = list_fetch(tx, list_id, page)
    feed = state(tx, viewer_id, list_id)
    if feed is None or feed.settling:
        found = fill_page(page, read, keep, viewer_id)
        found.feed_request = "build" if feed is None else "seen" if feed.stale else None
        return found
    fetch = _with_floor(
        _entries_fetch(tx, viewer_id, list_id, page, feed.floor_id), read, feed.floor_id, page
    )
    found = fill_page(page, fetch, keep, viewer_id, FEED_OVERFETCH)
    found.feed_request = "seen" if feed.stale else None
    return found


def home_batch(tx: Tx, viewer_id: int, limit: int) -> list[Any] | None:
    """Up to `limit` posts of the viewer's home feed past home's rules, newest first, as
    rows with the columns a ranked feed's pool reads (`POOL_COLUMNS`); None when the feed is
    not built. One range read of the feed joined with its statuses and one load of the rules'
    facts for the whole batch, so a post boosted by several people shows once in all of it
    (a page walk shows it once per batch). The feed alone: what is under its floor (Mastodon
    keeps ~800 home entries too) is not read, so this is the start of what walking home's
    pages would give."""
    feed = state(tx, viewer_id, HOME)
    if feed is None or feed.settling:
        return None
    rows: list[Any] = []
    params = {"viewer": viewer_id, "list_id": HOME, "floor": feed.floor_id}
    kept: set[int] = set()
    keep = home_keep(tx, viewer_id)
    # Rarely more than one read: the rules hide few, and twice the limit is asked for. The
    # rules see everything read so far again, so each boosted post shows once in all of it.
    while True:
        n = max(limit - len(kept), 1) * OVERFETCH
        got = tx.plain(_batch_statement(tx.is_postgres, bool(rows)), params | {"n": n})
        rows.extend(got)
        found = home_candidates(rows)
        for c, row in zip(found, rows, strict=True):
            c.mentions_viewer = bool(row.mentioned)
            c.followed_tag = bool(row.tagged)
        kept = {c.id for c in keep(found)}
        if len(kept) >= limit or len(got) < n:
            return [row for row in rows if row.id in kept][:limit]
        params["max_id"] = got[-1].id


# What a ranked feed's pool reads of each post besides the rules' columns: of what it shows
# (the original, for a boost).
POOL_COLUMNS = (
    sa.func.coalesce(ORIGINAL.c.account_id, statuses.c.account_id).label("author_id"),
    sa.func.coalesce(ORIGINAL.c.has_media, statuses.c.has_media).label("has_media"),
    (
        sa.func.coalesce(ORIGINAL.c.favourites_count, statuses.c.favourites_count)
        + sa.func.coalesce(ORIGINAL.c.reblogs_count, statuses.c.reblogs_count)
        + sa.func.coalesce(ORIGINAL.c.replies_count, statuses.c.replies_count)
    ).label("interactions"),
    sa.func.coalesce(ORIGINAL.c.language, statuses.c.language).label("shown_language"),
)


@lru_cache(maxsize=4)
def _batch_statement(postgres: bool, has_max: bool) -> sa.Select:
    """The home feed's newest entries (under `max_id`) with the pool's columns, built once."""
    return _entries_statement(postgres, True, False, has_max, False, False).add_columns(
        *POOL_COLUMNS
    )


def feed_requested(tx: Tx, viewer_id: int, list_id: int, request: str | None) -> None:
    """What a page asked for its feed (`Slice.feed_request`), in a write transaction."""
    if request == "build":
        feed_rebuild.request(tx, viewer_id, list_id)
    elif request == "seen":
        feed_rebuild.mark_seen(tx, viewer_id, list_id)


def _with_floor(from_feed: Fetch, read: Fetch, floor: int, page: Page) -> Fetch:
    """One walk over the feed's entries (ids >= floor) and, under the floor, the read-time
    candidates: newest first, the entries then what is under them; oldest first (a min_id
    page), what is under the floor then the entries."""

    def fetch(max_id: int | None, min_id: int | None, n: int) -> list[Candidate]:
        under = floor if max_id is None else min(max_id, floor)
        reaches_under = floor > 0 and (min_id is None or min_id < floor - 1)
        if page.since_id is not None and page.since_id >= floor - 1:
            reaches_under = False
        if page.ascending:
            got = read(under, min_id, n) if reaches_under else []
            if len(got) < n:
                got += from_feed(max_id, min_id, n - len(got))
            return got
        got = [] if max_id is not None and max_id <= floor else from_feed(max_id, min_id, n)
        if len(got) < n and reaches_under:
            got += read(under, min_id, n - len(got))
        return got

    return fetch


def _entries_fetch(tx: Tx, viewer_id: int, list_id: int, page: Page, floor: int) -> Fetch:
    """The feed's entries at or above its floor, under a cursor, as candidates."""

    def fetch(max_id: int | None, min_id: int | None, n: int) -> list[Candidate]:
        statement = _entries_statement(
            tx.is_postgres,
            list_id == HOME,
            page.since_id is not None,
            max_id is not None,
            min_id is not None,
            page.ascending,
            marks=True,
        )
        params = {"viewer": viewer_id, "list_id": list_id, "n": n, "floor": floor}
        for name, value in (("since_id", page.since_id), ("max_id", max_id), ("min_id", min_id)):
            if value is not None:
                params[name] = value
        rows = tx.plain(statement, params)  # built once per shape: run lean, plain rows
        found = home_candidates(rows)
        for c, row in zip(found, rows, strict=True):
            c.mentions_viewer = bool(row.mentioned)
            c.followed_tag = bool(row.tagged)
            c.facts = _facts(row)
            c.marks = row.marks
            c.versions = {row.id: row.render_version}
            c.author_versions = {row.id: row.author_render_version}
            if row.reblog_of_id is not None:
                if row.original_render_version is None:
                    c.versions = None  # its original is gone: the page's loading decides
                    c.author_versions = None
                else:
                    c.versions[row.reblog_of_id] = row.original_render_version
                    c.author_versions[row.reblog_of_id] = row.original_author_render_version
        return found

    return fetch


# The authors of an entry's post and of the post it boosts (their render versions).
AUTHOR = accounts.alias("author")
ORIGINAL_AUTHOR = accounts.alias("original_author")


def _facts(row: Any) -> ReadFacts:
    """What the rules would ask about an entry's post, from the columns read with it."""
    suspended: tuple[int, ...] = ()
    servers: tuple[tuple[int, str], ...] = ()
    mentioned: tuple[int, ...] = ()
    if row.author_suspended:
        suspended = (row.account_id,)
    if row.author_domain is not None:
        servers = ((row.account_id, row.author_domain),)
    if row.mentions_me:
        mentioned = (row.id,)
    if row.original_account_id is not None:
        if row.original_author_suspended:
            suspended += (row.original_account_id,)
        if row.original_author_domain is not None:
            servers += ((row.original_account_id, row.original_author_domain),)
        if row.original_mentions_me:
            mentioned += (row.reblog_of_id,)
    return ReadFacts(suspended, servers, mentioned)


def _probe(table: sa.FromClause, *where: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    """Whether a row matches (1 or 0), as a lookup per row: a scalar subquery with LIMIT 1,
    which PostgreSQL runs as an index probe for each of the page's rows where it would turn
    an EXISTS into a hash of every matching row of the viewer's (all their favourites, say)."""
    found = sa.select(sa.literal(1)).select_from(table).where(*where).limit(1).scalar_subquery()
    return _bit(found.is_not(None))


def _bit(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    """A condition as 1 or 0: read as it comes, with no result processor to run per row
    (a page reads a dozen such columns of each of its rows)."""
    return sa.case((condition, 1), else_=0)


def _viewer_marks(viewer: sa.BindParameter[int]) -> sa.ColumnElement[int]:
    """The viewer's marks (`decisions.FAVOURITED`...) on what an entry shows (the boosted
    post, for a boost), as one integer column: four index probes a row."""
    shown = sa.func.coalesce(statuses.c.reblog_of_id, statuses.c.id)
    boost = statuses.alias("own_boost")

    def bit(value: int, table: sa.FromClause, who: Any, what: Any) -> sa.ColumnElement[int]:
        return _probe(table, who == viewer, what == shown) * value

    return (
        bit(decisions.FAVOURITED, favourites, favourites.c.account_id, favourites.c.status_id)
        + bit(decisions.REBLOGGED, boost, boost.c.account_id, boost.c.reblog_of_id)
        + bit(decisions.BOOKMARKED, bookmarks, bookmarks.c.account_id, bookmarks.c.status_id)
        + bit(decisions.PINNED, status_pins, status_pins.c.account_id, status_pins.c.status_id)
    )


@lru_cache(maxsize=64)
def _entries_statement(
    postgres: bool,
    home: bool,
    has_since: bool,
    has_max: bool,
    has_min: bool,
    asc: bool,
    marks: bool = False,
) -> sa.Select:
    """A feed's entries joined with their statuses, checked against what holds now, with
    what the rules and (`marks`) the page's rendering would otherwise ask in more queries;
    built once per shape of page.

    Two steps: the page's entries (at most n, each checked), then what is read with each of
    them. So PostgreSQL plans the second step for n rows (index lookups, a probe per row for
    each mark), not for the viewer's whole feed (hash tables of all the viewer's boosts or
    mentions); and a LATERAL lookup of each entry's author keeps it from merging the feed
    with a backward walk of every recent status."""

    def param(name: str, present: bool) -> sa.BindParameter[int] | None:
        return sa.bindparam(name, type_=sa.BigInteger) if present else None

    viewer = sa.bindparam("viewer", type_=sa.BigInteger)
    list_id = sa.bindparam("list_id", type_=sa.BigInteger)

    def follows_tag(status_id: sa.ColumnElement[int]) -> sa.Exists:
        return sa.exists().where(
            status_tags.c.status_id == status_id,
            tag_follows.c.tag_id == status_tags.c.tag_id,
            tag_follows.c.account_id == viewer,
        )

    def is_set(bits: sa.ColumnElement[int], bit: int) -> sa.ColumnElement[bool]:
        return bits.op("&")(bit) != 0

    # The entry's author, to check it against the follows (or the list) now.
    checked: Any
    if postgres:
        author_of = sa.select(statuses.c.account_id).where(
            statuses.c.id == feed_entries.c.status_id
        )
        # OFFSET 0 keeps PostgreSQL from pulling the lookup up into a plain join.
        checked = author_of.offset(0).lateral("checked")
        entries_from: Any = feed_entries.join(checked, sa.true())
    else:
        checked = statuses.alias("checked")
        entries_from = feed_entries.join(checked, checked.c.id == feed_entries.c.status_id)
    bits = feed_entries.c.reasons
    if home:
        belongs = sa.or_(
            checked.c.account_id == viewer,
            sa.exists().where(
                follows.c.account_id == viewer, follows.c.target_account_id == checked.c.account_id
            ),
            is_set(bits, reasons.MENTIONED),
            sa.and_(is_set(bits, reasons.FOLLOWED_TAG), follows_tag(feed_entries.c.status_id)),
        )
    else:
        belongs = sa.exists().where(
            list_accounts.c.list_id == list_id, list_accounts.c.account_id == checked.c.account_id
        )
    entries = (
        sa.select(feed_entries.c.status_id, feed_entries.c.reasons)
        .select_from(entries_from)
        .where(
            feed_entries.c.viewer_id == viewer,
            feed_entries.c.list_id == list_id,
            feed_entries.c.status_id >= sa.bindparam("floor", type_=sa.BigInteger),
            belongs,
        )
    )
    entries = bounded(
        entries,
        feed_entries.c.status_id,
        param("max_id", has_max),
        param("since_id", has_since),
        param("min_id", has_min),
    )
    page = ordered(
        entries, feed_entries.c.status_id, asc, sa.bindparam("n", type_=sa.Integer)
    ).subquery("page")

    if home:
        tagged = sa.and_(is_set(page.c.reasons, reasons.FOLLOWED_TAG), follows_tag(statuses.c.id))
        flags = (
            _bit(is_set(page.c.reasons, reasons.MENTIONED)).label("mentioned"),
            _bit(tagged).label("tagged"),
        )
    else:
        flags = (sa.literal(0).label("mentioned"), sa.literal(0).label("tagged"))

    def mentions_me(status: sa.FromClause) -> sa.ColumnElement[int]:
        return _probe(
            mentions, mentions.c.status_id == status.c.id, mentions.c.account_id == viewer
        )

    query = sa.select(
        *HOME_COLUMNS,
        sa.literal(AUTHORED).label("addressed"),
        *flags,
        statuses.c.render_version,
        ORIGINAL.c.render_version.label("original_render_version"),
        AUTHOR.c.render_version.label("author_render_version"),
        ORIGINAL_AUTHOR.c.render_version.label("original_author_render_version"),
        # What `visibility.load_context` would ask (`_facts`).
        _bit(AUTHOR.c.suspended_at.is_not(None)).label("author_suspended"),
        AUTHOR.c.domain.label("author_domain"),
        _bit(ORIGINAL_AUTHOR.c.suspended_at.is_not(None)).label("original_author_suspended"),
        ORIGINAL_AUTHOR.c.domain.label("original_author_domain"),
        mentions_me(statuses).label("mentions_me"),
        mentions_me(ORIGINAL).label("original_mentions_me"),
        (_viewer_marks(viewer) if marks else sa.null()).label("marks"),
    ).select_from(
        page.join(statuses, statuses.c.id == page.c.status_id)
        .join(AUTHOR, AUTHOR.c.id == statuses.c.account_id)
        .outerjoin(ORIGINAL, ORIGINAL.c.id == statuses.c.reblog_of_id)
        .outerjoin(ORIGINAL_AUTHOR, ORIGINAL_AUTHOR.c.id == ORIGINAL.c.account_id)
    )
    return query.order_by(page.c.status_id.asc() if asc else page.c.status_id.desc())
