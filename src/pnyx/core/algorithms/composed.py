"""Feeds people compose from published parts, with no code: sources, filters and an order.

A recipe (stored in `composed_feeds`, owned by an account):
- `sources` (at least one): `follows` (the reader's home: whom *they* follow), `lists` (ids of
  the owner's own lists), `hashtags` (names), `local` (this server's public posts),
  `federated` (all public posts known here);
- `filters`: `languages` (ISO 639-1 codes; empty: any), `media_only`, `no_boosts`,
  `min_interactions` (favourites + boosts + replies, as counted here);
- `order`: `newest`, `catch-up` or `bridging` (the catalog's algorithms, with their published
  parameters).
Anyone with its id may read it (the link is the share), and follow it; only the owner may
change or delete it. Its version hashes the recipe with the order's code and parameters.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from pnyx.core.algorithms import catalog, composed_pool, versions
from pnyx.core.errors import Invalid, NotFound
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id, parse_id
from pnyx.db.insert_ignore import insert_ignore
from pnyx.db.tables import composed_feed_follows, composed_feeds, lists

MAX_TITLE = 100
MAX_DESCRIPTION = 1000
MAX_LISTS = 10
MAX_HASHTAGS = 10
MAX_LANGUAGES = 10
SOURCE_NAMES = ("follows", "lists", "hashtags", "local", "federated")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_HASHTAG = re.compile(r"^\w{1,100}$")


@dataclass(frozen=True)
class Recipe:
    title: str
    description: str
    sources: dict[str, Any]
    filters: dict[str, Any]
    order: str

    def canonical(self) -> dict[str, Any]:
        return {"sources": self.sources, "filters": self.filters, "order": self.order}


@dataclass(frozen=True)
class ComposedFeed:
    id: int
    account_id: int
    recipe: Recipe
    followers: int

    @property
    def order(self) -> catalog.Algorithm:
        return catalog.ORDERS[self.recipe.order]

    @property
    def version(self) -> str:
        """The order's code and parameters, and this module's, with the recipe."""
        order = self.order
        return versions.version_of(
            (*order.modules, sys.modules[__name__], composed_pool),
            {"order": order.params, "recipe": self.recipe.canonical()},
        )


def _bool(value: Any, name: str) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    raise Invalid(f"{name} must be true or false")


def _strings(value: Any, name: str, limit: int) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Invalid(f"{name} must be a list of strings")
    if len(value) > limit:
        raise Invalid(f"at most {limit} {name}")
    return value


def _sources(tx: Tx, owner_id: int, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict) or not raw:
        raise Invalid("sources must name at least one source")
    unknown = set(raw) - set(SOURCE_NAMES)
    if unknown:
        raise Invalid(f"unknown source {sorted(unknown)[0]}")
    hashtags = [
        h.strip().lstrip("#").lower()
        for h in _strings(raw.get("hashtags"), "hashtags", MAX_HASHTAGS)
    ]
    if not all(_HASHTAG.match(h) for h in hashtags):
        raise Invalid("a hashtag is not valid")
    given = raw.get("lists") or []
    if not isinstance(given, list) or len(given) > MAX_LISTS:
        raise Invalid(f"lists must be a list of at most {MAX_LISTS} ids")
    list_ids = []
    for value in given:
        number = parse_id(value) if isinstance(value, int | str) else None
        if number is None:
            raise Invalid("lists must be list ids")
        list_ids.append(number)
    if list_ids:
        owned = set(
            tx.scalars(
                sa.select(lists.c.id).where(
                    lists.c.account_id == owner_id, lists.c.id.in_(list_ids)
                )
            )
        )
        if set(list_ids) - owned:
            raise Invalid("lists must be your own lists")
    sources = {
        "follows": _bool(raw.get("follows"), "follows"),
        "lists": sorted(set(list_ids)),
        "hashtags": sorted(set(hashtags)),
        "local": _bool(raw.get("local"), "local"),
        "federated": _bool(raw.get("federated"), "federated"),
    }
    if not any(sources.values()):
        raise Invalid("sources must name at least one source")
    return sources


def _filters(raw: Any) -> dict[str, Any]:
    raw = raw or {}
    if not isinstance(raw, dict):
        raise Invalid("filters must be an object")
    unknown = set(raw) - {"languages", "media_only", "no_boosts", "min_interactions"}
    if unknown:
        raise Invalid(f"unknown filter {sorted(unknown)[0]}")
    languages = [v.lower() for v in _strings(raw.get("languages"), "languages", MAX_LANGUAGES)]
    if not all(_LANGUAGE.match(v) for v in languages):
        raise Invalid("languages must be ISO 639 codes")
    minimum = raw.get("min_interactions") or 0
    try:
        minimum = int(minimum)
    except (TypeError, ValueError):
        raise Invalid("min_interactions must be a whole number") from None
    if not 0 <= minimum <= 1_000_000:
        raise Invalid("min_interactions must be between 0 and 1000000")
    return {
        "languages": sorted(set(languages)),
        "media_only": _bool(raw.get("media_only"), "media_only"),
        "no_boosts": _bool(raw.get("no_boosts"), "no_boosts"),
        "min_interactions": minimum,
    }


def validate(
    tx: Tx, owner_id: int, title: Any, description: Any, sources: Any, filters: Any, order: Any
) -> Recipe:
    """The recipe, normalized, or Invalid (422) saying what is wrong."""
    if not isinstance(title, str) or not title.strip():
        raise Invalid("title can't be blank")
    if len(title) > MAX_TITLE:
        raise Invalid(f"title is too long (maximum is {MAX_TITLE})")
    description = description if isinstance(description, str) else ""
    if len(description) > MAX_DESCRIPTION:
        raise Invalid("description is too long")
    if order not in catalog.ORDERS:
        raise Invalid(f"order must be one of {', '.join(catalog.ORDERS)}")
    return Recipe(
        title.strip(), description, _sources(tx, owner_id, sources), _filters(filters), order
    )


def _followers(tx: Tx, feed_id: int) -> int:
    return int(
        tx.scalar(sa.select(sa.func.count()).where(composed_feed_follows.c.feed_id == feed_id)) or 0
    )


def _of(tx: Tx, row: Any) -> ComposedFeed:
    recipe = Recipe(row.title, row.description, row.sources, row.filters, row.ordering)
    return ComposedFeed(row.id, row.account_id, recipe, _followers(tx, row.id))


def get(tx: Tx, feed_id: int) -> ComposedFeed:
    """Any composed feed by id (readable by anyone with the link); NotFound otherwise."""
    row = tx.one_or_none(sa.select(composed_feeds).where(composed_feeds.c.id == feed_id))
    if row is None:
        raise NotFound()
    return _of(tx, row)


def owned(tx: Tx, owner_id: int, feed_id: int) -> ComposedFeed:
    """The owner's feed; NotFound for an unknown one and for someone else's."""
    feed = get(tx, feed_id)
    if feed.account_id != owner_id:
        raise NotFound()
    return feed


def create(tx: Tx, owner_id: int, recipe: Recipe) -> ComposedFeed:
    feed_id = new_id()
    tx.execute(
        composed_feeds.insert().values(
            id=feed_id,
            account_id=owner_id,
            title=recipe.title,
            description=recipe.description,
            sources=recipe.sources,
            filters=recipe.filters,
            ordering=recipe.order,
            created_at=tx.now,
            updated_at=tx.now,
        )
    )
    return get(tx, feed_id)


def update(tx: Tx, owner_id: int, feed_id: int, recipe: Recipe) -> ComposedFeed:
    owned(tx, owner_id, feed_id)
    tx.execute(
        composed_feeds.update()
        .where(composed_feeds.c.id == feed_id)
        .values(
            title=recipe.title,
            description=recipe.description,
            sources=recipe.sources,
            filters=recipe.filters,
            ordering=recipe.order,
            updated_at=tx.now,
        )
    )
    return get(tx, feed_id)


def delete(tx: Tx, owner_id: int, feed_id: int) -> None:
    owned(tx, owner_id, feed_id)
    tx.execute(composed_feeds.delete().where(composed_feeds.c.id == feed_id))


def follow(tx: Tx, account_id: int, feed_id: int) -> ComposedFeed:
    get(tx, feed_id)
    insert_ignore(
        tx,
        composed_feed_follows,
        {"id": new_id(), "feed_id": feed_id, "account_id": account_id, "created_at": tx.now},
    )
    return get(tx, feed_id)


def unfollow(tx: Tx, account_id: int, feed_id: int) -> ComposedFeed:
    get(tx, feed_id)
    tx.execute(
        composed_feed_follows.delete().where(
            composed_feed_follows.c.feed_id == feed_id,
            composed_feed_follows.c.account_id == account_id,
        )
    )
    return get(tx, feed_id)


def of_account(tx: Tx, account_id: int) -> tuple[list[ComposedFeed], list[ComposedFeed]]:
    """(the feeds they composed, the feeds of others they follow), newest first."""
    own = tx.rows(
        sa.select(composed_feeds)
        .where(composed_feeds.c.account_id == account_id)
        .order_by(composed_feeds.c.id.desc())
    )
    followed = tx.rows(
        sa.select(composed_feeds)
        .join(composed_feed_follows, composed_feed_follows.c.feed_id == composed_feeds.c.id)
        .where(
            composed_feed_follows.c.account_id == account_id,
            composed_feeds.c.account_id != account_id,
        )
        .order_by(composed_feed_follows.c.id.desc())
    )
    return [_of(tx, r) for r in own], [_of(tx, r) for r in followed]


def is_following(tx: Tx, account_id: int, feed_id: int) -> bool:
    return (
        tx.scalar(
            sa.select(composed_feed_follows.c.id).where(
                composed_feed_follows.c.feed_id == feed_id,
                composed_feed_follows.c.account_id == account_id,
            )
        )
        is not None
    )
