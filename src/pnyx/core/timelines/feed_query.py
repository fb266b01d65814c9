"""The one query a feed page (home or a list) is read with: the feed's entries under the
cursor, each checked against what holds now (its author still followed, or still a member;
its hashtag still followed), joined with their posts and with what would otherwise cost a
query each: the render versions of the posts and their authors (`presenters.status_json`),
what the rules ask (suspensions, servers, mentions of the viewer: `visibility.ReadFacts`),
and the viewer's marks on what each entry shows.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from pnyx.core import decisions
from pnyx.core.feeds import reasons
from pnyx.core.timelines.candidates import bounded, ordered
from pnyx.core.timelines.home_timeline import AUTHORED, HOME_COLUMNS, ORIGINAL
from pnyx.core.visibility import ReadFacts
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

# The authors of an entry's post and of the post it boosts (their render versions).
AUTHOR = accounts.alias("author")
ORIGINAL_AUTHOR = accounts.alias("original_author")


def facts_of(row: Any) -> ReadFacts:
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
def entries_statement(
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

    viewer = sa.bindparam("viewer", type_=sa.BigInteger)
    list_id = sa.bindparam("list_id", type_=sa.BigInteger)

    page = _checked_entries(postgres, home, viewer, list_id, has_since, has_max, has_min, asc)

    if home:
        tagged = sa.and_(
            _is_set(page.c.reasons, reasons.FOLLOWED_TAG), _follows_tag(viewer, statuses.c.id)
        )
        flags = (
            _bit(_is_set(page.c.reasons, reasons.MENTIONED)).label("mentioned"),
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


def _checked_entries(
    postgres: bool,
    home: bool,
    viewer: sa.BindParameter[int],
    list_id: sa.BindParameter[int],
    has_since: bool,
    has_max: bool,
    has_min: bool,
    asc: bool,
) -> sa.Subquery:
    """The page's entries under the cursor, at most n, each still belonging to the feed."""

    def param(name: str, present: bool) -> sa.BindParameter[int] | None:
        return sa.bindparam(name, type_=sa.BigInteger) if present else None

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
            _is_set(bits, reasons.MENTIONED),
            sa.and_(
                _is_set(bits, reasons.FOLLOWED_TAG), _follows_tag(viewer, feed_entries.c.status_id)
            ),
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
    return ordered(
        entries, feed_entries.c.status_id, asc, sa.bindparam("n", type_=sa.Integer)
    ).subquery("page")


def _follows_tag(viewer: sa.BindParameter[int], status_id: sa.ColumnElement[int]) -> sa.Exists:
    return sa.exists().where(
        status_tags.c.status_id == status_id,
        tag_follows.c.tag_id == status_tags.c.tag_id,
        tag_follows.c.account_id == viewer,
    )


def _is_set(bits: sa.ColumnElement[int], bit: int) -> sa.ColumnElement[bool]:
    return bits.op("&")(bit) != 0
