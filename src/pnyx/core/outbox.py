"""Local actions that other servers must hear of, recorded for the federation layer.

Core never talks to the network. When a local account posts, follows, favourites ... the
core function calls `record` inside its own transaction: a durable `federate` job that exists
only if the action commits. The federation layer's handler turns it into an ActivityPub
activity and one delivery job per receiving server, from the state of the database when it
runs (so a post edited twice in a row is sent as it is now). What a job cannot read back
afterwards (a deleted post's uri and audience) travels in the payload.
"""

from __future__ import annotations

FEDERATE = "federate"


def record(tx, kind: str, **payload) -> None:
    """Remember that `kind` happened (create, update, delete, like, undo_like, announce,
    undo_announce, follow, undo_follow, accept_follow, reject_follow, block, undo_block,
    vote, update_actor), with the ids the federation layer needs to describe it."""
    tx.enqueue(FEDERATE, {"kind": kind, **payload})
