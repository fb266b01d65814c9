"""Search: accounts by handle, name or profile address, hashtags by name, statuses by text.

Nothing found here can be something the searcher may not see: suspended accounts and accounts
blocked either way never match, and status search only looks among posts the searcher may
see (the visibility rule's SQL form), then passes the hits through the decision pipeline.

Status search reads the full-text index (`search_index`) with Mastodon's operators
(`search_query`), and finds only what Mastodon 4.2 lets be found: public posts of authors who
are `indexable`, and the searcher's own library (posts they wrote, favourited, bookmarked,
boosted or were mentioned in); `in:library` keeps to the latter. Newest first, as Mastodon
orders them when it has no relevance score to give.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Row

from pnyx.core import accounts as core_accounts
from pnyx.core import search_index, search_query, status_views, visibility
from pnyx.core.account_visibility import FOUND, account_visible_condition
from pnyx.core.rows import AccountRow
from pnyx.db.engine import Tx
from pnyx.db.ids import id_floor, parse_id
from pnyx.db.tables import accounts, bookmarks, favourites, follows, mentions, statuses, tags


def _like_prefix(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def is_address(q: str) -> bool:
    return q.startswith(("https://", "http://"))


def _named_by_address(tx: Tx, address: str) -> int | None:
    """The account a pasted profile address names, among those stored here: its ActivityPub
    id (`https://host/users/x`), its profile page (`https://host/@x`, as its server gave it),
    or, on this server, our page of an account elsewhere (`/@x@host`). Only indexed lookups:
    a profile page is matched among the accounts named like its last path segment."""
    by_uri = tx.scalar(sa.select(accounts.c.id).where(accounts.c.uri == address))
    if by_uri is not None:
        return by_uri
    parts = urlsplit(address)
    path = parts.path.rstrip("/")
    here = parts.netloc.lower() == tx.settings.domain.lower()
    if here and path.startswith("/@") and "/" not in path[2:]:
        row = core_accounts.find_by_acct(tx, path[2:])
        return row.id if row is not None else None
    name = path.rsplit("/", 1)[-1].lstrip("@")
    if not core_accounts.USERNAME_RE.match(name):
        return None
    return tx.scalar(
        sa.select(accounts.c.id)
        .where(sa.func.lower(accounts.c.username) == name.lower(), accounts.c.url == address)
        .limit(1)
    )


def search_accounts(
    tx: Tx,
    viewer_id: int | None,
    q: str,
    *,
    limit: int = 20,
    offset: int = 0,
    following: bool = False,
    resolved_id: int | None = None,
) -> Sequence[AccountRow]:
    """Account rows: an exact `user`, `user@domain` or `@user@domain` first, then prefixes.

    A profile address finds the one account it names (Mastodon does the same): `resolved_id`
    is the account the address was resolved to on its server (`resolve=true`), else it is
    looked up among the accounts stored here."""
    q = (q or "").strip()
    term = q.lstrip("@")
    if not term or (following and viewer_id is None):
        return []
    username, _, domain = term.partition("@")

    def allowed(query: sa.Select) -> sa.Select:
        query = query.where(account_visible_condition(FOUND, accounts, viewer_id))
        if following and viewer_id is not None:
            query = query.where(
                sa.exists().where(
                    follows.c.account_id == viewer_id, follows.c.target_account_id == accounts.c.id
                )
            )
        return query

    if is_address(q):
        account_id = resolved_id or _named_by_address(tx, q)
        if account_id is None or offset > 0:
            return []
        return tx.rows(allowed(sa.select(accounts).where(accounts.c.id == account_id)))
    found: list[AccountRow] = []
    exact = core_accounts.find_by_acct(tx, term) if username else None
    if exact is not None and tx.one_or_none(
        allowed(sa.select(accounts.c.id).where(accounts.c.id == exact.id))
    ):
        found.append(exact)
    prefix = _like_prefix(username.lower())
    if domain:
        match = sa.and_(
            sa.func.lower(accounts.c.username).like(prefix, escape="\\"),
            sa.func.lower(sa.func.coalesce(accounts.c.domain, tx.settings.domain)).like(
                _like_prefix(domain.lower()), escape="\\"
            ),
        )
    else:
        match = sa.or_(
            sa.func.lower(accounts.c.username).like(prefix, escape="\\"),
            sa.func.lower(accounts.c.display_name).like(_like_prefix(term.lower()), escape="\\"),
        )
    query = allowed(sa.select(accounts).where(match))
    if exact is not None:
        query = query.where(accounts.c.id != exact.id)
    query = query.order_by(
        accounts.c.domain.is_not(None), accounts.c.followers_count.desc(), accounts.c.id
    )
    # The exact match, if any, is result number 0; prefix matches follow it.
    if found:
        if offset == 0:
            return [*found, *tx.rows(query.limit(limit - 1))] if limit > 1 else found
        return tx.rows(query.offset(offset - 1).limit(limit))
    return tx.rows(query.offset(offset).limit(limit))


def search_hashtags(tx: Tx, q: str, *, limit: int = 20, offset: int = 0) -> list[Row]:
    name = (q or "").strip().lstrip("#").lower()
    if not name:
        return []
    query = (
        sa.select(tags)
        .where(tags.c.name.like(_like_prefix(name), escape="\\"))
        .order_by((tags.c.name == name).desc(), sa.func.length(tags.c.name), tags.c.name)
        .offset(offset)
        .limit(limit)
    )
    return tx.rows(query)


def search_statuses(
    tx: Tx,
    viewer_id: int,
    q: str,
    *,
    limit: int = 20,
    offset: int = 0,
    account_id: int | None = None,
    max_id: int | None = None,
    min_id: int | None = None,
) -> list[int]:
    """Ids of posts matching `q` (see `search_query` for its operators), newest first, among
    those the viewer may find and see; a post's address finds that post."""
    q = (q or "").strip()
    if not q:
        return []
    if is_address(q):
        # A post's address: its ActivityPub id (indexed), or our own web URL, which ends in
        # the status id. Never a text scan.
        by_address = tx.scalars(sa.select(statuses.c.id).where(statuses.c.uri == q).limit(1))
        local_prefix = f"{tx.settings.base_url}/@"
        if not by_address and q.startswith(local_prefix):
            status_id = parse_id(q.rsplit("/", 1)[-1])
            if status_id is not None:
                by_address = [status_id]
        if offset > 0 or not by_address:
            return []
        return status_views.load(tx, by_address, viewer_id).visible
    parsed = search_query.parse(q)
    if parsed.empty or parsed.impossible:
        return []
    asked = _asked(tx, viewer_id, parsed, account_id)
    if asked is None:
        return []
    wanted, days = asked
    if wanted.drives:
        # The index finds the candidates, newest first; each is checked against the rest.
        key = search_index.id_column(tx)
        query = sa.select(key).select_from(
            search_index.index_table(tx).join(statuses, statuses.c.id == key)
        )
    else:
        # The newest posts, walked by id. (Not `reblog_of_id IS NULL`, which SQLite answers
        # from the boosts' index, then sorts every post by id.)
        key = statuses.c.id
        query = sa.select(key).where(sa.func.coalesce(statuses.c.reblog_of_id, 0) == 0)
    query = query.where(
        *search_index.conditions(tx, wanted),
        *_days(key, days),
        _findable(viewer_id, parsed.scope),
        visibility.visible_condition(statuses, viewer_id),
    )
    if max_id is not None:
        query = query.where(key < max_id)
    if min_id is not None:
        query = query.where(key > min_id)
    if tx.is_postgres:
        # The plan walks the newest posts and stops at `limit`, but its estimated cost is
        # that of walking them all, past jit_above_cost: compiling it took ~400 ms of a
        # 60 ms search (BENCHMARKS.md). For this transaction only.
        tx.execute(sa.text("SET LOCAL jit = off"))
    ids = tx.scalars(query.order_by(key.desc()).offset(offset).limit(limit))
    return status_views.load(tx, ids, viewer_id, hide_muted=True).visible


def _library(viewer_id: int) -> sa.ColumnElement[bool]:
    """Posts in the viewer's library: written, favourited, bookmarked, boosted by them, or
    naming them. Each test is one indexed probe per candidate post."""
    boosts = statuses.alias("boosts")
    return sa.or_(
        statuses.c.account_id == viewer_id,
        sa.exists().where(
            favourites.c.status_id == statuses.c.id, favourites.c.account_id == viewer_id
        ),
        sa.exists().where(
            bookmarks.c.account_id == viewer_id, bookmarks.c.status_id == statuses.c.id
        ),
        sa.exists().where(boosts.c.reblog_of_id == statuses.c.id, boosts.c.account_id == viewer_id),
        sa.exists().where(
            mentions.c.status_id == statuses.c.id, mentions.c.account_id == viewer_id
        ),
    )


def _findable(viewer_id: int, scope: str) -> sa.ColumnElement[bool]:
    """Who may be found (Mastodon 4.2): public posts of authors who let themselves be
    indexed, and whatever is in the viewer's library; `scope` (in:) may keep to either."""
    if scope == "library":
        return _library(viewer_id)
    indexed = sa.and_(
        statuses.c.visibility == "public",
        sa.exists().where(accounts.c.id == statuses.c.account_id, accounts.c.indexable.is_(True)),
    )
    if scope == "public":
        return indexed
    return sa.or_(indexed, _library(viewer_id))


# has: and is: values, as the facets of the index (each value is its own facet).
_FACETS: dict[str, dict[str, str]] = {"has": {}, "is": {}}


def _facet(tx: Tx, viewer_id: int, f: search_query.Filter) -> str | None:
    """The index facet an operator asks for, or None when it can match nothing."""
    if f.name == "from":
        if f.value.lower() in ("me", "@me"):
            return search_index.author_facet(viewer_id)
        author = core_accounts.find_by_acct(tx, f.value)
        return search_index.author_facet(author.id) if author is not None else None
    if f.name == "language":
        return search_index.language_facet(f.value)
    return _FACETS[f.name].get(f.value, f.value)


def _asked(
    tx: Tx, viewer_id: int, parsed: search_query.Query, account_id: int | None
) -> tuple[search_index.Wanted, list[search_query.Filter]] | None:
    """What the query asks of the index, and its date operators; None: nothing can match."""
    facets: list[str] = []
    not_facets: list[str] = []
    days: list[search_query.Filter] = []
    if account_id is not None:
        facets.append(search_index.author_facet(account_id))
    for f in parsed.filters:
        if f.name in ("before", "after", "during"):
            days.append(f)
            continue
        facet = _facet(tx, viewer_id, f)
        if facet is None:
            if f.negated:
                continue
            return None
        (not_facets if f.negated else facets).append(facet)
    wanted = search_index.Wanted(
        text=[*parsed.words, *parsed.phrases],
        not_text=parsed.excluded,
        facets=facets,
        not_facets=not_facets,
    )
    return wanted, days


def _days(
    key: sa.ColumnElement[int], days: list[search_query.Filter]
) -> list[sa.ColumnElement[bool]]:
    """Date operators as ranges of ids (ids are made from their post's time), on `key`: the
    index's own id column when it drives, so the range narrows its walk."""
    found = []
    for f in days:
        day = search_query.parse_day(f.value)
        start, end = id_floor(day), id_floor(day + timedelta(days=1))
        if f.name == "before":
            condition = key < start
        elif f.name == "after":
            condition = key >= end
        else:
            condition = sa.and_(key >= start, key < end)
        found.append(sa.not_(condition) if f.negated else condition)
    return found
