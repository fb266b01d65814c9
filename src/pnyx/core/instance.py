"""What the instance says about itself: counts, rules, contact, peers, custom emojis.

The API module shapes these into Mastodon's v1 and v2 Instance entities; the figures come from
here so the web pages and NodeInfo can use the same numbers.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Row

from pnyx.core.errors import Invalid
from pnyx.core.rows import AccountRow
from pnyx.db.engine import Tx
from pnyx.db.ids import id_floor
from pnyx.db.tables import accounts, custom_emojis, oauth_tokens, rules, statuses, users

ACTIVE_WINDOW = timedelta(days=30)


@dataclass
class Stats:
    user_count: int
    status_count: int
    domain_count: int
    active_month: int


def stats(tx: Tx) -> Stats:
    user_count = tx.scalar(
        sa.select(sa.func.count())
        .select_from(users.join(accounts, accounts.c.id == users.c.account_id))
        .where(accounts.c.suspended_at.is_(None))
    )
    status_count = tx.scalar(
        sa.select(sa.func.count()).select_from(statuses).where(statuses.c.local.is_(True))
    )
    domain_count = tx.scalar(
        sa.select(sa.func.count(sa.distinct(sa.func.lower(accounts.c.domain)))).where(
            accounts.c.domain.is_not(None)
        )
    )
    return Stats(
        int(user_count or 0), int(status_count or 0), int(domain_count or 0), active_month(tx)
    )


def active_month(tx: Tx) -> int:
    """Local users who signed in or used a token in the last 30 days."""
    since = tx.now - ACTIVE_WINDOW
    by_token = sa.select(oauth_tokens.c.user_id.label("user_id")).where(
        oauth_tokens.c.user_id.is_not(None),
        sa.or_(oauth_tokens.c.last_used_at >= since, oauth_tokens.c.created_at >= since),
    )
    by_sign_in = sa.select(users.c.id.label("user_id")).where(users.c.last_sign_in_at >= since)
    active = sa.union(by_token, by_sign_in).subquery()
    return int(tx.scalar(sa.select(sa.func.count()).select_from(active)) or 0)


def active_users(tx: Tx, since: datetime) -> int:
    """Local, unsuspended users who signed in or used a token since `since`.

    NodeInfo's figures (a month and a half-year). Unlike `active_month`, the Mastodon API's
    figure, suspended users are not counted."""
    by_token = sa.select(oauth_tokens.c.user_id.label("user_id")).where(
        oauth_tokens.c.user_id.is_not(None),
        sa.or_(oauth_tokens.c.last_used_at >= since, oauth_tokens.c.created_at >= since),
    )
    by_sign_in = sa.select(users.c.id.label("user_id")).where(users.c.last_sign_in_at >= since)
    active = sa.union(by_token, by_sign_in).subquery()
    query = (
        sa.select(sa.func.count())
        .select_from(active.join(users, users.c.id == active.c.user_id))
        .join(accounts, accounts.c.id == users.c.account_id)
        .where(accounts.c.suspended_at.is_(None))
    )
    return int(tx.scalar(query) or 0)


@functools.cache
def _rules_statement() -> sa.Select:
    # Built once: building it cost more than running it, on a path apps call at start-up.
    return sa.select(rules).order_by(rules.c.position, rules.c.id)


def rule_rows(tx: Tx) -> list[Row]:
    return tx.plain(_rules_statement())


def numbered_rule(tx: Tx, number: int) -> int:
    """The id of the rule with this number as /about lists them (from 1); Invalid otherwise."""
    found = rule_rows(tx)
    if not found:
        raise Invalid("This instance has no rules yet: write them first (/admin/instance)")
    if not 1 <= number <= len(found):
        raise Invalid(f"There is no rule {number}: /about lists rules 1 to {len(found)}")
    return found[number - 1].id


def contact_account(tx: Tx) -> AccountRow | None:
    """The instance's contact: its first admin (by creation), if any and not suspended."""
    return tx.one_or_none(
        sa.select(accounts)
        .join(users, users.c.account_id == accounts.c.id)
        .where(users.c.role == "admin", accounts.c.suspended_at.is_(None))
        .order_by(users.c.id)
        .limit(1)
    )


def peers(tx: Tx, limit: int = 10000) -> list[str]:
    """Domains of the remote accounts this instance knows about."""
    domain = sa.func.lower(accounts.c.domain)
    return [
        d
        for d in tx.scalars(
            sa.select(domain)
            .where(accounts.c.domain.is_not(None))
            .group_by(domain)
            .order_by(domain)
            .limit(limit)
        )
        if d
    ]


def emojis(tx: Tx) -> list[Row]:
    """Local custom emojis apps may offer (remote and disabled ones are not)."""
    return tx.rows(
        sa.select(custom_emojis)
        .where(custom_emojis.c.domain.is_(None), custom_emojis.c.disabled.is_(False))
        .order_by(custom_emojis.c.shortcode)
    )


def weekly_activity(tx: Tx) -> list[dict]:
    """The last 12 weeks, newest first: local posts, sign-ins and sign-ups, counted by id range
    (ids are time-sortable, so each count is a primary-key range scan)."""
    start = tx.now.replace(hour=0, minute=0, second=0, microsecond=0)
    start -= timedelta(days=start.weekday())
    out = []
    for week in range(12):
        begin = start - timedelta(weeks=week)
        end = begin + timedelta(weeks=1)
        low, high = id_floor(begin), id_floor(end)
        posts = tx.scalar(
            sa.select(sa.func.count()).where(
                statuses.c.id >= low, statuses.c.id < high, statuses.c.local.is_(True)
            )
        )
        signups = tx.scalar(sa.select(sa.func.count()).where(users.c.id >= low, users.c.id < high))
        logins = tx.scalar(
            sa.select(sa.func.count()).where(
                users.c.last_sign_in_at >= begin, users.c.last_sign_in_at < end
            )
        )
        out.append(
            {
                "week": str(int(begin.timestamp())),
                "statuses": str(posts or 0),
                "logins": str(logins or 0),
                "registrations": str(signups or 0),
            }
        )
    return out
