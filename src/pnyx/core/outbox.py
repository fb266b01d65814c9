"""Local actions that other servers must hear of, recorded for the federation layer.

Core never talks to the network. When a local account posts, follows, favourites ... the
core function calls `record` inside its own transaction: a durable `federate` job that exists
only if the action commits. The federation layer's handler turns it into an ActivityPub
activity and one delivery job per receiving server, from the state of the database when it
runs (so a post edited twice in a row is sent as it is now). What a job cannot read back
afterwards (a deleted post's uri and audience) travels in the payload.
"""

from __future__ import annotations

from datetime import timedelta

FEDERATE = "federate"


def record(
    tx,
    kind: str,
    *,
    coalesce: str | None = None,
    delay: timedelta | None = None,
    **payload,
) -> None:
    """Remember that `kind` happened (create, update, delete, like, undo_like, announce,
    undo_announce, follow, undo_follow, accept_follow, reject_follow, block, undo_block,
    vote, update_actor), with the ids the federation layer needs to describe it.

    `coalesce` names a change that may happen many times in a row (a poll's counts): while
    one such record is still waiting (`delay`), more are folded into it.
    """
    tx.enqueue(
        FEDERATE,
        {"kind": kind, **payload},
        unique_key=f"federate:{coalesce}" if coalesce else None,
        run_at=tx.now + delay if delay else None,
    )
