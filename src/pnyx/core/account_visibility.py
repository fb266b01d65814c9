"""Who may see an account, and why not: the rule for accounts, written once.

An account is hidden from a viewer for one of these reasons (the facts below):
- `suspended`: the staff suspended it;
- `pending`: a sign-up still waiting for approval or confirmation (Mastodon answers 404 for
  it everywhere: its name must not leak before the staff let it in);
- `blocked`: the viewer blocks it; `blocks_you`: it blocks the viewer;
- `muted`: the viewer muted it (an expired mute counts as none); `muted_notifications`: and
  asked for its notifications to be hidden too;
- `domain_blocked`: it is on a server the viewer blocks (`core.user_domain_blocks`).

Which of these hide an account depends on the surface, as in Mastodon: a profile is shown
(blanked) when suspended; the viewer's own blocks list shows the accounts they block; search
hides blocks both ways but not mutes; lists of other people (followers, who favourited) hide
mutes too. Each surface names one of the rules below (`KNOWN`, `ACTIVE`, `LISTED`, `FOUND`,
`SHOWN`, `NOTIFYING`), each "none of these facts", rather than writing its own conditions.

A rule is evaluated the two ways the post rule (`visibility.SEE`) is, from the same tree: in
Python against the facts `load_account_context` loads for one viewer (`why_account_hidden`,
which also says why), and as a SQL condition (`account_visible_condition`) for queries that
must filter before they limit. `tests/core/test_account_visibility.py` checks that both agree.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from pnyx.core.visibility import All, Fact, Not, Rule, python_expression, sql_condition
from pnyx.db.engine import Tx
from pnyx.db.id_lists import in_ids
from pnyx.db.tables import account_domain_blocks, accounts, blocks, mutes, users


@dataclass
class AccountContext:
    """The facts about one viewer and a set of accounts that the account rules read."""

    viewer_id: int | None
    suspended: set[int] = field(default_factory=set)
    pending: set[int] = field(default_factory=set)
    blocking: set[int] = field(default_factory=set)  # the viewer blocks them
    blocked_by: set[int] = field(default_factory=set)  # they block the viewer
    muting: set[int] = field(default_factory=set)  # unexpired mutes
    muting_notifications: set[int] = field(default_factory=set)  # ... that hide notifications
    domain_blocked: set[int] = field(default_factory=set)  # on a server the viewer blocks


@dataclass(frozen=True)
class AccountScope:
    """Where an account condition is evaluated: the column holding the account id, the
    accounts table (or alias) the query already joins when it does (then its columns are read
    directly), the viewer (None: signed out) and the time mutes are compared with."""

    id: Any
    table: Any | None
    viewer: Any | None
    now: Any


def pending(account_column: sa.ColumnElement[int] = accounts.c.id) -> sa.Exists:
    """SQL condition: a local account whose user is not approved or not confirmed yet."""
    return sa.exists().where(
        users.c.account_id == account_column,
        sa.or_(users.c.approved.is_(False), users.c.confirmed.is_(False)),
    )


def _suspended(scope: AccountScope) -> sa.ColumnElement[bool]:
    if scope.table is not None:
        return scope.table.c.suspended_at.is_not(None)
    return sa.exists().where(accounts.c.id == scope.id, accounts.c.suspended_at.is_not(None))


def _block(blocker: Any, blocked: Any) -> sa.Exists:
    return sa.exists().where(blocks.c.account_id == blocker, blocks.c.target_account_id == blocked)


def _mute(scope: AccountScope, *, notifications: bool) -> sa.Exists:
    condition = sa.exists().where(
        mutes.c.account_id == scope.viewer,
        mutes.c.target_account_id == scope.id,
        sa.or_(mutes.c.expires_at.is_(None), mutes.c.expires_at > scope.now),
    )
    return condition.where(mutes.c.hide_notifications.is_(True)) if notifications else condition


SUSPENDED = Fact("suspended", "a in ctx.suspended", _suspended)
PENDING = Fact("pending", "a in ctx.pending", lambda scope: pending(scope.id))
BLOCKED = Fact("blocked", "a in ctx.blocking", lambda s: _block(s.viewer, s.id), signed_out=False)
BLOCKS_YOU = Fact(
    "blocks_you", "a in ctx.blocked_by", lambda s: _block(s.id, s.viewer), signed_out=False
)
MUTED = Fact("muted", "a in ctx.muting", lambda s: _mute(s, notifications=False), signed_out=False)
MUTED_NOTIFICATIONS = Fact(
    "muted_notifications",
    "a in ctx.muting_notifications",
    lambda s: _mute(s, notifications=True),
    signed_out=False,
)


def _domain_blocked(scope: AccountScope) -> sa.ColumnElement[bool]:
    if scope.table is not None:
        return sa.exists().where(
            account_domain_blocks.c.account_id == scope.viewer,
            account_domain_blocks.c.domain == scope.table.c.domain,
        )
    # An alias of its own, so that the subquery never correlates with an outer `accounts`.
    owner = accounts.alias("domain_blocked_account")
    return sa.exists().where(
        owner.c.id == scope.id,
        account_domain_blocks.c.account_id == scope.viewer,
        account_domain_blocks.c.domain == owner.c.domain,
    )


DOMAIN_BLOCKED = Fact(
    "domain_blocked", "a in ctx.domain_blocked", _domain_blocked, signed_out=False
)


def none_of(*facts: Fact) -> Rule:
    """The rule "an account is shown unless one of these facts holds"; the first that holds
    is the reason it is hidden."""
    return All(tuple(Not(fact) for fact in facts))


# Exists for others: anything but a sign-up waiting for approval (profiles, relationships,
# lookups by name; a suspended account is shown blanked, with `suspended: true`).
KNOWN = none_of(PENDING)
# An account that takes part: found by a mention or WebFinger, listed in ActivityPub
# collections, named by the relationships endpoints.
ACTIVE = none_of(SUSPENDED, PENDING)
# The viewer's own lists (their blocks, mutes, follow requests; the people they follow):
# blocked and muted accounts are the point of some of them.
LISTED = none_of(SUSPENDED)
# Search: blocks either way hide an account, mutes do not.
FOUND = none_of(SUSPENDED, PENDING, BLOCKED, BLOCKS_YOU)
# Lists of other people's accounts (followers of someone else, who favourited or boosted):
# Mastodon's excluded_from_timeline_account_ids.
SHOWN = none_of(SUSPENDED, BLOCKED, BLOCKS_YOU, MUTED)
# Whose notifications reach the viewer: a mute hides them only when it says so; a blocked
# server's accounts never reach them.
NOTIFYING = none_of(SUSPENDED, BLOCKED, BLOCKS_YOU, MUTED_NOTIFICATIONS, DOMAIN_BLOCKED)
# Who may cause a notification to be made at all (core.notifications.notify). A suspended
# sender's notifications are made and hidden when read (NOTIFYING), so they come back with
# the account if its suspension is lifted.
MAY_NOTIFY = none_of(BLOCKED, BLOCKS_YOU, MUTED_NOTIFICATIONS, DOMAIN_BLOCKED)


def _facts(rule: Rule) -> list[Fact]:
    """The facts of a rule, in order: the reasons it can give."""
    if isinstance(rule, Fact):
        return [rule]
    if isinstance(rule, Not):
        return _facts(rule.part)
    return [fact for part in rule.parts for fact in _facts(part)]


@functools.cache
def _compiled(rule: Rule, signed_in: bool) -> Callable[[AccountContext, int], bool]:
    """The rule as a Python function of (ctx, account id), compiled once."""
    return eval(f"lambda ctx, a: {python_expression(rule, signed_in=signed_in)}", {})  # noqa: S307


def may_see_account(ctx: AccountContext, account_id: int, rule: Rule) -> bool:
    return _compiled(rule, ctx.viewer_id is not None)(ctx, account_id)


def why_account_hidden(ctx: AccountContext, account_id: int, rule: Rule) -> str | None:
    """None when the rule shows the account to `ctx`'s viewer; otherwise the name of the
    first fact that hides it ("suspended", "pending", "blocked", "blocks_you", "muted" ...)."""
    if may_see_account(ctx, account_id, rule):
        return None
    signed_in = ctx.viewer_id is not None
    for fact in _facts(rule):
        if _compiled(fact, signed_in)(ctx, account_id):
            return fact.name
    raise AssertionError(f"{rule!r} hides {account_id} for no reason")  # pragma: no cover


def account_visible_condition(
    rule: Rule,
    account: sa.FromClause | sa.ColumnElement[int] = accounts,
    viewer_id: int | sa.BindParameter[int] | None = None,
    now: datetime | sa.BindParameter[datetime] | None = None,
) -> sa.ColumnElement[bool]:
    """SQL: the accounts that `rule` shows to `viewer_id`. `account` is the accounts table or
    an alias of it that the query joins, or a column holding account ids (a notification's
    sender); `now` is needed by the rules that read mutes."""
    if isinstance(account, sa.FromClause):
        scope = AccountScope(account.c.id, account, viewer_id, now)
    else:
        scope = AccountScope(account, None, viewer_id, now)
    return sql_condition(rule, scope)


# --- Facts for one viewer, in one query -----------------------------------------------------

_KINDS = (
    "suspended",
    "pending",
    "blocking",
    "blocked_by",
    "muting",
    "muting_notifications",
    "domain_blocked",
)


def _arm(kind: str, column: sa.ColumnElement[int], *where: sa.ColumnElement[bool]) -> sa.Select:
    number: sa.ColumnElement[Any] = sa.literal_column(str(_KINDS.index(kind)))
    return sa.select(number.label("kind"), column.label("ref")).where(*where)


@functools.cache
def _facts_statement(signed_in: bool) -> sa.Select | sa.CompoundSelect:
    viewer: sa.BindParameter[int] = sa.bindparam("viewer")
    unexpired = sa.or_(mutes.c.expires_at.is_(None), mutes.c.expires_at > sa.bindparam("now"))
    arms = [
        _arm(
            "suspended",
            accounts.c.id,
            in_ids(accounts.c.id, "ids"),
            accounts.c.suspended_at.is_not(None),
        ),
        _arm(
            "pending",
            users.c.account_id,
            in_ids(users.c.account_id, "ids"),
            sa.or_(users.c.approved.is_(False), users.c.confirmed.is_(False)),
        ),
    ]
    if signed_in:
        arms += [
            _arm(
                "blocking",
                blocks.c.target_account_id,
                blocks.c.account_id == viewer,
                in_ids(blocks.c.target_account_id, "ids"),
            ),
            _arm(
                "blocked_by",
                blocks.c.account_id,
                blocks.c.target_account_id == viewer,
                in_ids(blocks.c.account_id, "ids"),
            ),
            _arm(
                "muting",
                mutes.c.target_account_id,
                mutes.c.account_id == viewer,
                in_ids(mutes.c.target_account_id, "ids"),
                unexpired,
            ),
            _arm(
                "muting_notifications",
                mutes.c.target_account_id,
                mutes.c.account_id == viewer,
                in_ids(mutes.c.target_account_id, "ids"),
                unexpired,
                mutes.c.hide_notifications.is_(True),
            ),
            _arm(
                "domain_blocked",
                accounts.c.id,
                in_ids(accounts.c.id, "ids"),
                account_domain_blocks.c.account_id == viewer,
                account_domain_blocks.c.domain == accounts.c.domain,
            ),
        ]
    return sa.union_all(*arms)


def load_account_context(
    tx: Tx, viewer_id: int | None, account_ids: Iterable[int]
) -> AccountContext:
    """Everything the account rules need about one viewer and these accounts, in one query."""
    ctx = AccountContext(viewer_id)
    ids = list(set(account_ids))
    if not ids:
        return ctx
    statement = _facts_statement(viewer_id is not None)
    buckets = [getattr(ctx, kind) for kind in _KINDS]
    rows = tx.execute(statement, {"ids": ids, "viewer": viewer_id, "now": tx.now})
    for kind, ref in rows:
        buckets[kind].add(ref)
    return ctx
