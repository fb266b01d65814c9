"""Materialized home feeds for the bulk-built benchmark instance (bench/timeline.py).

The builder writes rows without going through core, so no fan-out job ever runs: without
this, every home timeline would be read the read-time way (and the first read of each would
ask for a rebuild). For each viewer given (those the benchmark authenticates as), its newest
`size` home candidates, as fan-out would have written them: its own posts (OWN), those of the
accounts it follows (FOLLOWED_AUTHOR, or BOOSTED_BY_FOLLOWED via the booster; a direct post
only when it names the viewer), and followers-only or direct posts naming it (MENTIONED).
Status ids grow with the plan's index, so a merge of index lists newest first is the order.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from datetime import datetime
from itertools import islice

from pnyx.core.feeds import reasons

DIRECT = 3  # the plan's visibility index of a direct post
BOOST = 2  # the plan's kind of a boost


def feed_rows(
    plan,
    viewers: list[int],
    status_ids: list[int],
    account_ids: list[int],
    size: int,
    now: datetime,
) -> tuple[list[tuple], list[tuple]]:
    """(entries, states) rows for these viewers' home feeds, in the tables' column order:
    feed_entries (viewer_id, list_id, status_id, reasons, via_account_id, via_tag_id,
    created_at) and feed_states (viewer_id, list_id, floor_id, since_trim, built_at,
    seen_at)."""
    by_author: dict[int, list[int]] = {}
    for i, author in enumerate(plan.author):
        by_author.setdefault(author, []).append(i)
    following: dict[int, list[int]] = {}
    for follower, target in plan.follow_pairs:
        following.setdefault(follower, []).append(target)
    named: dict[int, list[int]] = {}
    for i, who in enumerate(plan.mention):
        if who >= 0 and plan.visibility[i] >= 2:  # followers-only or direct: a private mention
            named.setdefault(who, []).append(i)
    entries: list[tuple] = []
    states: list[tuple] = []
    for viewer in viewers:
        kept = list(islice(_candidates(plan, viewer, by_author, following, named), size))
        viewer_id = account_ids[viewer]
        for i, bits, via in kept:
            via_id = account_ids[via] if via is not None else None
            entries.append((viewer_id, 0, status_ids[i], bits, via_id, None, now))
        floor = status_ids[kept[-1][0]] if len(kept) >= size else 0
        states.append((viewer_id, 0, floor, 0, now, now))
    return entries, states


def _candidates(plan, viewer: int, by_author, following, named) -> Iterator[tuple]:
    """(status index, reasons, via account index) newest first, each status once."""
    mine = set(named.get(viewer, ()))
    followed = set(following.get(viewer, ()))
    walks = [reversed(by_author.get(a, [])) for a in [viewer, *followed]]
    walks.append(reversed(named.get(viewer, [])))
    last = None
    for i in heapq.merge(*walks, reverse=True):
        if i == last:
            continue
        last = i
        author = plan.author[i]
        bits, via = 0, None
        if author == viewer:
            bits = reasons.OWN
        elif author in followed and (plan.visibility[i] != DIRECT or i in mine):
            if plan.kind[i] == BOOST:
                bits, via = reasons.BOOSTED_BY_FOLLOWED, author
            else:
                bits = reasons.FOLLOWED_AUTHOR
        if i in mine:
            bits |= reasons.MENTIONED
        if bits:
            yield i, bits, via
