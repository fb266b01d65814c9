"""The moderation log: every action the staff take, recorded where it is taken, and the part of
it anyone may read.

The log is public (pillar 3: moderation in the open): what was done, to which account or
server, under which of the instance's rules, why, by which role (not by whom), when and until
when. Not everything in it is for the public:

- the actions that are the staff's own bookkeeping (announcements, invites, who handles a
  report, a report's category) are kept for the staff only (`PRIVATE_ACTIONS`);
- a rejected sign-up never had a public account: the public sees that a sign-up was turned
  away and why, not the name it asked for (`target_name`, staff only);
- a domain action shows the block's public comment, never its private one (`private_note`),
  and the domain starred out when the block asks for that (`domain_blocks.shown_domain`).

`record` is the one writer: `core.moderation` and the other places staff act call it in the
transaction of the action itself, so an action without its entry cannot be committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from pnyx.core import domain_blocks as domain_block_rules
from pnyx.core.errors import Invalid
from pnyx.core.paging import Page, fetch
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id, parse_id
from pnyx.db.tables import accounts, appeals, domain_blocks, moderation_log, rules, users

# Actions kept for the staff: their own bookkeeping, which touches nobody.
PRIVATE_ACTIONS = ("invite:create", "assign_report", "unassign_report")
PRIVATE_PREFIXES = ("announcement:", "update_report:")
OPERATOR = "operator"  # the role shown for the operator at the command line
OWNER = "owner"  # the step of the person acted on (an appeal)
NO_SUCH_RULE = "No such rule: cite one of the instance's rules"


def check_rule(tx: Tx, rule_id: int) -> str:
    """The text of one of the instance's rules; Invalid when it has none of that id."""
    text = tx.scalar(sa.select(rules.c.text).where(rules.c.id == rule_id))
    if text is None:
        raise Invalid(NO_SUCH_RULE)
    return text


def first_rule(tx: Tx, rule_ids: list[int]) -> int | None:
    """The first of these rule ids that is still one of the instance's rules (a report names
    the rules as they were when it was made)."""
    existing = set(tx.scalars(sa.select(rules.c.id).where(rules.c.id.in_(rule_ids))))
    return next((r for r in rule_ids if r in existing), None)


def record(
    tx: Tx,
    action: str,
    target_account_id: int | None,
    actor_account_id: int | None,
    reason: str,
    *,
    target_domain: str | None = None,
    rule_id: int | None = None,
    target_name: str | None = None,
    private_note: str | None = None,
    ends_at: datetime | None = None,
    by_owner: bool = False,
) -> int:
    """Write one entry (the id). The acting role is read here, as it is now: the log says
    which role took the action even after the person's role changes (`by_owner`: the
    target's owner took the step, as in an appeal). A cited rule must be one of the
    instance's; its text is kept as it reads now."""
    rule_text = check_rule(tx, rule_id) if rule_id is not None else None
    role = OWNER if by_owner else OPERATOR
    if actor_account_id is not None and not by_owner:
        role = (
            tx.scalar(sa.select(users.c.role).where(users.c.account_id == actor_account_id))
            or "user"
        )
    entry_id = new_id()
    tx.execute(
        moderation_log.insert().values(
            id=entry_id,
            actor_account_id=actor_account_id,
            actor_role=role,
            action=action,
            target_account_id=target_account_id,
            target_domain=target_domain,
            target_name=target_name,
            reason=reason or "",
            private_note=private_note or None,
            rule_id=rule_id,
            rule_text=rule_text,
            ends_at=ends_at,
            created_at=tx.now,
        )
    )
    return entry_id


def link_strike(tx: Tx, entry_id: int, strike_id: int) -> None:
    """The entry's action left this strike (its appeal and outcome show on the entry)."""
    tx.execute(
        moderation_log.update().where(moderation_log.c.id == entry_id).values(strike_id=strike_id)
    )


def _public() -> sa.ColumnElement[bool]:
    return sa.and_(
        moderation_log.c.action.not_in(PRIVATE_ACTIONS),
        *(sa.not_(moderation_log.c.action.startswith(p)) for p in PRIVATE_PREFIXES),
    )


@dataclass(frozen=True)
class PublicEntry:
    """One entry as anyone may read it."""

    id: int
    action: str
    created_at: datetime
    ends_at: datetime | None
    actor_role: str | None
    reason: str
    rule_id: int | None
    rule_text: str | None
    # What it was done to: an account (its row, None once deleted), a server's domain as the
    # public sees it, a sign-up, or nothing (the instance's own settings and rules).
    target_kind: str | None
    target_account: Any | None
    target_domain: str | None
    # The appeal of the strike this action left: None (none), pending, approved or rejected.
    appeal_state: str | None = None


def rule_filter(given: str | None) -> int | None:
    """The `rule_id` a reader asked for: None when none was asked; a value that is no id
    matches no entry (-1), as any unknown id would."""
    if not given:
        return None
    found = parse_id(given)
    return found if found is not None else -1


def public_entries(
    tx: Tx, page: Page, *, action: str | None = None, rule_id: int | None = None
) -> list[PublicEntry]:
    """A page of the public log, newest first (Mastodon's paging: max_id, since_id, min_id),
    optionally of one action or under one rule."""
    query = sa.select(moderation_log).where(_public())
    if action:
        query = query.where(moderation_log.c.action == action)
    if rule_id is not None:
        query = query.where(moderation_log.c.rule_id == rule_id)
    rows = fetch(tx, query, moderation_log.c.id, page)
    targets = {
        row.id: row
        for row in tx.rows(
            sa.select(accounts).where(
                accounts.c.id.in_({r.target_account_id for r in rows if r.target_account_id})
            )
        )
    }
    blocks = {
        row.domain: row
        for row in tx.rows(
            sa.select(domain_blocks).where(
                domain_blocks.c.domain.in_({r.target_domain for r in rows if r.target_domain})
            )
        )
    }
    appealed = {
        row.account_warning_id: row.state
        for row in tx.rows(
            sa.select(appeals.c.account_warning_id, appeals.c.state).where(
                appeals.c.account_warning_id.in_({r.strike_id for r in rows if r.strike_id})
            )
        )
    }
    return [_public_entry(row, targets, blocks, appealed) for row in rows]


def _public_entry(
    row: Any, targets: dict[int, Any], blocks: dict[str, Any], appealed: dict[int, str]
) -> PublicEntry:
    kind: str | None = None
    domain = None
    if row.target_domain is not None:
        kind = "domain"
        block = blocks.get(row.target_domain)
        domain = domain_block_rules.shown_domain(block) if block is not None else None
        if domain is None:
            # The block was lifted since: its entry keeps the domain starred out, as it may
            # have asked (the public never learns a domain the staff hid).
            domain = domain_block_rules.starred(row.target_domain)
    elif row.action == "reject":
        kind = "sign_up"
    elif (
        row.target_account_id is not None
        or row.action in _ACCOUNT_ACTIONS
        or row.action.startswith(_ACCOUNT_PREFIXES)
    ):
        kind = "account"
    return PublicEntry(
        id=row.id,
        action=row.action,
        created_at=row.created_at,
        ends_at=row.ends_at,
        actor_role=row.actor_role,
        reason=row.reason or "",
        rule_id=row.rule_id,
        rule_text=row.rule_text,
        target_kind=kind,
        target_account=targets.get(row.target_account_id),
        target_domain=domain,
        appeal_state=appealed.get(row.strike_id) if row.strike_id else None,
    )


# Actions on an account whose entry outlives the account (deleted since: no row to show).
_ACCOUNT_ACTIONS = (
    "approve",
    "suspend",
    "unsuspend",
    "warn",
    "erase",
    "resolve_report",
    "silence",
    "unsilence",
    "sensitive",
    "unsensitive",
    "delete_statuses",
    "mark_statuses_as_sensitive",
    "unmark_statuses_as_sensitive",
    "remove_from_trends",
    "restore_to_trends",
)
_ACCOUNT_PREFIXES = ("appeal:", "appeal_approved:", "appeal_rejected:")


# Actions that undo an earlier one: the log counts them as reversals.
REVERSALS = (
    "unsuspend",
    "domain_unblock",
    "unsilence",
    "unsensitive",
    "unmark_statuses_as_sensitive",
    "restore_to_trends",
)
SUMMARY_MONTHS = 12


@dataclass(frozen=True)
class Summary:
    """The public log in numbers: entries per month (the last `SUMMARY_MONTHS`, oldest
    first, months with none included), per rule cited (None: no rule cited; most first),
    how many undid an earlier action, and the whole count."""

    per_month: list[tuple[str, int]]
    per_rule: list[tuple[str | None, int]]
    reversals: int
    total: int
    appealed: int = 0  # actions their person appealed
    reversed_on_appeal: int = 0  # ... and the appeals approved


def summary(tx: Tx) -> Summary:
    now = tx.now
    months = []
    year, month = now.year, now.month
    for _ in range(SUMMARY_MONTHS):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    months.reverse()
    first = datetime(int(months[0][:4]), int(months[0][5:]), 1, tzinfo=now.tzinfo)
    counted = {m: 0 for m in months}
    recent = tx.scalars(
        sa.select(moderation_log.c.created_at).where(
            _public(), moderation_log.c.created_at >= first
        )
    )
    for created in recent:
        key = f"{created.year:04d}-{created.month:02d}"
        if key in counted:
            counted[key] += 1
    count = sa.func.count().label("n")
    per_rule = tx.rows(
        sa.select(moderation_log.c.rule_text, count)
        .where(_public())
        .group_by(moderation_log.c.rule_text)
        .order_by(count.desc(), moderation_log.c.rule_text)
    )
    reversals = tx.scalar(sa.select(sa.func.count()).where(moderation_log.c.action.in_(REVERSALS)))
    total = public_count(tx)
    return Summary(
        per_month=[(m, counted[m]) for m in months],
        per_rule=[(r.rule_text, r.n) for r in per_rule],
        reversals=reversals or 0,
        total=total,
        appealed=_count_prefixed(tx, "appeal:"),
        reversed_on_appeal=_count_prefixed(tx, "appeal_approved:"),
    )


def _count_prefixed(tx: Tx, prefix: str) -> int:
    return (
        tx.scalar(sa.select(sa.func.count()).where(moderation_log.c.action.startswith(prefix))) or 0
    )


def cited_rules(tx: Tx) -> list[tuple[int, str]]:
    """The rules public entries cite, (id, text as cited), for a filter to choose from."""
    rows = tx.rows(
        sa.select(moderation_log.c.rule_id, sa.func.max(moderation_log.c.rule_text).label("text"))
        .where(_public(), moderation_log.c.rule_id.is_not(None))
        .group_by(moderation_log.c.rule_id)
        .order_by(moderation_log.c.rule_id)
    )
    return [(r.rule_id, r.text) for r in rows]


def public_actions(tx: Tx) -> list[str]:
    """The actions the public log holds, for a filter to choose from."""
    return sorted(tx.scalars(sa.select(moderation_log.c.action).where(_public()).distinct()))


def public_count(tx: Tx) -> int:
    return tx.scalar(sa.select(sa.func.count()).where(_public())) or 0
