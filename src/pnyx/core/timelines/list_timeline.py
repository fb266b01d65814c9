"""A list's timeline: the posts and boosts of its members, as the home feed would show them,
with the list's replies policy.

Mastodon builds it like the home feed and filters it the same way (`filter_from_home?`),
plus the list's own rule for replies to other people:
- `followed`: replies to anyone the owner follows (the home feed's rule alone);
- `list`: replies to members of the list (or to the owner);
- `none`: no replies to other people, except those to the owner.
Direct posts are not brought to lists (Mastodon fans only public, unlisted and followers-only
posts out to them). Exclusive lists do not change their own timeline: their members leave the
home timeline instead (`home_timeline.feed_choices`).

The candidates come from the home timeline's query for authored posts, over the list's
members instead of the viewer's follows; the rules are the home feed's steps and one more.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from functools import lru_cache

import sqlalchemy as sa

from pnyx.core import decisions, lists, visibility
from pnyx.core.paging import Page
from pnyx.core.timelines.candidates import Candidate, Fetch, Keep, Slice, fill_page
from pnyx.core.timelines.home_timeline import (
    authored_postgres,
    authored_sqlite,
    candidate_of,
    feed_choices,
    home_candidates,
    home_facts,
    shown_once,
)
from pnyx.core.visibility import StatusLike
from pnyx.db.engine import Tx
from pnyx.db.tables import list_accounts
from pnyx.db.tables import lists as list_model


@lru_cache(maxsize=32)
def _list_statement(
    postgres: bool, has_since: bool, has_max: bool, has_min: bool, asc: bool
) -> sa.Select:
    """The members' newest posts under the cursors, built once per shape of page."""

    def param(name: str, present: bool) -> sa.BindParameter[int] | None:
        return sa.bindparam(name, type_=sa.BigInteger) if present else None

    members = sa.select(list_accounts.c.account_id.label("author_id")).where(
        list_accounts.c.list_id == sa.bindparam("list_id", type_=sa.BigInteger)
    )
    authored = authored_postgres if postgres else authored_sqlite
    return authored(
        members,
        param("since_id", has_since),
        param("max_id", has_max),
        param("min_id", has_min),
        asc,
        sa.bindparam("n", type_=sa.Integer),
    )


def list_candidate_statement(postgres: bool) -> sa.Select:
    """The newest n candidates of a list with no cursor (parameters `list_id`, `n`), before
    any rule: what a materialized list feed is built from (`core.feeds.rebuild`)."""
    return _list_statement(postgres, False, False, False, False)


def list_statuses(tx: Tx, viewer_id: int, list_id: int, page: Page) -> Slice:
    """The timeline of the viewer's list `list_id` read from `statuses` (NotFound if it is
    not theirs). (The edges call `timelines.list_statuses`, which reads the materialized
    feed when there is one.)"""
    owned = lists.get(tx, viewer_id, list_id)
    keep = list_keep(tx, viewer_id, list_id, owned.replies_policy)
    return fill_page(page, list_fetch(tx, list_id, page), keep, viewer_id)


def list_fetch(tx: Tx, list_id: int, page: Page) -> Fetch:
    """The list's candidates under a cursor, read from `statuses` (`fill_page`'s fetch)."""

    def fetch(max_id: int | None, min_id: int | None, n: int) -> list[Candidate]:
        statement = _list_statement(
            tx.is_postgres,
            page.since_id is not None,
            max_id is not None,
            min_id is not None,
            page.ascending,
        )
        params = {"list_id": list_id, "n": n}
        for name, value in (("since_id", page.since_id), ("max_id", max_id), ("min_id", min_id)):
            if value is not None:
                params[name] = value
        found = home_candidates(tx.execute(statement, params))
        # The outer join keeps no order (PostgreSQL's LATERAL form): sort as the page walks.
        return sorted(found, key=lambda c: c.id, reverse=not page.ascending)

    return fetch


def list_keep(tx: Tx, viewer_id: int, list_id: int, policy: str) -> Keep:
    """The list's rules (the home feed's steps and its replies policy), for `fill_page`."""

    def keep(batch: list[Candidate]) -> list[Candidate]:
        if not batch:
            return []
        facts = home_facts(tx, viewer_id, batch)
        members = _members_among(tx, list_id, {c.in_reply_to_account_id for c in batch})
        steps = (
            decisions.see,
            decisions.muted_thread,
            decisions.muted,
            feed_choices(facts, home=False),
            _list_step(viewer_id, policy, members),
        )
        return shown_once(facts.ctx, batch, steps)

    return keep


def shown_in_lists(
    tx: Tx, status_id: int, wanted: Mapping[str, Collection[int | None]]
) -> dict[str, set[int]]:
    """Of the list streams connected (list id -> viewers), those whose list timeline the post
    belongs in, by the page's own rules, for the list's owner (only they may stream it)."""
    candidate = candidate_of(tx, status_id)
    if candidate is None:
        return {}
    shown: dict[str, set[int]] = {}
    for key, viewers in wanted.items():
        row = tx.one_or_none(
            sa.select(list_model.c.account_id, list_model.c.replies_policy).where(
                list_model.c.id == int(key)
            )
        )
        if row is None or row.account_id not in viewers:
            continue
        if not _members_among(tx, int(key), {candidate.account_id}):
            continue  # not a member's post nor a member's boost
        facts = home_facts(tx, row.account_id, [candidate])
        members = _members_among(tx, int(key), {candidate.in_reply_to_account_id})
        steps = (
            decisions.see,
            decisions.muted_thread,
            decisions.muted,
            feed_choices(facts, home=False),
            _list_step(row.account_id, row.replies_policy, members),
        )
        if shown_once(facts.ctx, [candidate], steps):
            shown[key] = {row.account_id}
    return shown


def _members_among(tx: Tx, list_id: int, account_ids: set[int | None]) -> set[int]:
    wanted = [a for a in account_ids if a is not None]
    if not wanted:
        return set()
    return set(
        tx.scalars(
            sa.select(list_accounts.c.account_id).where(
                list_accounts.c.list_id == list_id, list_accounts.c.account_id.in_(wanted)
            )
        )
    )


def _list_step(owner_id: int, policy: str, members: set[int]) -> decisions.StepFor[Candidate]:
    """The list's own rule: no direct posts, and replies to others as its policy says."""

    def step(
        ctx: visibility.ViewerContext, c: Candidate, original: StatusLike | None
    ) -> decisions.Decision | None:
        if c.visibility == "direct":
            return decisions.hide("direct_not_in_lists")
        target = c.in_reply_to_account_id
        if target is None or target in (c.account_id, owner_id) or policy == "followed":
            return None
        if policy == "list" and target in members:
            return None
        return decisions.hide(f"replies_policy_{policy}")

    return step
