"""The `move.pull_announce` job: a move announced from the new account reaches the old
account's followers (FEP-7628's second sub-type; the rules are `core.pull_moves`').

The followers are known by address only (the archive's followers.csv), so each is found on
its server first, as an import's rows are (`resolve.resolve_handle`: WebFinger, then the
actor; an account known here already costs no request), outside any transaction, a batch of
`BATCH` a run; each address is settled (found, or failed with the reason) in a transaction
of its own, so a run that dies resumes at the first address still pending, and the person
sees the counters move. A server that does not answer is asked once per run: its other
followers fail at once with its reason (the old server's own accounts, typically).

Once every address is settled, the Move is rendered once, signed (its proof first, then the
HTTP signature of each delivery, as every activity here) and queued for the inboxes of the
followers found elsewhere, one shared inbox per server when it has one:

    {"@context": "https://www.w3.org/ns/activitystreams",
     "id": "<new actor>#moves/pull/<n>", "type": "Move",
     "actor": "<new actor>", "object": "<old actor>", "target": "<new actor>"}

Followers on this server moved when the move was announced.
"""

from __future__ import annotations

import logging
from typing import Any

from pnyx.core import audiences, keys, pull_moves
from pnyx.core import federation_reads as reads
from pnyx.db.engine import Database, Tx
from pnyx.db.ids import new_id
from pnyx.federation import delivery, import_lookups, object_proofs, resolve
from pnyx.federation.vocab import AS_CONTEXT
from pnyx.jobs.queue import enqueue

log = logging.getLogger("pnyx.federation.moves")

BATCH = 50  # addresses looked up per run
INBOX_CHUNK = 500  # accounts read at once for their inboxes


class LookupFailed(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def move(new_uri: str, old_uri: str, number: int) -> dict:
    """The Move a new actor sends for its old one (FEP-7628's second sub-type)."""
    return {
        "@context": AS_CONTEXT,
        "id": f"{new_uri}#moves/pull/{number}",
        "type": "Move",
        "actor": new_uri,
        "object": old_uri,
        "target": new_uri,
    }


class _Lookups:
    """Followers found by address; a server that did not answer is not asked again."""

    def __init__(self, db: Database):
        self.db = db
        self.silent: dict[str, str] = {}

    def account(self, address: str) -> int:
        host = address.rsplit("@", 1)[-1].lower()
        if host in self.silent:
            raise LookupFailed(f"{host} did not answer: {self.silent[host]}")
        try:
            return resolve.resolve_handle(self.db, self.db.settings, address)
        except resolve.ResolveError as exc:
            if any(word in exc.reason for word in import_lookups.UNANSWERED):
                self.silent[host] = exc.reason
            raise LookupFailed(exc.reason) from None


def job(db: Database, payload: dict[str, Any]) -> None:
    """One run: up to `BATCH` followers looked up; the Move sent once none is left."""
    try:
        pull_move_id = int(payload["pull_move_id"])
    except (KeyError, TypeError, ValueError):
        return
    row = db.run_sync(pull_moves.get, pull_move_id, write=False)
    if row is None or row.state != pull_moves.FINDING:
        return
    batch = db.run_sync(pull_moves.pending, pull_move_id, BATCH, write=False)
    lookups = _Lookups(db)
    for item in batch:
        try:
            account_id = lookups.account(item.address)
        except LookupFailed as exc:
            db.run_sync(pull_moves.failed, pull_move_id, item.id, exc.reason)
            continue
        db.run_sync(pull_moves.found, pull_move_id, item.id, account_id)
    if len(batch) == BATCH:  # more to find: the next run, so other jobs run between
        db.run_sync(lambda tx: enqueue(tx, pull_moves.PULL_MOVE_JOB, payload))
        return
    db.run_sync(send, pull_move_id)


def send(tx: Tx, pull_move_id: int) -> int:
    """Queue the Move for the inboxes of the followers found elsewhere; how many."""
    row = pull_moves.get(tx, pull_move_id)
    if row is None or row.state != pull_moves.FINDING:
        return 0
    me = reads.account(tx, row.account_id)
    if me is None:
        return 0
    ids = [i for i in pull_moves.finish(tx, pull_move_id) if i != me.id]
    inboxes: set[str] = set()
    for start in range(0, len(ids), INBOX_CHUNK):
        inboxes |= audiences.account_inboxes(tx, ids[start : start + INBOX_CHUNK])
    if inboxes:
        keys.ensure_keypair(tx, me.id)
        activity = object_proofs.signed_activity(tx, me.id, move(me.uri, row.old_uri, new_id()))
        for inbox in sorted(inboxes):
            enqueue(
                tx,
                delivery.DELIVER,
                {"inbox": inbox, "account_id": me.id, "activity": activity},
                max_attempts=delivery.DELIVERY_ATTEMPTS,
            )
    pull_moves.sent(tx, pull_move_id, len(inboxes))
    log.info("Move of %s to %s sent to %d inboxes", row.old_uri, me.uri, len(inboxes))
    return len(inboxes)
