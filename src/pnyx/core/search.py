"""Search: accounts by handle, name or profile address, hashtags by name, statuses by text.

Nothing found here can be something the searcher may not see: suspended accounts and accounts
blocked either way never match, and status search only looks among posts the searcher may
see (the visibility rule's SQL form), then passes the hits through the decision pipeline. Status
text search is a bounded scan over the newest posts, not a full-text index: good enough for a
small instance, and it can never turn into a whole-table scan on a large one.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Row

from pnyx.core import accounts as core_accounts
from pnyx.core import status_views, visibility
from pnyx.core.account_visibility import FOUND, account_visible_condition
from pnyx.core.rows import AccountRow
from pnyx.db.engine import Tx
from pnyx.db.ids import parse_id
from pnyx.db.tables import accounts, follows, statuses, tags

# Newest posts looked at by one status search.
STATUS_SCAN = 10_000


def _like_prefix(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def _like_anywhere(text: str) -> str:
    return "%" + _like_prefix(text)


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
) -> list[int]:
    """Ids of posts whose text contains every word of `q`, among those the viewer may see."""
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
    words = [w.lower() for w in q.split() if w][:8]
    recent = sa.select(statuses.c.id, statuses.c.text, statuses.c.spoiler_text).where(
        statuses.c.reblog_of_id.is_(None), visibility.visible_condition(statuses, viewer_id)
    )
    if account_id is not None:
        recent = recent.where(statuses.c.account_id == account_id)
    scanned = recent.order_by(statuses.c.id.desc()).limit(STATUS_SCAN).subquery("recent")
    haystack = sa.func.lower(scanned.c.text + " " + scanned.c.spoiler_text)
    query = sa.select(scanned.c.id).where(
        *[haystack.like(_like_anywhere(w), escape="\\") for w in words]
    )
    ids = tx.scalars(query.order_by(scanned.c.id.desc()).offset(offset).limit(limit))
    return status_views.load(tx, ids, viewer_id).visible
