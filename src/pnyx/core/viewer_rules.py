"""A viewer's own reading rules, kept in memory between requests: whom they follow and with
which options, whom they block or are blocked by, whom they mute and until when, the servers
they block, the threads they muted, the members of their exclusive lists, their filters, the labelers they apply.

Every timeline page asks the same questions of them, and asking the database each time was
the biggest single cost of a home page (one query of eight arms, a fifth of its time;
BENCHMARKS.md, issue 11, session 9). They change seldom, by the viewer's own hand, and the
database moves `viewer_versions.version` on every change (migration 0032's triggers,
whoever writes). The version comes with the token lookup every request makes anyway
(`core.oauth.tokens`), so a page checks its cached rules at no extra query.

What is not the viewer's own is read with the page: which authors are suspended, which posts
mention the viewer, and which authors live on a server the viewer blocks (the author's
server is not known here): with a feed's entries (`core.timelines.feed_query`), else in one
query (`visibility.load_context`).

Kept only from read transactions (`row_cache.may_keep`), and bounded like the row caches.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from pnyx.core import filter_matching, label_rules, labels, row_cache
from pnyx.core.filter_matching import ViewerFilters
from pnyx.core.label_rules import LabelRules
from pnyx.core.row_cache import VersionedCache
from pnyx.db.engine import Tx
from pnyx.db.tables import (
    account_domain_blocks,
    blocks,
    conversation_mutes,
    follows,
    list_accounts,
    lists,
    mutes,
    viewer_versions,
)

ENTRIES = 8192
# Where the token lookup leaves the version it read (`Tx.known`), by viewer.
KNOWN = "viewer_rules.version"


@dataclass(frozen=True)
class ViewerRules:
    following: frozenset[int]
    hiding_reblogs: frozenset[int]  # followed without their boosts
    languages: Mapping[int, frozenset[str]]  # followed in these languages only
    exclusive: frozenset[int]  # followed accounts in one of the viewer's exclusive lists
    blocked: frozenset[int]  # either direction
    mutes: Mapping[int, datetime | None]  # muted account -> when the mute ends (None: never)
    muted_conversations: frozenset[int]
    blocked_domains: frozenset[str]
    every_filter: ViewerFilters  # the expired too: `filters` keeps those active
    labels: LabelRules  # the labelers applied and the viewer's settings of their labels
    _muted_for_good: frozenset[int] | None  # the muted set when no mute ends

    def filters(self, now: datetime) -> ViewerFilters:
        """The viewer's filters active at `now`, compiled."""
        return self.every_filter.active_at(now)

    def muted(self, now: datetime) -> frozenset[int]:
        """The accounts muted at `now` (a mute with an end is over once it passed)."""
        if self._muted_for_good is not None:
            return self._muted_for_good
        return frozenset(a for a, ends in self.mutes.items() if ends is None or ends > now)


cache: VersionedCache[ViewerRules] = VersionedCache(ENTRIES)


def of(tx: Tx, viewer_id: int) -> ViewerRules:
    """The viewer's rules as of this transaction (a page asks several times: a read
    transaction keeps them in `Tx.known`; a write could change them between two asks)."""
    reading = row_cache.may_keep(tx)
    if reading and (_THESE, viewer_id) in tx.known:
        return tx.known[(_THESE, viewer_id)]
    version = tx.known.get((KNOWN, viewer_id))
    if version is None:
        version = current_version(tx, viewer_id)
    found, _ = cache.take({viewer_id: version})
    rules = found.get(viewer_id)
    if rules is not None and rules.labels.instance_id is None and labels.instance_labeler_id(tx):
        rules = None  # kept before the instance's labeler was made (the app makes it at start)
    if rules is None:
        rules = _load(tx, viewer_id)
        if reading:
            cache.keep([(viewer_id, version, rules)])
    if reading:
        tx.known[(_THESE, viewer_id)] = rules
    return rules


_THESE = "viewer_rules.rules"  # `Tx.known` key of the rules a read transaction took


def current_version(tx: Tx, viewer_id: int) -> int:
    return (
        tx.scalar(
            sa.select(viewer_versions.c.version).where(viewer_versions.c.account_id == viewer_id)
        )
        or 0
    )


def version_of(account_id: sa.ColumnElement[int]) -> sa.ScalarSelect[int]:
    """The account's rules version as a column of a caller's statement (NULL: never moved)."""
    return (
        sa.select(viewer_versions.c.version)
        .where(viewer_versions.c.account_id == account_id)
        .scalar_subquery()
    )


def in_exclusive_list() -> sa.Exists:
    """The followed account (of a `follows` row) is a member of one of the follower's
    exclusive lists (members are tied to the follow row)."""
    return sa.exists().where(
        list_accounts.c.follow_id == follows.c.id,
        lists.c.id == list_accounts.c.list_id,
        lists.c.exclusive.is_(True),
    )


@functools.cache
def _statements() -> tuple[sa.Select, ...]:
    viewer = sa.bindparam("viewer", type_=sa.BigInteger)
    return (
        sa.select(
            follows.c.target_account_id,
            follows.c.show_reblogs,
            follows.c.languages,
            in_exclusive_list().label("in_exclusive"),
        ).where(follows.c.account_id == viewer),
        sa.select(blocks.c.target_account_id).where(blocks.c.account_id == viewer),
        sa.select(blocks.c.account_id).where(blocks.c.target_account_id == viewer),
        sa.select(mutes.c.target_account_id, mutes.c.expires_at).where(
            mutes.c.account_id == viewer
        ),
        sa.select(conversation_mutes.c.conversation_id).where(
            conversation_mutes.c.account_id == viewer
        ),
        sa.select(account_domain_blocks.c.domain).where(
            account_domain_blocks.c.account_id == viewer
        ),
    )


def _load(tx: Tx, viewer_id: int) -> ViewerRules:
    followed, blocking, blocked_by, muting, threads, domains = (
        tx.execute(statement, {"viewer": viewer_id}).all() for statement in _statements()
    )
    mutes_until = {row.target_account_id: row.expires_at for row in muting}
    return ViewerRules(
        following=frozenset(row.target_account_id for row in followed),
        hiding_reblogs=frozenset(row.target_account_id for row in followed if not row.show_reblogs),
        languages={
            row.target_account_id: frozenset(row.languages) for row in followed if row.languages
        },
        exclusive=frozenset(row.target_account_id for row in followed if row.in_exclusive),
        blocked=frozenset(row[0] for row in blocking) | frozenset(row[0] for row in blocked_by),
        mutes=mutes_until,
        muted_conversations=frozenset(row[0] for row in threads),
        blocked_domains=frozenset(row[0] for row in domains),
        every_filter=filter_matching.load_every(tx, viewer_id),
        labels=label_rules.rules_of(tx, viewer_id),
        _muted_for_good=(
            frozenset(mutes_until) if all(v is None for v in mutes_until.values()) else None
        ),
    )
