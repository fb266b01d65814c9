"""Which activities the inbox has already accepted, by their ids.

Other servers deliver the same activity more than once (retries, a post sent to several
inboxes of ours): the inbox queues an activity for processing the first time only
(`pnyx.federation.inbox`), so a repeat changes nothing.
"""

from __future__ import annotations

from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.insert_ignore import insert_plain_ignore
from pnyx.db.tables import seen_activities


def first_sight(tx: Tx, activity_id: str) -> bool:
    """Remember that the activity `activity_id` arrived; True the first time, False when it
    was seen before. One prebuilt statement: every inbox POST runs it."""
    return insert_plain_ignore(
        tx, seen_activities, {"id": new_id(), "uri": activity_id, "created_at": tx.now}
    )
