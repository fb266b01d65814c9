"""A person's blocks of whole servers (Mastodon's user domain blocks).

Blocking a server hides its accounts from the blocker as a mute does, and more: their posts
(and boosts of them) leave the blocker's timelines and threads, through the `muted` step of
`core.decisions`, whose fact (`visibility.AUTHOR_DOMAIN_BLOCKED`) has a Python and a SQL form;
their notifications are neither made nor shown (`account_visibility.DOMAIN_BLOCKED`, in
`MAY_NOTIFY` and `NOTIFYING`). As Mastodon's AfterBlockDomainFromAccountService does, the
block ends follows both ways at once: the blocker unfollows that server's accounts (and
withdraws requests to them), its accounts that followed the blocker are removed as followers,
and their pending requests are rejected; those servers are told, as for each one by hand.
When follows ended so, the blocker is told how many (`core.severances`: a
`severed_relationships` notification, as Mastodon 4.3).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from pnyx.core import follows, severances
from pnyx.core.errors import Invalid
from pnyx.core.paging import Page, fetch
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.insert_ignore import insert_ignore
from pnyx.db.tables import account_domain_blocks, accounts, follow_requests
from pnyx.db.tables import follows as follows_table

MAX_DOMAIN_CHARS = 253


def normalize(raw: str | None) -> str:
    """A server name as stored: lowercase, IDNA, without scheme, path or trailing dot (a URL
    or `@user@host` handle pasted in works too)."""
    text = (raw or "").strip()
    if "://" in text:
        text = urlsplit(text).netloc
    text = text.rsplit("@", 1)[-1].strip().rstrip(".").lower()
    if not text:
        raise Invalid("Domain can't be blank")
    try:
        text = text.encode("idna").decode("ascii")
    except UnicodeError:
        raise Invalid("Domain is invalid") from None
    host = text.rsplit(":", 1)[0] if text.count(":") == 1 else text
    if len(text) > MAX_DOMAIN_CHARS or not host or any(c in host for c in " /?#"):
        raise Invalid("Domain is invalid")
    return text


def block(tx: Tx, account_id: int, raw_domain: str | None) -> str:
    """Block a server; returns its normalized name. Blocking it again changes nothing."""
    domain = normalize(raw_domain)
    if domain == tx.settings.domain.lower():
        raise Invalid("Domain is invalid")
    added = insert_ignore(
        tx,
        account_domain_blocks,
        {"id": new_id(), "account_id": account_id, "domain": domain, "created_at": tx.now},
    )
    if added:
        _sever(tx, account_id, domain)
    return domain


def _sever(tx: Tx, account_id: int, domain: str) -> None:
    there = sa.select(accounts.c.id).where(accounts.c.domain == domain)
    followed = tx.scalars(
        sa.union(
            sa.select(follows_table.c.target_account_id).where(
                follows_table.c.account_id == account_id,
                follows_table.c.target_account_id.in_(there),
            ),
            sa.select(follow_requests.c.target_account_id).where(
                follow_requests.c.account_id == account_id,
                follow_requests.c.target_account_id.in_(there),
            ),
        )
    )
    lost = severances.Losses()
    for target_id in followed:
        if follows.is_following(tx, account_id, target_id):
            lost.lost_follow(account_id)
        follows.unfollow(tx, account_id, target_id)
    followers = tx.scalars(
        sa.select(follows_table.c.account_id).where(
            follows_table.c.target_account_id == account_id,
            follows_table.c.account_id.in_(there),
        )
    )
    for follower_id in followers:
        if follows.remove_from_followers(tx, account_id, follower_id):
            lost.lost_follower(account_id)
    requesters = tx.scalars(
        sa.select(follow_requests.c.account_id).where(
            follow_requests.c.target_account_id == account_id,
            follow_requests.c.account_id.in_(there),
        )
    )
    for requester_id in requesters:
        follows.reject_request(tx, account_id, requester_id)
    severances.record(tx, "user_domain_block", domain, lost)


def unblock(tx: Tx, account_id: int, raw_domain: str | None) -> None:
    domain = normalize(raw_domain)
    tx.execute(
        account_domain_blocks.delete().where(
            account_domain_blocks.c.account_id == account_id,
            account_domain_blocks.c.domain == domain,
        )
    )


def page(tx: Tx, account_id: int, wanted: Page) -> list[Any]:
    """The servers the account blocks, newest block first (rows with `id` and `domain`)."""
    query = sa.select(account_domain_blocks.c.id, account_domain_blocks.c.domain).where(
        account_domain_blocks.c.account_id == account_id
    )
    return fetch(tx, query, account_domain_blocks.c.id, wanted)


def blocked_domains(tx: Tx, account_id: int, domains: list[str]) -> set[str]:
    """Which of `domains` the account blocks (for the Relationship's `domain_blocking`)."""
    if not domains:
        return set()
    return set(
        tx.scalars(
            sa.select(account_domain_blocks.c.domain).where(
                account_domain_blocks.c.account_id == account_id,
                account_domain_blocks.c.domain.in_(domains),
            )
        )
    )
