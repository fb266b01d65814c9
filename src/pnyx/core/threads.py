"""Threads: the posts a post answers (ancestors) and the replies it drew (descendants).

Only ids, unfiltered: the caller hands them to status_views.load, which drops what the viewer
may not see, as every other path that shows statuses does.
"""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.core.statuses import get_row
from pnyx.db.engine import Tx
from pnyx.db.tables import statuses

MAX_ANCESTORS = 40
MAX_DESCENDANTS = 1000


def context_ids(tx: Tx, status_id: int) -> tuple[list[int], list[int]]:
    """Ancestors (root first) and descendants (depth-first, replies in order), unfiltered."""
    row = get_row(tx, status_id)
    if row is None:
        return [], []
    ancestors: list[int] = []
    parent_id = row.in_reply_to_id
    seen = {row.id}
    while parent_id is not None and len(ancestors) < MAX_ANCESTORS and parent_id not in seen:
        seen.add(parent_id)
        parent = tx.one_or_none(
            sa.select(statuses.c.id, statuses.c.in_reply_to_id).where(statuses.c.id == parent_id)
        )
        if parent is None:
            break
        ancestors.append(parent.id)
        parent_id = parent.in_reply_to_id
    ancestors.reverse()

    children: dict[int, list[int]] = {}
    frontier = [row.id]
    total = 0
    while frontier and total < MAX_DESCENDANTS:
        found = tx.rows(
            sa.select(statuses.c.id, statuses.c.in_reply_to_id)
            .where(statuses.c.in_reply_to_id.in_(frontier), statuses.c.reblog_of_id.is_(None))
            .order_by(statuses.c.id)
            .limit(MAX_DESCENDANTS - total)
        )
        frontier = []
        for child in found:
            if child.id in seen:
                continue
            seen.add(child.id)
            children.setdefault(child.in_reply_to_id, []).append(child.id)
            frontier.append(child.id)
            total += 1
    descendants: list[int] = []
    stack = list(reversed(children.get(row.id, [])))
    while stack:
        current = stack.pop()
        descendants.append(current)
        stack.extend(reversed(children.get(current, [])))
    return ancestors, descendants
