"""Reach limits: the states in which the staff narrow who sees a person's posts, short of
removing them, and the one place that sets and lifts them.

Pnyx has no shadow bans (issue 12): every such state is set here, only by `core.moderation`
(which logs it and leaves a strike its owner is told of and can appeal), and each one is
listed in `STATES`, which `current` reads to show a person what limits them now.
`tests/core/test_no_shadow_bans.py` applies each state the way staff do and checks that the
person sees it, and that no other module writes these columns.

- `silence` (a limit, Mastodon's "silence"): the account's posts stay off the public and
  hashtag timelines and out of the trends; its followers still see them. It may end at a
  given time (`silenced_until`), after which the conditions below no longer hold.
- `sensitive`: the account's posts with media are shown as sensitive (new ones are marked so
  when made or edited; those it had are marked when the state is set, and the strike keeps
  which, so lifting it unmarks exactly those).
- `mark_statuses_as_sensitive`: some posts marked sensitive (the strike keeps which).
- `remove_from_trends`: a post taken out of the trends; it stays everywhere else.
- `label`: one of the instance labeler's labels that warns or hides by default, on a post or
  on the account (`core.instance_labels`); each person may set it otherwise.
- A server the staff limit (`core.domain_blocks`, severity silence) limits its people the same
  way; it is logged publicly, and its people are elsewhere, so the public log is how they see it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from pnyx.core import accounts as core_accounts
from pnyx.core import labels
from pnyx.db.engine import Tx
from pnyx.db.tables import (
    account_warnings,
    accounts,
    appeals,
    label_definitions,
    status_trend_removals,
    statuses,
)
from pnyx.db.tables import labels as label_rows

# Every reach-limiting state of an account or its posts: the action that sets it (a strike's
# action) and the one that lifts it.
STATES = {
    "silence": "unsilence",
    "sensitive": "unsensitive",
    "mark_statuses_as_sensitive": "unmark_statuses_as_sensitive",
    "remove_from_trends": "restore_to_trends",
    "label": "unlabel",
}


def silenced(table: Any, now: Any) -> sa.ColumnElement[bool]:
    """SQL: the account (a row of `table`, the accounts table or an alias) is limited now."""
    return sa.and_(
        table.c.silenced_at.is_not(None),
        sa.or_(table.c.silenced_until.is_(None), table.c.silenced_until > now),
    )


def is_silenced(account: Any, now: datetime) -> bool:
    return account.silenced_at is not None and (
        account.silenced_until is None or account.silenced_until > now
    )


def out_of_trends(status_column: Any) -> sa.ColumnElement[bool]:
    """SQL: the post was taken out of the trends."""
    return sa.exists().where(status_trend_removals.c.status_id == status_column)


def media_forced_sensitive(account: Any) -> bool:
    """Whether the staff made this account's media sensitive (its new posts with media are
    marked so)."""
    return account.sensitized_at is not None


# --- Setting and lifting (for core.moderation only) ------------------------------------------


def silence(tx: Tx, account_id: int, until: datetime | None) -> None:
    core_accounts.get(tx, account_id)
    tx.execute(
        accounts.update()
        .where(accounts.c.id == account_id)
        .values(silenced_at=tx.now, silenced_until=until)
    )


def unsilence(tx: Tx, account_id: int) -> None:
    tx.execute(
        accounts.update()
        .where(accounts.c.id == account_id)
        .values(silenced_at=None, silenced_until=None)
    )


def sensitize(tx: Tx, account_id: int) -> list[int]:
    """Make the account's media sensitive; returns the posts with media this marked."""
    core_accounts.get(tx, account_id)
    tx.execute(accounts.update().where(accounts.c.id == account_id).values(sensitized_at=tx.now))
    unmarked = list(
        tx.scalars(
            sa.select(statuses.c.id).where(
                statuses.c.account_id == account_id,
                statuses.c.has_media.is_(True),
                statuses.c.sensitive.is_(False),
            )
        )
    )
    return mark_sensitive(tx, unmarked)


def unsensitize(tx: Tx, account_id: int, marked: list[int]) -> None:
    """Lift the state, and unmark the posts it marked (`marked`, kept by its strike)."""
    tx.execute(accounts.update().where(accounts.c.id == account_id).values(sensitized_at=None))
    unmark_sensitive(tx, marked)


def mark_sensitive(tx: Tx, status_ids: list[int]) -> list[int]:
    """Mark these posts sensitive; returns those that were not (the ones a reversal unmarks)."""
    if not status_ids:
        return []
    changed = list(
        tx.scalars(
            sa.select(statuses.c.id).where(
                statuses.c.id.in_(status_ids), statuses.c.sensitive.is_(False)
            )
        )
    )
    if changed:
        tx.execute(statuses.update().where(statuses.c.id.in_(changed)).values(sensitive=True))
    return changed


def unmark_sensitive(tx: Tx, status_ids: list[int]) -> None:
    """Unmark posts a staff action marked, unless their author gave them a content warning
    since (a post with one is always sensitive)."""
    if status_ids:
        tx.execute(
            statuses.update()
            .where(statuses.c.id.in_(status_ids), statuses.c.spoiler_text == "")
            .values(sensitive=False)
        )


def remove_from_trends(tx: Tx, status_id: int, by_account_id: int | None) -> bool:
    """Take a post out of the trends; False when it already was."""
    if tx.scalar(sa.select(out_of_trends(sa.literal(status_id)))):
        return False
    tx.execute(
        status_trend_removals.insert().values(
            status_id=status_id, account_id=by_account_id, created_at=tx.now
        )
    )
    return True


def restore_to_trends(tx: Tx, status_id: int) -> bool:
    """Let a post trend again; False when it was not out of them."""
    done = tx.execute(
        status_trend_removals.delete().where(status_trend_removals.c.status_id == status_id)
    )
    return bool(done.rowcount)


# --- What limits a person now ----------------------------------------------------------------


@dataclass(frozen=True)
class Limit:
    """One reach limit in force on an account or its posts: the state (a key of `STATES`),
    until when (None: until lifted) and the posts it concerns (empty for the whole account)."""

    state: str
    until: datetime | None = None
    status_ids: tuple[int, ...] = ()


def current(tx: Tx, account_id: int) -> list[Limit]:
    """Every reach limit in force on this account and its posts, read from the states
    themselves (not from the strikes), so that nothing limits a person unseen."""
    account = core_accounts.get(tx, account_id)
    found: list[Limit] = []
    if is_silenced(account, tx.now):
        found.append(Limit("silence", account.silenced_until))
    if account.sensitized_at is not None:
        found.append(Limit("sensitive"))
    removed = tuple(
        tx.scalars(
            sa.select(status_trend_removals.c.status_id)
            .join(statuses, statuses.c.id == status_trend_removals.c.status_id)
            .where(statuses.c.account_id == account_id)
            .order_by(status_trend_removals.c.status_id)
        )
    )
    if removed:
        found.append(Limit("remove_from_trends", status_ids=removed))
    marked = _marked_by_staff(tx, account_id)
    if marked:
        found.append(Limit("mark_statuses_as_sensitive", status_ids=marked))
    labeled = _instance_labels(tx, account_id)
    if labeled is not None:
        found.append(Limit("label", status_ids=labeled))
    return found


def _instance_labels(tx: Tx, account_id: int) -> tuple[int, ...] | None:
    """The account's posts (or, as (), the account itself) under one of the instance's labels
    that warns or hides by default; None when there is none."""
    instance = labels.instance_labeler_id(tx)
    if instance is None:
        return None
    rows = tx.rows(
        sa.select(label_rows.c.status_id)
        .join(
            label_definitions,
            sa.and_(
                label_definitions.c.labeler_account_id == label_rows.c.labeler_account_id,
                label_definitions.c.value == label_rows.c.value,
            ),
        )
        .outerjoin(statuses, statuses.c.id == label_rows.c.status_id)
        .where(
            label_rows.c.labeler_account_id == instance,
            label_rows.c.neg.is_(False),
            sa.or_(label_rows.c.expires_at.is_(None), label_rows.c.expires_at > tx.now),
            label_definitions.c.default_setting != "show",
            sa.or_(label_rows.c.account_id == account_id, statuses.c.account_id == account_id),
        )
        .order_by(label_rows.c.status_id)
    )
    if not rows:
        return None
    return tuple(r.status_id for r in rows if r.status_id is not None)


def _marked_by_staff(tx: Tx, account_id: int) -> tuple[int, ...]:
    """The account's posts a staff action marked sensitive that still are: the strikes that
    marked posts keep which, and an approved appeal unmarks them."""
    strikes = tx.rows(
        sa.select(account_warnings.c.id, account_warnings.c.status_ids)
        .outerjoin(appeals, appeals.c.account_warning_id == account_warnings.c.id)
        .where(
            account_warnings.c.target_account_id == account_id,
            account_warnings.c.action == "mark_statuses_as_sensitive",
            sa.or_(appeals.c.state.is_(None), appeals.c.state != "approved"),
        )
    )
    wanted = {int(i) for s in strikes for i in s.status_ids or []}
    if not wanted:
        return ()
    still = tx.scalars(
        sa.select(statuses.c.id)
        .where(statuses.c.id.in_(wanted), statuses.c.sensitive.is_(True))
        .order_by(statuses.c.id)
    )
    return tuple(still)
