"""Trending hashtags and posts, from what this server sees, by open formulas.

Nothing here is tuned in secret: the formulas below are all there is, and docs/api.md states
them too. Both read only what people chose to make findable:

- **Eligible posts**: public (not unlisted, followers-only or direct), not a boost, not a
  reply, without a content warning or the sensitive mark, whose author is `discoverable` and
  `indexable`, neither suspended nor waiting for approval.

- **Hashtags** (`tags`): for each hashtag used in eligible posts of the last 7 days,
  `recent` = distinct accounts that used it in the last 24 hours and `usual` = its daily
  average before: for each of the 6 days (24-hour spans) before those 24 hours, the distinct
  accounts that used it that day, summed and divided by 6.
  `score = recent - usual`. A hashtag trends when `recent >= 2` and `score > 0`; they are
  ranked by score, then `recent`, then name.

- **Posts** (`statuses`): each eligible post of the last 48 hours with at least one
  interaction, where `interactions = favourites + boosts + replies` as counted here and
  `age` is its age in hours: `score = interactions / (age + 2) ** 1.5` (the gravity formula
  of Hacker News). Ranked by score, then newest first.

Links trend once link preview cards exist; until then there are none.

Cost is bounded: each computation reads at most `MAX_ROWS` rows of the window, and a result
is kept for `CACHE_SECONDS` (per process, in the `Cache` the caller holds); each reader then
gets it through their own visibility pipeline (blocks, mutes, filters), so the shared list is
never a way to see more.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import sqlalchemy as sa

from pnyx.core.account_visibility import ACTIVE, account_visible_condition
from pnyx.db.engine import Tx
from pnyx.db.ids import id_floor
from pnyx.db.tables import accounts, status_tags, statuses, tags

TAG_WINDOW = timedelta(days=7)
RECENT = timedelta(hours=24)
USUAL_DAYS = 6
MIN_RECENT_ACCOUNTS = 2
STATUS_WINDOW = timedelta(hours=48)
GRAVITY = 1.5
AGE_OFFSET_HOURS = 2
MAX_ROWS = 20_000
MAX_RESULTS = 100
CACHE_SECONDS = 600

T = TypeVar("T")


class Cache:
    """Results kept for a while, by name: one per process is enough (the API holds it)."""

    def __init__(self, seconds: float = CACHE_SECONDS) -> None:
        self.seconds = seconds
        self._lock = threading.Lock()
        self._kept: dict[str, tuple[float, Any]] = {}

    def get(self, name: str, compute: Callable[[], T]) -> T:
        now = time.monotonic()
        with self._lock:
            kept = self._kept.get(name)
            if kept is not None and kept[0] > now:
                return kept[1]  # stored under this name by a compute of the same type
        value = compute()
        with self._lock:
            self._kept[name] = (now + self.seconds, value)
        return value


def _eligible(tx: Tx, since: Any) -> list[sa.ColumnElement[bool]]:
    """The conditions on a statuses join accounts that make a post count (docstring)."""
    return [
        statuses.c.id >= id_floor(since),
        statuses.c.created_at >= since,
        statuses.c.visibility == "public",
        statuses.c.reblog_of_id.is_(None),
        statuses.c.in_reply_to_id.is_(None),
        statuses.c.in_reply_to_uri.is_(None),
        statuses.c.sensitive.is_(False),
        statuses.c.spoiler_text == "",
        accounts.c.discoverable.is_(True),
        accounts.c.indexable.is_(True),
        account_visible_condition(ACTIVE, accounts, None, tx.now),
    ]


def tag_scores(tx: Tx) -> list[tuple[int, float, int]]:
    """(tag id, score, recent accounts) of trending hashtags, best first. The window's rows
    (at most MAX_ROWS, newest first) are counted here rather than in SQL: a day's distinct
    accounts per tag is a set, and both databases agree on Python's sets."""
    since = tx.now - TAG_WINDOW
    recent_since = tx.now - RECENT
    rows = tx.rows(
        sa.select(status_tags.c.tag_id, statuses.c.account_id, statuses.c.created_at)
        .select_from(
            status_tags.join(statuses, statuses.c.id == status_tags.c.status_id).join(
                accounts, accounts.c.id == statuses.c.account_id
            )
        )
        .where(*_eligible(tx, since))
        .order_by(statuses.c.id.desc())
        .limit(MAX_ROWS)
    )
    recent: dict[int, set[int]] = {}
    earlier: dict[int, set[tuple[int, int]]] = {}  # (account, day before the last 24 hours)
    for row in rows:
        if row.created_at >= recent_since:
            recent.setdefault(row.tag_id, set()).add(row.account_id)
        else:
            day = int((recent_since - row.created_at) / timedelta(days=1))
            earlier.setdefault(row.tag_id, set()).add((row.account_id, day))
    scored = []
    for tag_id, people in recent.items():
        usual = len(earlier.get(tag_id, ())) / USUAL_DAYS
        score = len(people) - usual
        if len(people) >= MIN_RECENT_ACCOUNTS and score > 0:
            scored.append((tag_id, score, len(people)))
    names = dict(
        tx.execute(
            sa.select(tags.c.id, tags.c.name).where(tags.c.id.in_([s[0] for s in scored]))
        ).all()
    )
    scored.sort(key=lambda s: (-s[1], -s[2], names.get(s[0], "")))
    return scored[:MAX_RESULTS]


def status_scores(tx: Tx) -> list[tuple[int, float]]:
    """(status id, score) of trending posts, best first."""
    since = tx.now - STATUS_WINDOW
    interactions = statuses.c.favourites_count + statuses.c.reblogs_count + statuses.c.replies_count
    rows = tx.rows(
        sa.select(statuses.c.id, statuses.c.created_at, interactions.label("interactions"))
        .select_from(statuses.join(accounts, accounts.c.id == statuses.c.account_id))
        .where(*_eligible(tx, since), interactions > 0)
        .order_by(statuses.c.id.desc())
        .limit(MAX_ROWS)
    )
    scored = []
    for row in rows:
        age = max((tx.now - row.created_at).total_seconds() / 3600, 0.0)
        scored.append((row.id, int(row.interactions) / (age + AGE_OFFSET_HOURS) ** GRAVITY))
    scored.sort(key=lambda s: (-s[1], -s[0]))
    return scored[:MAX_RESULTS]


def trending_tag_rows(tx: Tx, cache: Cache | None, offset: int, limit: int) -> list[Any]:
    """Tag rows of the trending hashtags, for `hashtags.views`."""
    ranked = cache.get("tags", lambda: tag_scores(tx)) if cache else tag_scores(tx)
    ids = [tag_id for tag_id, _score, _recent in ranked[offset : offset + limit]]
    found = {row.id: row for row in tx.rows(sa.select(tags).where(tags.c.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def trending_status_ids(tx: Tx, cache: Cache | None) -> list[int]:
    """Ids of the trending posts, best first, before any viewer's pipeline."""
    ranked = cache.get("statuses", lambda: status_scores(tx)) if cache else status_scores(tx)
    return [status_id for status_id, _score in ranked]
