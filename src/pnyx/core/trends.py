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

- **Links** (`links`): the link preview cards of eligible posts of the last 7 days (a post's
  card is that of its first link, `core.preview_cards`), by the hashtags' formula: `recent`
  = distinct accounts that shared it in the last 24 hours, `usual` = its daily average of
  distinct accounts over the 6 days before, `score = recent - usual`; a link trends when
  `recent >= 2` and `score > 0`, ranked by score, then `recent`, then newest card. Each
  comes with its week of use (eligible posts and their distinct accounts per day).

Cost is bounded: each computation reads at most `MAX_ROWS` rows of the window, and a result
is kept for `CACHE_SECONDS` (per process, in the `Cache` the caller holds); each reader then
gets it through their own visibility pipeline (blocks, mutes, filters), so the shared list is
never a way to see more.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa

from pnyx.core import reach
from pnyx.core.account_visibility import ACTIVE, account_visible_condition
from pnyx.db.engine import Tx
from pnyx.db.ids import id_floor
from pnyx.db.tables import (
    accounts,
    preview_card_statuses,
    preview_cards,
    status_tags,
    statuses,
    tags,
)

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
        sa.not_(reach.silenced(accounts, tx.now)),  # limited accounts do not trend
        sa.not_(reach.out_of_trends(statuses.c.id)),  # nor posts the staff took out
    ]


@dataclass(frozen=True)
class TagTrend:
    """A trending hashtag and the terms of its score: `spans` are the distinct accounts of
    each 24-hour span, the last 24 hours first (`recent`), then the USUAL_DAYS before (their
    sum divided by USUAL_DAYS is `usual`), so a reader can redo the arithmetic."""

    tag_id: int
    score: float
    recent: int
    usual: float
    spans: tuple[int, ...]


def _spans(recent: set[int], earlier: set[tuple[int, int]]) -> tuple[int, ...]:
    """Distinct accounts per 24-hour span, the last 24 hours first."""
    per_day = [0] * USUAL_DAYS
    for _account, day in earlier:
        if day < USUAL_DAYS:
            per_day[day] += 1
    return (len(recent), *per_day)


def tag_trends(tx: Tx) -> list[TagTrend]:
    """Trending hashtags with their terms, best first. The window's rows (at most MAX_ROWS,
    newest first) are counted here rather than in SQL: a day's distinct accounts per tag is
    a set, and both databases agree on Python's sets."""
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
        before = earlier.get(tag_id, set())
        usual = len(before) / USUAL_DAYS
        score = len(people) - usual
        if len(people) >= MIN_RECENT_ACCOUNTS and score > 0:
            scored.append(TagTrend(tag_id, score, len(people), usual, _spans(people, before)))
    names = dict(
        tx.execute(
            sa.select(tags.c.id, tags.c.name).where(tags.c.id.in_([s.tag_id for s in scored]))
        ).all()
    )
    scored.sort(key=lambda s: (-s.score, -s.recent, names.get(s.tag_id, "")))
    return scored[:MAX_RESULTS]


@dataclass(frozen=True)
class StatusTrend:
    """A trending post with the terms of its score (what /explore shows beside it)."""

    status_id: int
    score: float
    interactions: int
    age_hours: float


def status_trends(tx: Tx) -> list[StatusTrend]:
    """Trending posts with their terms, best first (the module docstring's formula)."""
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
        count = int(row.interactions)
        score = count / (age + AGE_OFFSET_HOURS) ** GRAVITY
        scored.append(StatusTrend(row.id, score, count, age))
    scored.sort(key=lambda t: (-t.score, -t.status_id))
    return scored[:MAX_RESULTS]


def cached_status_trends(tx: Tx, cache: Cache | None) -> list[StatusTrend]:
    """The trending posts with their terms, through the per-process cache."""
    return cache.get("statuses", lambda: status_trends(tx)) if cache else status_trends(tx)


def trending_tag_rows(tx: Tx, cache: Cache | None, offset: int, limit: int) -> list[Any]:
    """Tag rows of the trending hashtags, for `hashtags.views`."""
    return [row for row, _trend in trending_tags(tx, cache, offset, limit)]


def trending_tags(
    tx: Tx, cache: Cache | None, offset: int, limit: int
) -> list[tuple[Any, TagTrend]]:
    """(tag row, its trend) of the trending hashtags: the row and the terms of its score."""
    ranked = cache.get("tags", lambda: tag_trends(tx)) if cache else tag_trends(tx)
    page = ranked[offset : offset + limit]
    ids = [t.tag_id for t in page]
    found = {row.id: row for row in tx.rows(sa.select(tags).where(tags.c.id.in_(ids)))}
    return [(found[t.tag_id], t) for t in page if t.tag_id in found]


def trending_status_ids(tx: Tx, cache: Cache | None) -> list[int]:
    """Ids of the trending posts, best first, before any viewer's pipeline."""
    return [t.status_id for t in cached_status_trends(tx, cache)]


@dataclass(frozen=True)
class LinkTrend:
    """A trending link: its card, score, and use per day over the week (today first: the
    day's midnight UTC, eligible posts, their distinct accounts)."""

    card_id: int
    score: float
    recent: int
    history: tuple[tuple[datetime, int, int], ...]
    usual: float = 0.0  # the terms of its score, as TagTrend's
    spans: tuple[int, ...] = ()


def _midnights(now: datetime) -> list[datetime]:
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return [today - timedelta(days=i) for i in range(USUAL_DAYS + 1)]


def link_scores(tx: Tx) -> list[LinkTrend]:
    """Trending links, best first (the module docstring's formula)."""
    since = tx.now - TAG_WINDOW
    recent_since = tx.now - RECENT
    rows = tx.rows(
        sa.select(
            preview_card_statuses.c.preview_card_id, statuses.c.account_id, statuses.c.created_at
        )
        .select_from(
            preview_card_statuses.join(
                statuses, statuses.c.id == preview_card_statuses.c.status_id
            ).join(accounts, accounts.c.id == statuses.c.account_id)
        )
        .where(*_eligible(tx, since), preview_card_statuses.c.preview_card_id.is_not(None))
        .order_by(statuses.c.id.desc())
        .limit(MAX_ROWS)
    )
    recent: dict[int, set[int]] = {}
    earlier: dict[int, set[tuple[int, int]]] = {}
    days = _midnights(tx.now)
    uses: dict[int, dict[int, list]] = {}  # card -> day index -> [posts, accounts]
    for row in rows:
        card = row.preview_card_id
        if row.created_at >= recent_since:
            recent.setdefault(card, set()).add(row.account_id)
        else:
            day = int((recent_since - row.created_at) / timedelta(days=1))
            earlier.setdefault(card, set()).add((row.account_id, day))
        index = next((i for i, d in enumerate(days) if row.created_at >= d), None)
        if index is not None:
            cell = uses.setdefault(card, {}).setdefault(index, [0, set()])
            cell[0] += 1
            cell[1].add(row.account_id)
    scored = []
    for card, people in recent.items():
        before = earlier.get(card, set())
        usual = len(before) / USUAL_DAYS
        score = len(people) - usual
        if len(people) >= MIN_RECENT_ACCOUNTS and score > 0:
            per_day = uses.get(card, {})
            history = tuple(
                (day, per_day[i][0], len(per_day[i][1])) if i in per_day else (day, 0, 0)
                for i, day in enumerate(days)
            )
            scored.append(
                LinkTrend(card, score, len(people), history, usual, _spans(people, before))
            )
    scored.sort(key=lambda t: (-t.score, -t.recent, -t.card_id))
    return scored[:MAX_RESULTS]


def trending_links(
    tx: Tx, cache: Cache | None, offset: int, limit: int
) -> list[tuple[Any, LinkTrend]]:
    """(card row, its trend) of the trending links, for the API. A card is public matter (the
    page's own description of itself), so nothing here depends on the reader."""
    ranked = cache.get("links", lambda: link_scores(tx)) if cache else link_scores(tx)
    page = ranked[offset : offset + limit]
    ids = [t.card_id for t in page]
    found = {
        row.id: row
        for row in tx.rows(
            sa.select(preview_cards).where(
                preview_cards.c.id.in_(ids), preview_cards.c.error.is_(None)
            )
        )
    }
    return [(found[t.card_id], t) for t in page if t.card_id in found]


def trending_card_id(tx: Tx, cache: Cache | None, url: str) -> int | None:
    """The id of the card of `url` if that link is trending now, else None."""
    ranked = cache.get("links", lambda: link_scores(tx)) if cache else link_scores(tx)
    ids = {t.card_id for t in ranked}
    found = tx.scalar(sa.select(preview_cards.c.id).where(preview_cards.c.url == url))
    return found if found in ids else None
