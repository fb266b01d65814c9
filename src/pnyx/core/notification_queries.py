"""Reading notifications and the read markers that go with them.

Creating notifications is `core.notifications`; this module lists, counts and removes them.
What the recipient may not see never shows: notifications from suspended accounts, from an
account blocked either way, from an account muted with hide_notifications, and notifications
about a status the recipient can no longer see (a followers-only post after an unfollow ...).
Markers remember where a user stopped reading their home timeline and notifications, so that
several apps can share the position; each save bumps `version`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row

from pnyx.core import account_extras, account_warnings, appeals, severances, status_views
from pnyx.core.account_extras import AccountExtras
from pnyx.core.account_visibility import LISTED, NOTIFYING, account_visible_condition
from pnyx.core.errors import Invalid, NotFound
from pnyx.core.roles import STAFF_ROLES
from pnyx.core.rows import AccountRow
from pnyx.db.engine import Tx
from pnyx.db.tables import accounts, markers, notifications, reports, users

MARKER_TIMELINES = ("home", "notifications")
UNREAD_CAP = 1000
MAX_ROUNDS = 4


@dataclass
class NotificationPage:
    """Notification rows to show, their accounts, and the statuses rendered for the recipient."""

    rows: list[Row]
    accounts: dict[int, AccountRow]
    bundle: status_views.StatusBundle
    cursor_ids: list[int]  # newest first, for the Link header
    # The reports admin.report notifications are about, by id; their target accounts are in
    # `accounts` too.
    reports: dict[int, Row] = field(default_factory=dict)
    # The strikes of moderation_warning notifications (their target accounts are in
    # `accounts`) and the severances of severed_relationships ones, by id.
    warnings: dict[int, Row] = field(default_factory=dict)
    # The appeals of those strikes, by strike id (a strike not appealed has none).
    appeals: dict[int, Row] = field(default_factory=dict)
    severances: dict[int, Row] = field(default_factory=dict)
    # The roles and moves of `accounts` and of the bundle's authors (`core.account_extras`).
    extras: AccountExtras = field(default_factory=AccountExtras)


def _visible_from(query: sa.Select, tx: Tx, recipient_id: int) -> sa.Select:
    """Only notifications from accounts the recipient has not shut out (or who shut them out):
    `account_visibility.NOTIFYING`. Reports are for the moderators whoever filed them (but not
    a suspended account's); reports and sign-ups only while the recipient is still one of the
    staff."""
    is_report = notifications.c.type == "admin.report"
    is_sign_up = notifications.c.type == "admin.sign_up"
    still_staff = sa.exists().where(
        users.c.account_id == recipient_id, users.c.role.in_(STAFF_ROLES)
    )
    return query.where(
        sa.or_(
            sa.and_(
                ~is_report,
                sa.or_(~is_sign_up, still_staff),
                account_visible_condition(
                    NOTIFYING, notifications.c.from_account_id, recipient_id, tx.now
                ),
            ),
            sa.and_(
                is_report,
                still_staff,
                account_visible_condition(LISTED, notifications.c.from_account_id),
            ),
        )
    )


def _filtered(
    tx: Tx,
    recipient_id: int,
    *,
    types: Iterable[str] = (),
    exclude_types: Iterable[str] = (),
    from_account_id: int | None = None,
    include_filtered: bool = False,
) -> sa.Select:
    """The recipient's notifications under the list's rules. Those held back by their
    notification policy (`filtered`) only when asked for, or when one sender's are asked for
    (an app showing a notification request reads them so, as Mastodon serves it)."""
    query = sa.select(notifications).where(notifications.c.account_id == recipient_id)
    if not include_filtered and from_account_id is None:
        query = query.where(notifications.c.filtered.is_(False))
    types = [t for t in types if t]
    exclude_types = [t for t in exclude_types if t]
    if types:
        query = query.where(notifications.c.type.in_(types))
    if exclude_types:
        query = query.where(notifications.c.type.not_in(exclude_types))
    if from_account_id is not None:
        query = query.where(notifications.c.from_account_id == from_account_id)
    return _visible_from(query, tx, recipient_id)


def list_page(
    tx: Tx,
    recipient_id: int,
    *,
    max_id: int | None = None,
    since_id: int | None = None,
    min_id: int | None = None,
    limit: int = 40,
    types: Iterable[str] = (),
    exclude_types: Iterable[str] = (),
    from_account_id: int | None = None,
    include_filtered: bool = False,
) -> NotificationPage:
    """One page of the recipient's notifications, newest first (oldest first walking min_id)."""
    base = _filtered(
        tx,
        recipient_id,
        types=types,
        exclude_types=exclude_types,
        from_account_id=from_account_id,
        include_filtered=include_filtered,
    )
    ascending = min_id is not None
    kept: list = []
    scanned: list[int] = []
    ran_dry = False
    cursor_max, cursor_min = max_id, min_id
    for _ in range(MAX_ROUNDS):
        want = limit - len(kept)
        query = base
        if cursor_max is not None:
            query = query.where(notifications.c.id < cursor_max)
        if since_id is not None:
            query = query.where(notifications.c.id > since_id)
        if cursor_min is not None:
            query = query.where(notifications.c.id > cursor_min)
        column = notifications.c.id
        query = query.order_by(column.asc() if ascending else column.desc()).limit(want)
        batch = tx.rows(query)
        scanned.extend(r.id for r in batch)
        kept.extend(_with_visible_status(tx, recipient_id, batch))
        if len(batch) < want:
            ran_dry = True
            break
        if len(kept) >= limit:
            break
        if ascending:
            cursor_min = batch[-1].id
        else:
            cursor_max = batch[-1].id
    if ascending:
        kept.reverse()
    found = assemble(tx, recipient_id, kept)
    if not ran_dry and len(kept) < limit and scanned:
        # Everything looked at was hidden: point the Link header past it, not at nothing.
        found.cursor_ids = [max(scanned), min(scanned)]
    return found


def _with_visible_status(tx: Tx, recipient_id: int, batch: list[Row]) -> list[Row]:
    status_ids = [r.status_id for r in batch if r.status_id is not None]
    if not status_ids:
        return batch
    visible = set(status_views.visible_ids(tx, status_ids, recipient_id))
    return [r for r in batch if r.status_id is None or r.status_id in visible]


def assemble(tx: Tx, recipient_id: int, rows: list[Row]) -> NotificationPage:
    """The page for these rows: their accounts, reports, and statuses rendered for the
    recipient (without those a `hide` filter of the notifications context removes)."""
    cursor_ids = [r.id for r in rows]
    report_ids = {r.report_id for r in rows if r.report_id is not None}
    found_reports: dict[int, Row] = (
        {r.id: r for r in tx.rows(sa.select(reports).where(reports.c.id.in_(report_ids)))}
        if report_ids
        else {}
    )
    found_warnings = account_warnings.by_ids(
        tx, [r.account_warning_id for r in rows if r.account_warning_id is not None]
    )
    found_appeals = appeals.of_strikes(tx, list(found_warnings))
    found_severances = severances.by_ids(
        tx, [r.severance_id for r in rows if r.severance_id is not None]
    )
    account_ids = {r.from_account_id for r in rows}
    account_ids |= {r.target_account_id for r in found_reports.values()}
    account_ids |= {w.target_account_id for w in found_warnings.values()}
    found: dict[int, AccountRow] = (
        {a.id: a for a in tx.rows(sa.select(accounts).where(accounts.c.id.in_(account_ids)))}
        if account_ids
        else {}
    )
    bundle = status_views.load(
        tx,
        [r.status_id for r in rows if r.status_id is not None],
        recipient_id,
        filter_context="notifications",
    )
    # A notification about a post a `hide` filter of the notifications context removes goes
    # with it (its text is known only now; the page is then shorter, its cursors unchanged).
    shown = set(bundle.visible)
    rows = [r for r in rows if r.status_id is None or r.status_id in shown]
    extras = account_extras.load(tx, found.values(), bundle.account_extras)
    return NotificationPage(
        rows,
        found,
        bundle,
        cursor_ids,
        reports=found_reports,
        warnings=found_warnings,
        appeals=found_appeals,
        severances=found_severances,
        extras=extras,
    )


def get_one(tx: Tx, recipient_id: int, notification_id: int) -> NotificationPage:
    """One notification of the recipient's, under the same rules as the list; else NotFound."""
    query = _filtered(tx, recipient_id).where(notifications.c.id == notification_id)
    rows = _with_visible_status(tx, recipient_id, tx.rows(query))
    found = assemble(tx, recipient_id, rows) if rows else None
    if found is None or not found.rows:
        raise NotFound()
    return found


def dismiss(tx: Tx, recipient_id: int, notification_id: int) -> None:
    deleted = tx.execute(
        notifications.delete().where(
            notifications.c.id == notification_id, notifications.c.account_id == recipient_id
        )
    ).rowcount
    if not deleted:
        raise NotFound()


def clear(tx: Tx, recipient_id: int) -> None:
    tx.execute(notifications.delete().where(notifications.c.account_id == recipient_id))


@functools.cache
def _newest_and_marker() -> sa.Select:
    recipient: sa.BindParameter[int] = sa.bindparam("recipient")
    return sa.select(
        sa.select(markers.c.last_read_id)
        .where(markers.c.account_id == recipient, markers.c.timeline == "notifications")
        .scalar_subquery(),
        sa.select(sa.func.max(notifications.c.id))
        .where(notifications.c.account_id == recipient)
        .scalar_subquery(),
    )


def rows_between(
    tx: Tx,
    recipient_id: int,
    kind: str,
    status_id: int | None,
    start: datetime,
    end: datetime,
) -> list[Row]:
    """The recipient's notifications of one type (about one status) made in [start, end),
    newest first, under the same rules as the list (a group of grouped notifications)."""
    query = _filtered(tx, recipient_id, types=[kind]).where(
        notifications.c.created_at >= start, notifications.c.created_at < end
    )
    if status_id is not None:
        query = query.where(notifications.c.status_id == status_id)
    rows = tx.rows(query.order_by(notifications.c.id.desc()).limit(UNREAD_CAP))
    return _with_visible_status(tx, recipient_id, rows)


def unread_count(
    tx: Tx,
    recipient_id: int,
    *,
    limit: int = 100,
    types: Iterable[str] = (),
    exclude_types: Iterable[str] = (),
    from_account_id: int | None = None,
    include_filtered: bool = False,
) -> int:
    """Notifications newer than the notifications marker, counted up to `limit` (max 1000)."""
    return len(
        unread_rows(
            tx,
            recipient_id,
            limit=limit,
            types=types,
            exclude_types=exclude_types,
            from_account_id=from_account_id,
            include_filtered=include_filtered,
        )
    )


def unread_rows(
    tx: Tx,
    recipient_id: int,
    *,
    limit: int = 100,
    types: Iterable[str] = (),
    exclude_types: Iterable[str] = (),
    from_account_id: int | None = None,
    include_filtered: bool = False,
) -> list[Row]:
    """The notifications newer than the notifications marker that the list would show, up
    to `limit` (max 1000), newest first: id, type, status_id, created_at."""
    limit = max(1, min(limit, UNREAD_CAP))
    # Every signed-in web page shows this count, and mostly nothing is new: one indexed look
    # at the newest notification and the marker settles that before the filtered count.
    last_read, newest = tx.execute(_newest_and_marker(), {"recipient": recipient_id}).one()
    if newest is None or (last_read is not None and newest <= last_read):
        return []
    query = _filtered(
        tx,
        recipient_id,
        types=types,
        exclude_types=exclude_types,
        from_account_id=from_account_id,
        include_filtered=include_filtered,
    ).with_only_columns(
        notifications.c.id,
        notifications.c.type,
        notifications.c.status_id,
        notifications.c.created_at,
    )
    if last_read is not None:
        query = query.where(notifications.c.id > last_read)
    # The same posts the list hides (deleted, or no longer visible) are not counted, so the
    # badge goes back to nothing once everything shown has been read. Like the list, it
    # reads on past hidden ones (a bounded number of rounds) to count up to `limit`.
    kept: list[Row] = []
    below: int | None = None
    for _ in range(MAX_ROUNDS):
        want = limit - len(kept)
        batch = query if below is None else query.where(notifications.c.id < below)
        rows = tx.rows(batch.order_by(notifications.c.id.desc()).limit(want))
        visible = set(
            status_views.visible_ids(tx, [r.status_id for r in rows if r.status_id], recipient_id)
        )
        kept.extend(r for r in rows if r.status_id is None or r.status_id in visible)
        if len(kept) >= limit or len(rows) < want:
            break  # enough, or nothing more to read
        below = rows[-1].id
    return kept[:limit]


# --- Markers ------------------------------------------------------------------------------


def get_markers(tx: Tx, account_id: int, timelines: Iterable[str]) -> dict[str, object]:
    wanted = [t for t in timelines if t in MARKER_TIMELINES]
    if not wanted:
        return {}
    rows = tx.rows(
        sa.select(markers).where(markers.c.account_id == account_id, markers.c.timeline.in_(wanted))
    )
    return {r.timeline: r for r in rows}


def save_markers(tx: Tx, account_id: int, positions: dict[str, int]) -> dict[str, object]:
    """Set last_read_id per timeline; a new marker starts at version 0, each save adds one.

    One upsert per timeline, so two apps saving at the same moment cannot collide.
    """
    for timeline in positions:
        if timeline not in MARKER_TIMELINES:
            raise Invalid(f"Timeline is not one of {', '.join(MARKER_TIMELINES)}")
    insert = postgresql.insert if tx.is_postgres else sqlite.insert
    for timeline, last_read_id in positions.items():
        statement = insert(markers).values(
            account_id=account_id,
            timeline=timeline,
            last_read_id=last_read_id,
            version=0,
            updated_at=tx.now,
        )
        tx.execute(
            statement.on_conflict_do_update(
                index_elements=[markers.c.account_id, markers.c.timeline],
                set_={
                    "last_read_id": statement.excluded.last_read_id,
                    "version": markers.c.version + 1,
                    "updated_at": statement.excluded.updated_at,
                },
            )
        )
    return get_markers(tx, account_id, positions)
