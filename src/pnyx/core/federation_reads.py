"""What the ActivityPub side reads of this server, as core functions: local actors and the
posts, follower lists, outbox and pinned posts their documents serve; accounts and posts by
id, name or uri for rendering and delivering activities; which actor uris are known already;
whose key signed a request.

Federation calls these and converts rows to ActivityStreams; it runs no SQL of its own. What
anyone may see is decided by `core.visibility`, as for every other surface.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urldefrag

import sqlalchemy as sa
from sqlalchemy.engine import Row

from pnyx.core import keys, remote_store, status_views
from pnyx.core import visibility as core_visibility
from pnyx.core.account_visibility import ACTIVE, KNOWN, account_visible_condition
from pnyx.core.rows import AccountRow, StatusRow
from pnyx.db.engine import Tx
from pnyx.db.tables import accounts, follows, quotes, reports, status_pins, statuses

FOLLOWS_PER_PAGE = 40  # as Mastodon
OUTBOX_PAGE = 20
USERNAME = re.compile(r"[A-Za-z0-9_]{1,64}")


# --- accounts -----------------------------------------------------------------------------


def account(tx: Tx, account_id: int) -> AccountRow | None:
    """An account row (local or remote), or None."""
    return tx.one_or_none(sa.select(accounts).where(accounts.c.id == account_id))


def local_account(tx: Tx, username: str) -> Row | None:
    """A local account by name (any case), with the uri of the account it moved to; None when
    unknown or a sign-up still waiting for approval. Suspended accounts are returned."""
    if not USERNAME.fullmatch(username):
        return None  # not a name we could have given (and no NUL for PostgreSQL to choke on)
    moved = accounts.alias("moved")
    return tx.one_or_none(
        sa.select(accounts, moved.c.uri.label("moved_to_uri"))
        .outerjoin(moved, moved.c.id == accounts.c.moved_to_account_id)
        .where(
            sa.func.lower(accounts.c.username) == username.lower(),
            accounts.c.domain.is_(None),
            account_visible_condition(KNOWN),
        )
    )


def local_account_with_key(tx: Tx, username: str) -> Row | None:
    """The same row, after making the account's key pair if it had none yet."""
    row = local_account(tx, username)
    if row is not None and not row.public_key_pem:
        keys.ensure_keypair(tx, row.id)
        row = local_account(tx, username)
    return row


def discoverable_local(tx: Tx, username: str) -> Row | None:
    """A local account others may find by name (WebFinger): not pending, not suspended."""
    return tx.one_or_none(
        sa.select(accounts.c.username, accounts.c.uri, accounts.c.url).where(
            sa.func.lower(accounts.c.username) == username.lower(),
            accounts.c.domain.is_(None),
            account_visible_condition(ACTIVE),
        )
    )


def remote_id(tx: Tx, username: str, domain: str) -> int | None:
    """The id of the remote account `username@domain` (name in any case), if known."""
    return tx.scalar(
        sa.select(accounts.c.id).where(
            sa.func.lower(accounts.c.username) == username.lower(), accounts.c.domain == domain
        )
    )


def local_account_id(tx: Tx, uri: str | None) -> int | None:
    """The id of the local account whose actor uri this is; None for a remote or unknown
    uri (or none): what a Follow, Block or Flag from elsewhere names."""
    if not uri:
        return None
    return tx.scalar(
        sa.select(accounts.c.id).where(accounts.c.uri == uri, accounts.c.domain.is_(None))
    )


# Built once: every inbox POST looks its signer up by key id, and building a statement costs
# as much as running it.
_BY_KEY_ID = sa.select(accounts).where(accounts.c.public_key_id == sa.bindparam("key")).limit(1)


def key_owner(tx: Tx, key_id: str) -> AccountRow | None:
    """The remote account that owns the signing key `key_id`, when we hold its key: by its
    recorded key id, or (Mastodon's habit of `actor#main-key`) by the actor uri the key id
    starts with. None for a local account or one without a key."""
    row: AccountRow | None = tx.execute(_BY_KEY_ID, {"key": key_id}).first()
    if row is None:
        row = remote_store.account_by_uri(tx, urldefrag(key_id).url)
    if row is None or row.domain is None or not row.public_key_pem:
        return None
    return row


def ids_by_uri(tx: Tx, uris: list[str]) -> list[int]:
    """Ids of the accounts (local or remote) known under these actor uris."""
    if not uris:
        return []
    return list(tx.scalars(sa.select(accounts.c.id).where(accounts.c.uri.in_(uris))))


def known_uris(tx: Tx, uris: list[str]) -> set[str]:
    """Which of these actor uris belong to an account we know."""
    if not uris:
        return set()
    return set(tx.scalars(sa.select(accounts.c.uri).where(accounts.c.uri.in_(uris))))


@dataclass(frozen=True)
class Signer:
    uri: str
    private_key_pem: str | None


def signing_key(tx: Tx, account_id: int | None) -> Signer | None:
    """The actor that signs a delivery: an account (None when it is gone), or, for
    `account_id` None, the instance actor, which speaks for the server itself (a forwarded
    report names no reporter)."""
    if account_id is None:
        return Signer(f"{tx.settings.base_url}/actor", keys.instance_keypair(tx).private_pem)
    row = tx.one_or_none(
        sa.select(accounts.c.uri, accounts.c.private_key_pem).where(accounts.c.id == account_id)
    )
    return Signer(row.uri, row.private_key_pem) if row is not None else None


@dataclass(frozen=True)
class ForwardedReport:
    target: AccountRow
    comment: str
    status_uris: list[str]


def report_to_forward(tx: Tx, report_id: int) -> ForwardedReport | None:
    """A report filed here about an account of another server, with what it cites, for that
    server's moderators; None when there is nothing to send."""
    report = tx.one_or_none(sa.select(reports).where(reports.c.id == report_id))
    if report is None or not report.forwarded:
        return None
    target = account(tx, report.target_account_id)
    if target is None or target.domain is None:
        return None
    cited = list(report.status_ids or [])
    status_uris = (
        tx.scalars(
            sa.select(statuses.c.uri)
            .where(statuses.c.id.in_(cited), statuses.c.account_id == target.id)
            .order_by(statuses.c.id)
        )
        if cited
        else []
    )
    return ForwardedReport(target, report.comment or "", list(status_uris))


# --- statuses -----------------------------------------------------------------------------


def status(tx: Tx, status_id: int) -> StatusRow | None:
    """A status row, or None."""
    return tx.one_or_none(sa.select(statuses).where(statuses.c.id == status_id))


def quote_stamp(tx: Tx, username: str, quote_id: int) -> dict[str, str] | None:
    """What the QuoteAuthorization of one quote of a local account's post says: its id, the
    author, the quoting and the quoted post; None when there is none (never given, revoked,
    or the quoted post gone)."""
    author = local_account(tx, username)
    if author is None or author.suspended_at is not None:
        return None
    row = tx.one_or_none(
        sa.select(quotes.c.approval_uri, quotes.c.quoted_uri, statuses.c.uri)
        .join(statuses, statuses.c.id == quotes.c.status_id)
        .where(
            quotes.c.id == quote_id,
            quotes.c.quoted_account_id == author.id,
            quotes.c.state == "accepted",
            quotes.c.quoted_status_id.is_not(None),
            quotes.c.approval_uri.is_not(None),
        )
    )
    if row is None:
        return None
    return {
        "id": row.approval_uri,
        "author": author.uri,
        "quoting": row.uri,
        "quoted": row.quoted_uri,
    }


def published(tx: Tx, status_ids: list[int]) -> status_views.StatusBundle:
    """The statuses as servers read them: the bundle `status_views.load` gives anyone, plus
    the uri of the post each one answers (a Note's `inReplyTo`). Rows are in the bundle
    whoever may see them: the caller decides for whom it renders them."""
    bundle = status_views.load(tx, list(dict.fromkeys(status_ids)), None)
    status_views.load_parent_uris(tx, bundle)
    return bundle


def served_status(
    tx: Tx, username: str, status_id: int
) -> tuple[Row, status_views.StatusBundle] | None:
    """(author, bundle) for a status of this local account that is a post (not a boost) by
    an author who is not suspended; None otherwise."""
    author = local_account(tx, username)
    if author is None or author.suspended_at is not None:
        return None
    bundle = published(tx, [status_id])
    row = bundle.statuses.get(status_id)
    if row is None or row.account_id != author.id or row.reblog_of_id is not None:
        return None
    return author, bundle


# --- collections --------------------------------------------------------------------------


def follow_page(tx: Tx, account_id: int, kind: str, page: int) -> tuple[list[str], bool]:
    """Actor uris on one page of followers (kind "followers") or following, newest first,
    and whether another page follows. Suspended and pending accounts are left out."""
    if kind == "followers":
        mine, theirs = follows.c.target_account_id, follows.c.account_id
    else:
        mine, theirs = follows.c.account_id, follows.c.target_account_id
    rows = tx.scalars(
        sa.select(accounts.c.uri)
        .select_from(follows.join(accounts, accounts.c.id == theirs))
        .where(mine == account_id, account_visible_condition(ACTIVE))
        .order_by(follows.c.id.desc())
        .offset((page - 1) * FOLLOWS_PER_PAGE)
        .limit(FOLLOWS_PER_PAGE + 1)
    )
    return rows[:FOLLOWS_PER_PAGE], len(rows) > FOLLOWS_PER_PAGE


def outbox_page(
    tx: Tx, account_id: int, max_id: int | None, min_id: int | None
) -> tuple[list[int], status_views.StatusBundle]:
    """Ids (newest first) and bundle of the account's newest public and unlisted posts
    (boosts left out: their Announce activities are not published here yet)."""
    query = sa.select(statuses.c.id).where(
        statuses.c.account_id == account_id,
        core_visibility.visible_condition(statuses, None),  # what anyone may see
        statuses.c.reblog_of_id.is_(None),
    )
    if min_id is not None:
        ids = tx.scalars(
            query.where(statuses.c.id > min_id).order_by(statuses.c.id).limit(OUTBOX_PAGE)
        )
        ids.reverse()
    else:
        if max_id is not None:
            query = query.where(statuses.c.id < max_id)
        ids = tx.scalars(query.order_by(statuses.c.id.desc()).limit(OUTBOX_PAGE))
    bundle = published(tx, ids)
    return [i for i in ids if i in bundle.statuses], bundle


def featured(tx: Tx, account_id: int) -> tuple[list[int], status_views.StatusBundle]:
    """Ids and bundle of the account's pinned public and unlisted posts, most recently
    pinned first."""
    ids = tx.scalars(
        sa.select(statuses.c.id)
        .join(status_pins, status_pins.c.status_id == statuses.c.id)
        .where(
            status_pins.c.account_id == account_id,
            statuses.c.account_id == account_id,
            core_visibility.visible_condition(statuses, None),  # what anyone may see
            statuses.c.reblog_of_id.is_(None),
        )
        .order_by(status_pins.c.id.desc())
    )
    bundle = published(tx, ids)
    return [i for i in ids if i in bundle.statuses], bundle
