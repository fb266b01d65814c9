"""The read side of "why am I seeing this" for ranked feeds: which feed last served a post to
a viewer, by which version, and the terms of its score.

It reads the snapshots (kept `snapshots.RETENTION`); the endpoint combines it with the
provenance of the viewer's feed entries (why a post is in their home at all).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pnyx.core.algorithms import serving, snapshots
from pnyx.core.algorithms.terms import Term
from pnyx.db.engine import Tx


@dataclass(frozen=True)
class Served:
    feed_id: str
    version: str
    score: float
    terms: tuple[Term, ...]
    served_at: datetime

    def as_json(self) -> dict[str, object]:
        return {
            "feed_id": self.feed_id,
            "version": self.version,
            "score": self.score,
            "terms": [{"name": t.name, "weight": t.weight, "value": t.value} for t in self.terms],
            "served_at": self.served_at.isoformat(),
        }


def last_served(tx: Tx, viewer_id: int, status_id: int) -> Served | None:
    """The newest snapshot entry of this viewer that holds the status, or None (also when
    the viewer may no longer see the post: a snapshot's inputs are never a way to see more)."""
    snapshot = snapshots.newest_with(tx, viewer_id, status_id)
    if snapshot is None or status_id not in serving.visible(tx, viewer_id, [status_id]):
        return None
    position = snapshot.position(status_id)
    assert position is not None  # newest_with found it there
    item = snapshot.items[position]
    return Served(snapshot.feed_id, snapshot.version, item.score, item.terms, snapshot.created_at)
