"""Who must receive a local post, an interaction or a profile change: the inboxes of exactly
the servers that may see it. The rule lives here, beside the visibility rule, so that what is
sent out and what is shown agree; federation signs and posts to what this returns.

- followers of the author (one POST per server: its shared inbox when it has one) for public,
  unlisted and followers-only posts;
- the remote accounts a post mentions (their own inbox unless the server already gets it);
- the remote author of the post being replied to, boosted or liked;
- direct posts: the mentioned accounts only.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Row

from pnyx.core.rows import StatusRow
from pnyx.db.engine import Tx
from pnyx.db.tables import accounts, follows, mentions, poll_votes, polls


def _inbox(row: Row) -> str | None:
    return row.shared_inbox_url or row.inbox_url


def follower_inboxes(tx: Tx, account_id: int) -> set[str]:
    """One inbox per server among the account's remote followers."""
    rows = tx.rows(
        sa.select(accounts.c.domain, accounts.c.inbox_url, accounts.c.shared_inbox_url)
        .join(follows, follows.c.account_id == accounts.c.id)
        .where(
            follows.c.target_account_id == account_id,
            accounts.c.domain.is_not(None),
            accounts.c.suspended_at.is_(None),
        )
    )
    chosen: dict[str, str] = {}
    personal: set[str] = set()
    for row in rows:
        if row.shared_inbox_url:
            chosen.setdefault(row.domain, row.shared_inbox_url)
        elif row.inbox_url:
            personal.add(row.inbox_url)
    return set(chosen.values()) | personal


def account_inboxes(tx: Tx, account_ids: Iterable[int], *, shared: bool = True) -> set[str]:
    """The inboxes of these remote accounts (local ones are skipped)."""
    ids = [i for i in set(account_ids) if i]
    if not ids:
        return set()
    rows = tx.rows(
        sa.select(accounts.c.inbox_url, accounts.c.shared_inbox_url).where(
            accounts.c.id.in_(ids),
            accounts.c.domain.is_not(None),
            accounts.c.suspended_at.is_(None),
        )
    )
    found = set()
    for row in rows:
        inbox = _inbox(row) if shared else row.inbox_url
        if inbox:
            found.add(inbox)
    return found


def for_post(
    tx: Tx,
    author_id: int,
    visibility: str,
    *,
    mentioned_ids: Iterable[int] = (),
    also_ids: Iterable[int] = (),
) -> set[str]:
    """Inboxes for a post (or its update or deletion) with this visibility. Shared inboxes
    collapse into one entry per server. A direct post goes to each mentioned account's own
    inbox: nothing about it is for the rest of their server."""
    if visibility == "direct":
        return account_inboxes(tx, mentioned_ids, shared=False)
    inboxes = follower_inboxes(tx, author_id)
    inboxes |= account_inboxes(tx, mentioned_ids)
    inboxes |= account_inboxes(tx, also_ids)
    return inboxes


def mentioned_ids(tx: Tx, status_id: int) -> list[int]:
    """Accounts a post names, in the order it names them; silent mentions are bookkeeping,
    not addressing, and are left out."""
    return tx.scalars(
        sa.select(mentions.c.account_id)
        .where(mentions.c.status_id == status_id, mentions.c.silent.is_(False))
        .order_by(mentions.c.id)
    )


def for_status(tx: Tx, status: StatusRow) -> set[str]:
    """Inboxes for a stored post (a Create, an Update): its followers' servers, whom it
    mentions, and the author of the post it answers."""
    also = [status.in_reply_to_account_id] if status.in_reply_to_account_id else []
    return for_post(
        tx,
        status.account_id,
        status.visibility,
        mentioned_ids=mentioned_ids(tx, status.id),
        also_ids=also,
    )


def voters(tx: Tx, status_id: int) -> list[int]:
    """Accounts that voted in the poll of this post (the update of its counts reaches them)."""
    return tx.scalars(
        sa.select(poll_votes.c.account_id)
        .join(polls, polls.c.id == poll_votes.c.poll_id)
        .where(polls.c.status_id == status_id)
        .distinct()
    )
