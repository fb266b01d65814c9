"""Delivery: local actions become signed POSTs to exactly the servers that may see them.

Two kinds of jobs, both in the durable queue:

- `federate` (an event core recorded through `core.events.record`, handed to this module by
  `pnyx.registry`) reads the change back from the database, renders its activity
  (`activities`, `internal_to_as2`), signs it with its actor's Data Integrity proof
  (`object_proofs`, FEP-8b32), works out the inboxes (`core.audiences`) and enqueues one
  `deliver` job per inbox, in the transaction that also deletes the `federate` job: it runs
  once, so each activity is rendered once and keeps its id.
- `deliver` signs and POSTs one activity to one inbox, outside any transaction. A 2xx is
  done; a permanent 4xx (the inbox refuses it for good) is not retried; anything else (5xx,
  429, timeouts, refused connections) is retried with growing backoff for about five days,
  as Mastodon does, and not before the time a 429 or 503 names in `Retry-After` (within the
  queue's 12-hour ceiling). A server that keeps failing for days is marked unavailable and
  skipped until it is heard from again (`core.server_health`). A server that already has
  `PER_SERVER` deliveries in flight from this process is not waited for: the delivery is
  put back a little later, without counting as an attempt, and the thread moves on.

A worker killed mid-delivery leaves its job leased; when the lease runs out (a minute) another
worker delivers it again, the same activity with the same id from the job's payload.
Receivers drop the duplicate by activity id, so it is delivered once in effect.
"""

from __future__ import annotations

import logging
import secrets
import threading
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import orjson

from pnyx.core import domain_blocks, keys
from pnyx.core import federation_reads as reads
from pnyx.core.events import Event
from pnyx.core.server_health import (  # noqa: F401  (the inbox marks senders available through these)
    UNAVAILABLE_FAILURES,
    is_unavailable,
    mark_available,
    record_failure,
)
from pnyx.db.engine import Database
from pnyx.federation import object_proofs
from pnyx.federation.activities import render
from pnyx.federation.fetch import FetchError, RemoteClient
from pnyx.jobs.queue import enqueue
from pnyx.jobs.worker import Busy, PermanentError, RetryAfter

log = logging.getLogger("pnyx.federation.delivery")

DELIVER = "deliver"
# 15 s, 1 min, 4 min, 16 min, 64 min, ~4 h, then every 12 h: sixteen attempts span ~5 days.
DELIVERY_ATTEMPTS = 16
# 4xx answers worth retrying: the server is busy or timed out, not refusing the activity.
RETRYABLE_4XX = {408, 409, 425, 429}
# Answers that may say when to come back (Retry-After).
RETRY_AFTER_STATUSES = {429, 503}
# Deliveries in flight to one server at once, per process: a slow server holds at most this
# many job threads, the others go on with other servers.
PER_SERVER = 2
# Seconds (plus up to as many again) before a delivery to a busy server is tried again. Short:
# a server is usually busy for the few milliseconds its two deliveries take, and a burst to
# it (a block sends Undo, Reject and Block at once) should not wait for long; the cost of a
# longer backlog is one claim and one write per put-back, a few per second at most.
BUSY_DELAY = 3
_slots: dict[str, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def _slot(domain: str) -> threading.BoundedSemaphore:
    with _slots_lock:
        slot = _slots.get(domain)
        if slot is None:
            slot = _slots[domain] = threading.BoundedSemaphore(PER_SERVER)
        return slot


# Transactional: the deliveries are enqueued in the transaction that deletes this job, so a
# worker dying after rendering cannot leave the job to be rendered again (activities whose id
# is minted at rendering, like an Update's, would then go out twice under two ids).
def federate(tx, event: Event) -> None:
    """Tell the servers that may see it of `event` (one `deliver` job per inbox)."""
    for signer_id, rendered, inboxes in render(tx, event):
        if not inboxes:
            continue
        if signer_id is None:
            keys.instance_keypair(tx)
        else:
            keys.ensure_keypair(tx, signer_id)
        # The proof first (FEP-8b32): the HTTP signature of each delivery signs a body that
        # already carries it, and every inbox gets the same signed activity.
        activity = object_proofs.signed_activity(tx, signer_id, rendered)
        for inbox in sorted(inboxes):
            enqueue(
                tx,
                DELIVER,
                {"inbox": inbox, "account_id": signer_id, "activity": activity},
                max_attempts=DELIVERY_ATTEMPTS,
            )


def domain_of(url: str) -> str:
    return (urlsplit(url).netloc or "").lower()


def deliver(db: Database, payload: dict) -> None:
    inbox = payload["inbox"]
    domain = domain_of(inbox)

    def prepare(tx):
        if is_unavailable(tx, domain) or domain_blocks.is_suspended(tx, domain):
            return None  # down, or blocked by the staff (nothing is delivered to it)
        return reads.signing_key(tx, payload["account_id"])

    signer = db.run_sync(prepare, write=False)
    if signer is None or not signer.private_key_pem:
        log.info("delivery to %s skipped: server unavailable or blocked, or signer gone", inbox)
        return
    body = orjson.dumps(payload["activity"])
    slot = _slot(domain)
    if not slot.acquire(blocking=False):
        delay = BUSY_DELAY + secrets.randbelow(BUSY_DELAY + 1)
        log.info(
            "delivery to %s put back %d s: %s is busy with other deliveries", inbox, delay, domain
        )
        raise Busy(f"{domain} busy with other deliveries", timedelta(seconds=delay))
    try:
        with RemoteClient(db.settings) as client:
            response = client.post(
                inbox, body, signer=(signer.uri + "#main-key", signer.private_key_pem)
            )
    except FetchError as exc:
        db.run_sync(record_failure, domain)
        raise RuntimeError(f"delivery to {inbox} failed: {exc.reason}") from None
    finally:
        slot.release()
    if 200 <= response.status < 300:
        db.run_sync(mark_available, domain)
        return
    if 400 <= response.status < 500 and response.status not in RETRYABLE_4XX:
        # The server answered: it is up, it just refuses this activity. Retrying cannot help.
        db.run_sync(mark_available, domain)
        raise PermanentError(f"{inbox} answered {response.status}")
    db.run_sync(record_failure, domain)
    if response.status in RETRY_AFTER_STATUSES:
        not_before = retry_after(response.headers.get("retry-after", ""), datetime.now(UTC))
        if not_before is not None:
            raise RetryAfter(f"{inbox} answered {response.status}", not_before)
    raise RuntimeError(f"{inbox} answered {response.status}")


def retry_after(value: str, now: datetime) -> datetime | None:
    """When a Retry-After header asks us to come back: seconds, or an HTTP date; None when
    it says nothing usable."""
    value = value.strip()
    if value.isdigit():
        return now + timedelta(seconds=int(value[:9]))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when
