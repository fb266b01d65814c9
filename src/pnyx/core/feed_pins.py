"""Pinned feeds: any open feed a person pins becomes one of their Mastodon lists.

Apps people already use (Tusky, Ivory, Elk, Phanpy) know lists and nothing of Pnyx's feeds,
so a pin is shown as a List entity in `GET /api/v1/lists` and read through
`GET /api/v1/timelines/list/:id`. Its posts are chosen by the feed's algorithm, not by
members: asking for its members gives none, changing them is refused with a 422 that says
why. Its title renames the pin (the feed keeps its own); deleting the list unpins the feed.

A pin's id has bit 62 set. Ids made by `db.ids.new_id` are milliseconds shifted left 16
bits, which stay below 2**62 until the year 2248, so a pin id can never be a real list's id
and the list routes tell them apart by the id alone (`is_pin_id`).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from pnyx.core.algorithms import catalog, composed, feeds
from pnyx.core.algorithms.serving import Feed
from pnyx.core.errors import CoreError, Invalid, NotFound
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.tables import feed_pins

PIN_BIT = 1 << 62
MAX_PINS = 20  # pins per account (lists have their own limit of 50)
MAX_TITLE_CHARS = 256


@dataclass(frozen=True)
class Pin:
    id: int
    account_id: int
    feed_id: str
    title: str

    def list_entity(self) -> dict[str, object]:
        """The Mastodon List entity apps see: members are never the list's rule here, and a
        feed never takes posts out of home, so replies_policy "list" and exclusive false."""
        return {
            "id": str(self.id),
            "title": self.title,
            "replies_policy": "list",
            "exclusive": False,
        }


def is_pin_id(list_id: int) -> bool:
    return bool(list_id & PIN_BIT)


def _of(row: sa.Row) -> Pin:
    return Pin(row.id, row.account_id, row.feed_id, row.title)


def feed_title(tx: Tx, feed_id: str) -> tuple[str, int | None]:
    """The feed's own title, and its composed feed's id (None for a catalog algorithm);
    NotFound for no such feed."""
    algorithm = catalog.get(feed_id)
    if algorithm is not None:
        return algorithm.title, None
    if feed_id.isdigit() and len(feed_id) < 20:
        found = composed.get(tx, int(feed_id))
        return found.recipe.title, found.id
    raise NotFound()


def of_account(tx: Tx, account_id: int) -> list[Pin]:
    """The account's pins, oldest first (the order lists come in)."""
    rows = tx.rows(
        sa.select(feed_pins).where(feed_pins.c.account_id == account_id).order_by(feed_pins.c.id)
    )
    return [_of(r) for r in rows]


def pinned_feed_ids(tx: Tx, account_id: int) -> set[str]:
    return set(
        tx.scalars(sa.select(feed_pins.c.feed_id).where(feed_pins.c.account_id == account_id))
    )


def get(tx: Tx, account_id: int, pin_id: int) -> Pin:
    """The account's pin; NotFound for an unknown one and for someone else's (as lists)."""
    row = tx.one_or_none(
        sa.select(feed_pins).where(feed_pins.c.id == pin_id, feed_pins.c.account_id == account_id)
    )
    if row is None:
        raise NotFound()
    return _of(row)


def owns(tx: Tx, account_id: int, pin_id: int) -> bool:
    found = sa.select(feed_pins.c.id).where(
        feed_pins.c.id == pin_id, feed_pins.c.account_id == account_id
    )
    return tx.scalar(found) is not None


def pin(tx: Tx, account_id: int, feed_id: str) -> Pin:
    """Pin a feed (again: the same pin). Anyone may pin a catalog algorithm or any composed
    feed they have the id of (its link is its share)."""
    title, composed_id = feed_title(tx, feed_id)
    existing = tx.one_or_none(
        sa.select(feed_pins).where(
            feed_pins.c.account_id == account_id, feed_pins.c.feed_id == feed_id
        )
    )
    if existing is not None:
        return _of(existing)
    count = tx.scalar(sa.select(sa.func.count()).where(feed_pins.c.account_id == account_id))
    if int(count or 0) >= MAX_PINS:
        raise Invalid(f"You can pin at most {MAX_PINS} feeds")
    pin_id = new_id() | PIN_BIT
    tx.execute(
        feed_pins.insert().values(
            id=pin_id,
            account_id=account_id,
            feed_id=feed_id,
            composed_feed_id=composed_id,
            title=title[:MAX_TITLE_CHARS],
            created_at=tx.now,
        )
    )
    return Pin(pin_id, account_id, feed_id, title[:MAX_TITLE_CHARS])


def unpin(tx: Tx, account_id: int, feed_id: str) -> None:
    """Unpin a feed (a feed not pinned: nothing to do)."""
    tx.execute(
        feed_pins.delete().where(
            feed_pins.c.account_id == account_id, feed_pins.c.feed_id == feed_id
        )
    )


def delete(tx: Tx, account_id: int, pin_id: int) -> None:
    """`DELETE /api/v1/lists/:id` of a pin: unpin it."""
    get(tx, account_id, pin_id)
    tx.execute(feed_pins.delete().where(feed_pins.c.id == pin_id))


def rename(tx: Tx, account_id: int, pin_id: int, title: str | None) -> Pin:
    """A new title for the pinned list (the feed itself keeps its own); no title: unchanged."""
    found = get(tx, account_id, pin_id)
    if title is None:
        return found
    title = title.strip()
    if not title:
        raise Invalid("Title can't be blank")
    if len(title) > MAX_TITLE_CHARS:
        raise Invalid(f"Title is too long (maximum is {MAX_TITLE_CHARS} characters)")
    tx.execute(feed_pins.update().where(feed_pins.c.id == pin_id).values(title=title))
    return Pin(found.id, found.account_id, found.feed_id, title)


def refuse_members(tx: Tx, account_id: int, pin_id: int) -> None:
    """Adding or removing members of a pinned feed: always refused, saying why."""
    found = get(tx, account_id, pin_id)
    raise CoreError(  # 422, worded whole: not a "Validation failed" of the request
        f"This list is a Pnyx feed ({found.title}): "
        "its posts are chosen by its algorithm, not by members"
    )


def feed_of(tx: Tx, account_id: int, pin_id: int) -> Feed:
    """What serves the pinned list's timeline."""
    return feeds.resolve(tx, get(tx, account_id, pin_id).feed_id)


@dataclass(frozen=True)
class MenuFeed:
    """One feed of the web home's switcher."""

    id: str
    title: str
    kind: str  # "algorithm", "composed" (their own), "followed", "pinned"
    pinned: bool


def menu(tx: Tx, account_id: int) -> list[MenuFeed]:
    """The feeds a person can switch home to: the built-in algorithms, then the feeds they
    composed, those they follow and any other they pinned, each once."""
    pins = of_account(tx, account_id)
    pinned = {p.feed_id for p in pins}
    out = [
        MenuFeed(a.id, a.title, "algorithm", a.id in pinned) for a in catalog.ALGORITHMS.values()
    ]
    own, followed = composed.of_account(tx, account_id)
    for kind, found in (("composed", own), ("followed", followed)):
        out += [MenuFeed(str(c.id), c.recipe.title, kind, str(c.id) in pinned) for c in found]
    listed = {m.id for m in out}
    out += [MenuFeed(p.feed_id, p.title, "pinned", True) for p in pins if p.feed_id not in listed]
    return out
