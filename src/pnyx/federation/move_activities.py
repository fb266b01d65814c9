"""The `Move` a local account sends when it moves to another account (`activities.RENDERERS`
registers this renderer for `AccountMovedOut`).

It is shaped as Mastodon sends it (`ActivityPub::MoveSerializer`), since Mastodon servers are
most of those that will read it:

    {"@context": "https://www.w3.org/ns/activitystreams",
     "id": "<old actor>#moves/<move id>", "type": "Move",
     "target": "<new actor>", "actor": "<old actor>", "object": "<old actor>"}

signed by the old account's HTTP signature, and sent where Mastodon sends it
(`MoveDistributionWorker`): to the servers of the account's followers (one shared inbox per
server when it has one) and of the accounts that block it, so that they carry their block
over. The receiving servers check that the new actor names the old one in `alsoKnownAs`
before they move anyone. The actor Update carrying `movedTo` is `AccountUpdated`'s, recorded
in the same transaction.
"""

from __future__ import annotations

from pnyx.core import account_moves, audiences
from pnyx.core import events as ev
from pnyx.core import federation_reads as reads
from pnyx.federation.vocab import AS_CONTEXT

Rendered = tuple[int | None, dict, set[str]]


def move(actor_uri: str, target_uri: str, move_id: int) -> dict:
    """The Move activity, keys in the order Mastodon writes them."""
    return {
        "@context": AS_CONTEXT,
        "id": f"{actor_uri}#moves/{move_id}",
        "type": "Move",
        "target": target_uri,
        "actor": actor_uri,
        "object": actor_uri,
    }


def moved_out(tx, event: ev.AccountMovedOut) -> list[Rendered]:
    actor, target = reads.account(tx, event.account_id), reads.account(tx, event.target_id)
    if actor is None or target is None or actor.domain is not None:
        return []
    if actor.moved_to_account_id != target.id:
        return []  # moved elsewhere (or back) since: that move's own event speaks
    inboxes = audiences.follower_inboxes(tx, actor.id)
    inboxes |= audiences.account_inboxes(tx, account_moves.blocker_ids(tx, actor.id))
    return [(actor.id, move(actor.uri, target.uri, event.move_id), inboxes)]


RENDERERS = {ev.AccountMovedOut: moved_out}
