"""Local posts that name accounts this server has never seen (`@bob@elsewhere`).

Mastodon looks such accounts up while the post is being made. Here core never reaches the
network, and a request must not wait on another server: the post is stored at once with the
mentions we know, and the handles we do not know go, with the post, into a job
(`statuses.MENTION_LOOKUP`, at most `statuses.MAX_MENTION_LOOKUPS` per post). The federation
layer's handler looks them up (WebFinger, then the actor, through the safe client) and calls
`complete`, which renders the post again with those mentions linked, records them, and only
then records `MentionsResolved`, which sends the post's Create: so Bob's server receives a post that names Bob,
and Bob is notified there. An edit that adds such a name waits the same way before its
Update goes out.
"""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.core import events, search_index, text
from pnyx.core.statuses import add_mentions, get_row, here_of
from pnyx.db.engine import Tx
from pnyx.db.tables import accounts, status_edits, statuses


def complete(tx: Tx, status_id: int, resolved: dict[str, int], kind: str = "create") -> None:
    """The lookups are done: `resolved` maps each handle found (`user@domain`, lower-case)
    to its account. Handles that could not be found stay plain text. The post's `kind`
    (create, or update after an edit) goes out now, as the post is now (an edit made
    meanwhile included); a post deleted meanwhile does not."""
    status = get_row(tx, status_id)
    if status is None or not status.local:
        return
    rows = {
        row.id: row
        for row in tx.rows(sa.select(accounts).where(accounts.c.id.in_(set(resolved.values()))))
    }
    known = {handle: rows[i] for handle, i in resolved.items() if i in rows}
    rendered = text.render(tx, status.text, known=known)
    if rendered.html != status.content:
        tx.execute(
            statuses.update().where(statuses.c.id == status_id).values(content=rendered.html)
        )
        search_index.refresh(tx, status_id)
        # The newest version in its edit history (if edited) is this one: linked too.
        newest = tx.scalar(
            sa.select(status_edits.c.id)
            .where(status_edits.c.status_id == status_id)
            .order_by(status_edits.c.created_at.desc(), status_edits.c.id.desc())
            .limit(1)
        )
        if newest is not None:
            tx.execute(
                status_edits.update()
                .where(status_edits.c.id == newest)
                .values(content=rendered.html)
            )
    named_now = here_of(rendered.mentions, set(add_mentions(tx, status, rendered.mentions)))
    resolved_event = events.MentionsResolved(
        status_id, edited=kind == "update", mentioned=named_now
    )
    events.record(tx, resolved_event)
