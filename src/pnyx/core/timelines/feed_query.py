"""The one query a feed page (home or a list) is read with: the feed's entries under the
cursor (a list's each still by a member; whether a home entry's author is still followed,
the home rules check from the viewer's rules in memory, and whether its hashtag still is,
a column here), joined with their posts and with what would otherwise cost a query each:
the render versions of the posts and their authors (`presenters.status_json`), what the
rules ask (suspensions, servers, mentions of the viewer: `visibility.ReadFacts`), and the
viewer's marks on what each entry shows.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from pnyx.core import decisions
from pnyx.core.feeds import reasons
from pnyx.core.timelines.candidates import bounded, ordered
from pnyx.core.timelines.home_timeline import AUTHORED, HOME_COLUMNS, ORIGINAL
from pnyx.core.visibility import PUBLIC_VISIBILITIES, ReadFacts
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


_NOTHING = ReadFacts()


def facts_of(row: Any) -> ReadFacts:
    """What the rules would ask about an entry's post, from the columns read with it."""
    if not (
        row.author_suspended
        or row.author_domain is not None
        or row.mentions_me
        or row.original_account_id is not None
    ):
        return _NOTHING  # a local author's public post, not a boost: most of a page
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


def _constant(value: int | str) -> sa.ColumnElement[Any]:
    """A constant written into the statement: the page's query has dozens, and each bound
    parameter is a value to pass (and process) on every run."""
    return sa.literal_column(repr(value) if isinstance(value, str) else str(value))


_ONE, _ZERO = _constant(1), _constant(0)


def _probe(table: sa.FromClause, *where: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    """Whether a row matches (1 or 0), as a lookup per row: a scalar subquery with LIMIT 1,
    which PostgreSQL runs as an index probe for each of the page's rows where it would turn
    an EXISTS into a hash of every matching row of the viewer's (all their favourites, say)."""
    found = sa.select(_ONE).select_from(table).where(*where).limit(_ONE).scalar_subquery()
    return _bit(found.is_not(None))


def _bit(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    """A condition as 1 or 0: read as it comes, with no result processor to run per row
    (a page reads a dozen such columns of each of its rows)."""
    return sa.case((condition, _ONE), else_=_ZERO)


def viewer_marks(viewer: sa.BindParameter[int]) -> sa.ColumnElement[int]:
    """The viewer's marks (`decisions.FAVOURITED`...) on what an entry shows (the boosted
    post, for a boost), as one integer column: three index probes a row, and a fourth for
    the viewer's own posts (only those can be pinned, and only theirs show `pinned`)."""
    shown = sa.func.coalesce(statuses.c.reblog_of_id, statuses.c.id)
    shown_author = sa.func.coalesce(ORIGINAL.c.account_id, statuses.c.account_id)
    boost = statuses.alias("own_boost")

    def bit(value: int, table: sa.FromClause, who: Any, what: Any) -> sa.ColumnElement[int]:
        return _probe(table, who == viewer, what == shown) * _constant(value)

    pinned = bit(decisions.PINNED, status_pins, status_pins.c.account_id, status_pins.c.status_id)
    return (
        bit(decisions.FAVOURITED, favourites, favourites.c.account_id, favourites.c.status_id)
        + bit(decisions.REBLOGGED, boost, boost.c.account_id, boost.c.reblog_of_id)
        + bit(decisions.BOOKMARKED, bookmarks, bookmarks.c.account_id, bookmarks.c.status_id)
        + sa.case((shown_author == viewer, pinned), else_=_ZERO)
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

    On PostgreSQL in two steps: the page's entries (at most n; a list's each checked), then
    what is read with each of them. So it plans the second step for n rows (index lookups, a
    probe per row for each mark), not for the viewer's whole feed (hash tables of all the
    viewer's boosts or mentions). SQLite runs any such join as lookups row by row, and one
    step costs it less (BENCHMARKS.md, issue 11, session 10)."""
    viewer = sa.bindparam("viewer", type_=sa.BigInteger)
    list_id = sa.bindparam("list_id", type_=sa.BigInteger)
    shape = (has_since, has_max, has_min, asc)
    if postgres:
        page: Any = _checked_entries(home, viewer, list_id, *shape)
        tail: list[sa.ColumnElement[bool]] = []
    else:
        page = feed_entries
        tail = (
            [sa.not_(_reply_to_unfollowed(feed_entries, statuses, viewer))]
            if home
            else [_in_list(list_id, statuses.c.account_id)]
        )
    query = sa.select(*HOME_COLUMNS, *_read_with(page, home, viewer, marks)).select_from(
        page.join(statuses, statuses.c.id == page.c.status_id)
        .join(AUTHOR, AUTHOR.c.id == statuses.c.account_id)
        .outerjoin(ORIGINAL, ORIGINAL.c.id == statuses.c.reblog_of_id)
        .outerjoin(ORIGINAL_AUTHOR, ORIGINAL_AUTHOR.c.id == ORIGINAL.c.account_id)
    )
    if postgres:
        return query.order_by(page.c.status_id.asc() if asc else page.c.status_id.desc())
    return _under_cursor(query.where(*_of_feed(viewer, list_id), *tail), *shape)


def _read_with(
    page: Any, home: bool, viewer: sa.BindParameter[int], marks: bool
) -> list[sa.ColumnElement[Any]]:
    """The columns read with each entry's post besides the rules' own (`HOME_COLUMNS`)."""
    if home:
        tagged = sa.and_(
            _is_set(page.c.reasons, reasons.FOLLOWED_TAG), _follows_tag(viewer, statuses.c.id)
        )
        flags = [
            _bit(_is_set(page.c.reasons, reasons.MENTIONED)).label("mentioned"),
            _bit(tagged).label("tagged"),
        ]
    else:
        flags = [_ZERO.label("mentioned"), _ZERO.label("tagged")]

    def mentions_me(status: sa.FromClause) -> sa.ColumnElement[int]:
        """Only where it matters (`visibility.MENTIONED`): a post not public nor unlisted."""
        closed = sa.and_(*(status.c.visibility != _constant(v) for v in PUBLIC_VISIBILITIES))
        mentioned = mentions.c.status_id == status.c.id, mentions.c.account_id == viewer
        return sa.case((closed, _probe(mentions, *mentioned)), else_=_ZERO)

    return [
        _constant(AUTHORED).label("addressed"),
        *flags,
        statuses.c.render_version,
        ORIGINAL.c.render_version.label("original_render_version"),
        AUTHOR.c.render_version.label("author_render_version"),
        ORIGINAL_AUTHOR.c.render_version.label("original_author_render_version"),
        # What `visibility.load_context` would ask (`facts_of`).
        _bit(AUTHOR.c.suspended_at.is_not(None)).label("author_suspended"),
        AUTHOR.c.domain.label("author_domain"),
        _bit(ORIGINAL_AUTHOR.c.suspended_at.is_not(None)).label("original_author_suspended"),
        ORIGINAL_AUTHOR.c.domain.label("original_author_domain"),
        mentions_me(statuses).label("mentions_me"),
        mentions_me(ORIGINAL).label("original_mentions_me"),
        (viewer_marks(viewer) if marks else sa.null()).label("marks"),
    ]


def _checked_entries(
    home: bool,
    viewer: sa.BindParameter[int],
    list_id: sa.BindParameter[int],
    has_since: bool,
    has_max: bool,
    has_min: bool,
    asc: bool,
) -> sa.Subquery:
    """PostgreSQL's first step: the page's entries under the cursor, at most n; a list's
    each still by a member (its author looked up LATERAL: OFFSET 0 keeps PostgreSQL from
    pulling the lookup up into a plain join, which it would plan as a merge with a backward
    walk of every recent status)."""
    entries = sa.select(feed_entries.c.status_id, feed_entries.c.reasons)
    if home:
        post = statuses.alias("post")
        shown = (
            sa.select(_ONE)
            .where(post.c.id == feed_entries.c.status_id)
            .where(sa.not_(_reply_to_unfollowed(feed_entries, post, viewer)))
            .offset(_ZERO)
            .lateral("shown")
        )
        entries = entries.select_from(feed_entries.join(shown, sa.true())).where(
            *_of_feed(viewer, list_id, _opaque("floor", sa.BigInteger))
        )
    else:
        author_of = sa.select(statuses.c.account_id).where(
            statuses.c.id == feed_entries.c.status_id
        )
        checked = author_of.offset(_ZERO).lateral("checked")
        entries = (
            entries.select_from(feed_entries.join(checked, sa.true()))
            .where(*_of_feed(viewer, list_id, _opaque("floor", sa.BigInteger)))
            .where(_in_list(list_id, checked.c.account_id))
        )
    shape = (has_since, has_max, has_min, asc)
    return _under_cursor(entries, *shape, opaque=True).subquery("page")


def _of_feed(
    viewer: sa.BindParameter[int],
    list_id: sa.BindParameter[int],
    floor: sa.ColumnElement[int] | None = None,
) -> list[sa.ColumnElement[bool]]:
    """The viewer's entries of this feed, down to its floor."""
    return [
        feed_entries.c.viewer_id == viewer,
        feed_entries.c.list_id == list_id,
        feed_entries.c.status_id
        >= (floor if floor is not None else sa.bindparam("floor", type_=sa.BigInteger)),
    ]


def _opaque(name: str, type_: Any) -> sa.ScalarSelect[Any]:
    """A parameter PostgreSQL's planner does not look into (`(SELECT $1)`, run once).

    psycopg prepares a statement run often, and PostgreSQL then plans it either for each
    run's values or once for any (the generic plan), which it keeps only while that costs no
    more than the plans made for the values. Planning this statement costs twice as much as
    running it (~1 ms against ~0.4 with its probes and subqueries). A feed's floor and page
    size made the plans for the values look cheaper (a floor estimated under every entry, a
    limit of exactly n), so whether PostgreSQL kept planning every page depended on the
    first pages it saw. Hidden, both plans are estimated alike, and the generic one is kept;
    the floor still bounds the index scan."""
    return sa.select(sa.bindparam(name, type_=type_)).scalar_subquery()


def _reply_to_unfollowed(
    entry: Any, post: sa.FromClause, viewer: sa.BindParameter[int]
) -> sa.ColumnElement[bool]:
    """A home entry the home rules would surely hide as a reply into a conversation the
    viewer is not part of (`home_timeline.feed_choices`): not the viewer's own post nor a
    boost, not naming the viewer nor carrying a hashtag they follow, a reply to someone else
    than its author and the viewer, whom the viewer does not follow. Left out by the query
    (a probe for replies only), so the page's rows are those it will show and it asks for
    few more than it shows (`FEED_OVERFETCH`); the rules still decide every row read."""
    replied_to = post.c.in_reply_to_account_id
    followed = sa.exists().where(
        follows.c.account_id == viewer, follows.c.target_account_id == replied_to
    )
    return sa.and_(
        replied_to.is_not(None),
        post.c.reblog_of_id.is_(None),
        post.c.account_id != viewer,
        replied_to != post.c.account_id,
        replied_to != viewer,
        entry.c.reasons.op("&")(_constant(reasons.MENTIONED | reasons.FOLLOWED_TAG)) == _ZERO,
        sa.not_(followed),
    )


def _in_list(list_id: sa.BindParameter[int], author: sa.ColumnElement[int]) -> sa.Exists:
    """A list's entry still belongs while its author is a member. (A home entry still
    belongs while its author is followed, or it names the viewer, or it has a hashtag they
    follow: the home rules check that from the viewer's rules in memory, `feed_choices`.)"""
    return sa.exists().where(
        list_accounts.c.list_id == list_id, list_accounts.c.account_id == author
    )


def _under_cursor(
    query: sa.Select,
    has_since: bool,
    has_max: bool,
    has_min: bool,
    asc: bool,
    *,
    opaque: bool = False,
) -> sa.Select:
    """`query` between the page's cursors, ordered by entry, n rows (`opaque`: parameters
    PostgreSQL plans for without their values, `_opaque`)."""

    def param(name: str, type_: Any = sa.BigInteger) -> Any:
        return _opaque(name, type_) if opaque else sa.bindparam(name, type_=type_)

    query = bounded(
        query,
        feed_entries.c.status_id,
        param("max_id") if has_max else None,
        param("since_id") if has_since else None,
        param("min_id") if has_min else None,
    )
    return ordered(query, feed_entries.c.status_id, asc, param("n", sa.Integer))


def _follows_tag(viewer: sa.BindParameter[int], status_id: sa.ColumnElement[int]) -> sa.Exists:
    return sa.exists().where(
        status_tags.c.status_id == status_id,
        tag_follows.c.tag_id == status_tags.c.tag_id,
        tag_follows.c.account_id == viewer,
    )


def _is_set(bits: sa.ColumnElement[int], bit: int) -> sa.ColumnElement[bool]:
    return bits.op("&")(_constant(bit)) != _ZERO
