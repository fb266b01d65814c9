"""Grouped notifications, as Mastodon 4.3 serves them (`/api/v2/notifications`).

Apps such as Phanpy and Ice Cubes show "Ann and 12 others favourited your post" from groups:
the favourites of one post, the boosts of one post, and new followers, each within a window
of time; every other notification is a group of its own (`ungrouped-<id>`). Mastodon stores
the key when it makes the notification and reuses an open group for up to 12 hours; here the
key is computed from the notification itself, over fixed 12-hour windows, so it needs no
state and no column, and is the same in `/api/v1/notifications` (`group_key`) and v2.

A page holds up to `limit` groups. It is read through the same list as v1
(`notification_queries.list_page`: the same filters, blocks, mutes and visibility of posts),
in rounds, until `limit` groups are complete or a bound on the rows read is reached; each
group then counts and samples the notifications of it that the page covers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Row

from pnyx.core import notification_queries
from pnyx.core.errors import NotFound
from pnyx.core.notification_queries import NotificationPage
from pnyx.db.engine import Tx
from pnyx.db.ids import parse_id

GROUPABLE = ("favourite", "reblog", "follow", "admin.sign_up")
UNGROUPED_BY_STATUS = ("follow", "admin.sign_up")  # grouped by window only
DEFAULT_GROUPED = GROUPABLE
GROUP_SPAN_HOURS = 12
SAMPLE_ACCOUNTS = 8
ROUND = 80  # notifications read per round
MAX_ROWS = 800  # a page reads at most this many notifications


def group_key(row: Row, grouped_types: Iterable[str] = DEFAULT_GROUPED) -> str:
    """The group a notification belongs to: `favourite-<status>-<hour>`, `reblog-<status>-<hour>`,
    `follow-<hour>`, `admin.sign_up-<hour>` (the first hour of its 12-hour window), or
    `ungrouped-<id>`."""
    if row.type in GROUPABLE and row.type in grouped_types:
        hour = int(row.created_at.timestamp()) // 3600
        window = hour - hour % GROUP_SPAN_HOURS
        prefix = row.type if row.type in UNGROUPED_BY_STATUS else f"{row.type}-{row.status_id}"
        return f"{prefix}-{window}"
    return f"ungrouped-{row.id}"


@dataclass
class Group:
    key: str
    rows: list[Row] = field(default_factory=list)  # newest first

    @property
    def newest(self) -> Row:
        return self.rows[0]

    @property
    def sample_account_ids(self) -> list[int]:
        return list(dict.fromkeys(r.from_account_id for r in self.rows))[:SAMPLE_ACCOUNTS]


@dataclass
class GroupPage:
    groups: list[Group]
    found: NotificationPage  # the rows' accounts, statuses (for the recipient) and reports
    cursor_ids: list[int]  # [newest, oldest] notification id the page covers, for Link


def list_groups(
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
    grouped_types: Iterable[str] = DEFAULT_GROUPED,
    include_filtered: bool = False,
) -> GroupPage:
    """Up to `limit` groups, newest first (the groups just above `min_id` when it is given)."""
    grouped = tuple(grouped_types)
    ascending = min_id is not None
    groups: dict[str, Group] = {}
    covered: list[Row] = []
    cursor_max, cursor_min = max_id, min_id
    for _ in range(MAX_ROWS // ROUND):
        page = notification_queries.list_page(
            tx,
            recipient_id,
            max_id=cursor_max,
            since_id=since_id,
            min_id=cursor_min,
            limit=ROUND,
            types=types,
            exclude_types=exclude_types,
            from_account_id=from_account_id,
            include_filtered=include_filtered,
        )
        in_order = list(reversed(page.rows)) if ascending else page.rows
        if _take(in_order, groups, covered, grouped, limit) or not page.cursor_ids:
            break
        dry = len(page.rows) < ROUND and page.cursor_ids == [r.id for r in page.rows]
        if dry:
            break
        # On past this round (past notifications that were all hidden, too).
        if ascending:
            cursor_min = max(page.cursor_ids)
        else:
            cursor_max = min(page.cursor_ids)
    covered.sort(key=lambda r: r.id, reverse=True)
    ordered = sorted(groups.values(), key=lambda g: g.newest.id, reverse=True)
    found = notification_queries.assemble(tx, recipient_id, covered)
    cursors = [covered[0].id, covered[-1].id] if covered else []
    return GroupPage(ordered, found, cursors)


def _take(
    rows: Sequence[Row],
    groups: dict[str, Group],
    covered: list[Row],
    grouped: tuple[str, ...],
    limit: int,
) -> bool:
    """Adds rows to their groups until a row would open group `limit + 1`; True then."""
    for row in rows:
        key = group_key(row, grouped)
        if key not in groups:
            if len(groups) >= limit:
                return True
            groups[key] = Group(key)
        groups[key].rows.append(row)
        covered.append(row)
    for group in groups.values():
        group.rows.sort(key=lambda r: r.id, reverse=True)
    return False


def get_group(
    tx: Tx, recipient_id: int, key: str, grouped_types: Iterable[str] = DEFAULT_GROUPED
) -> GroupPage | None:
    """One group by its key, with every notification of it the recipient may see."""
    rows = _rows_of(tx, recipient_id, key, tuple(grouped_types))
    if not rows:
        return None
    found = notification_queries.assemble(tx, recipient_id, rows)
    return GroupPage([Group(key, rows)], found, [rows[0].id, rows[-1].id])


def _rows_of(tx: Tx, recipient_id: int, key: str, grouped: tuple[str, ...]) -> list[Row]:
    kind, status_id, window = parse_key(key)
    if kind is None:
        return []
    if kind == "ungrouped":
        try:
            page = notification_queries.get_one(tx, recipient_id, status_id or 0)
        except NotFound:
            return []
        return page.rows
    start = datetime.fromtimestamp((window or 0) * 3600, UTC)
    end = start + timedelta(hours=GROUP_SPAN_HOURS)
    rows = notification_queries.rows_between(tx, recipient_id, kind, status_id, start, end)
    return [r for r in rows if group_key(r, grouped) == key]


# The last window hour a key may name (the year 2198): later ones name nothing we made.
MAX_WINDOW_HOUR = 2_000_000


def parse_key(key: str) -> tuple[str | None, int | None, int | None]:
    """(type, status id or notification id, window hour) of a group key; (None, ...) if it
    is not one we could have made (an id or an hour out of range included)."""
    parts = key.split("-")
    if parts[0] == "ungrouped" and len(parts) == 2:
        found = parse_id(parts[1])
        return ("ungrouped", found, None) if found is not None else (None, None, None)
    if parts[0] in UNGROUPED_BY_STATUS and len(parts) == 2:
        kind, status_id, hour = parts[0], None, parts[1]
    elif parts[0] in ("favourite", "reblog") and len(parts) == 3:
        kind, status_id, hour = parts[0], parse_id(parts[1]), parts[2]
        if status_id is None:
            return None, None, None
    else:
        return None, None, None
    if not hour.isdigit() or int(hour) > MAX_WINDOW_HOUR:
        return None, None, None
    return kind, status_id, int(hour)


def dismiss_group(tx: Tx, recipient_id: int, key: str) -> None:
    """Every notification of the group goes (Mastodon's dismiss of a group)."""
    for row in _rows_of(tx, recipient_id, key, DEFAULT_GROUPED):
        notification_queries.dismiss(tx, recipient_id, row.id)


def unread_group_count(
    tx: Tx,
    recipient_id: int,
    *,
    limit: int = 100,
    types: Iterable[str] = (),
    exclude_types: Iterable[str] = (),
    from_account_id: int | None = None,
    grouped_types: Iterable[str] = DEFAULT_GROUPED,
    include_filtered: bool = False,
) -> int:
    """Groups with a notification newer than the notifications marker, up to `limit`."""
    grouped = tuple(grouped_types)
    rows = notification_queries.unread_rows(
        tx,
        recipient_id,
        limit=notification_queries.UNREAD_CAP,
        types=types,
        exclude_types=exclude_types,
        from_account_id=from_account_id,
        include_filtered=include_filtered,
    )
    keys = dict.fromkeys(group_key(r, grouped) for r in rows)
    return min(len(keys), max(1, min(limit, notification_queries.UNREAD_CAP)))
