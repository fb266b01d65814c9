"""A live copy of an account, from the person's first click to its end (LOLA, issue 14).

1. `begin`: the person names their old account; the edge found the old server's endpoints
   and our registration there. The copy is recorded as `authorizing`, with a random `state`
   (and a PKCE verifier) the old server will send back: the browser goes there.
2. The old server sends the browser back. `awaiting` finds the copy by its `state` (one that
   matches none is refused), the edge exchanges the code for a token, and `authorized` keeps
   the token and the actor the old server named (LOLA: that one, not what the person typed),
   and queues the copy job (`JOB`) in the same transaction. Or `denied`: the person said no.
3. The job (`federation.lola_copy`) reads the old server page by page. Each page's posts and
   counters commit together with the address of the next page (`advance`): a job that dies
   resumes at that page, and posts already copied are known by their original id.
4. `finish` (or `fail`) ends it and deletes the token: nothing is kept that opens the old
   account. A copy that fails again and again stops (LOLA: not forever, `MAX_RETRIES`).

One copy at a time per person: another waits until the first is over.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from pnyx.core.errors import CoreError, NotFound
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.tables import lola_transfers
from pnyx.jobs.queue import enqueue

JOB = "lola.copy"
AUTHORIZING, QUEUED, RUNNING = "authorizing", "queued", "running"
FINISHED, FAILED, DENIED = "finished", "failed", "denied"
ACTIVE = (QUEUED, RUNNING)
# The parts of a copy, in order (`phase`); `done` once all are.
CONTENT, LIKED, BLOCKED, FOLLOWING, DONE = "content", "liked", "blocked", "following", "done"
PHASES = (CONTENT, LIKED, BLOCKED, FOLLOWING, DONE)
MAX_FAILURES = 100  # failures kept with their reason; past these only counted
MAX_RETRIES = 6  # failed runs in a row before the copy stops
MAX_AUTHORIZING = 5  # authorizations a person may have open at once
AUTHORIZATION_TIME = timedelta(hours=1)  # an authorization not answered by then is dropped
ALREADY = "A copy of an account is already under way: wait until it is over."
TOO_MANY = "Too many copies are waiting for an authorization: finish or wait for one."
STATE = re.compile(r"[A-Za-z0-9_-]+")
NO_SUCH_STATE = "This answer matches no copy you started: start again from the copy page."


def next_phase(phase: str) -> str:
    return PHASES[min(PHASES.index(phase) + 1, len(PHASES) - 1)]


# --- Starting ---------------------------------------------------------------------------------


def _active(tx: Tx, account_id: int) -> bool:
    return (
        tx.scalar(
            sa.select(lola_transfers.c.id)
            .where(lola_transfers.c.account_id == account_id)
            .where(lola_transfers.c.state.in_(ACTIVE))
            .limit(1)
        )
        is not None
    )


def check_can_begin(tx: Tx, account_id: int) -> None:
    """CoreError when this person may not start a copy now (one is under way)."""
    if _active(tx, account_id):
        raise CoreError(ALREADY)


def begin(
    tx: Tx,
    account_id: int,
    source: str,
    client_row_id: int,
    endpoints: dict[str, Any],
    *,
    via: str = "web",
    actor_uri: str | None = None,
) -> tuple[int, str, str | None]:
    """Record a copy waiting for the person's authorization at the old server: its id, the
    `state` to send there, and the PKCE verifier (None when the old server has no PKCE)."""
    check_can_begin(tx, account_id)
    tx.execute(  # authorizations left unanswered
        lola_transfers.delete().where(
            lola_transfers.c.account_id == account_id,
            lola_transfers.c.state == AUTHORIZING,
            lola_transfers.c.created_at < tx.now - AUTHORIZATION_TIME,
        )
    )
    waiting = tx.scalar(
        sa.select(sa.func.count())
        .select_from(lola_transfers)
        .where(lola_transfers.c.account_id == account_id, lola_transfers.c.state == AUTHORIZING)
    )
    if waiting >= MAX_AUTHORIZING:
        raise CoreError(TOO_MANY)
    transfer_id = new_id()
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(48) if endpoints.get("pkce") else None
    tx.execute(
        lola_transfers.insert().values(
            id=transfer_id,
            account_id=account_id,
            client_id=client_row_id,
            state=AUTHORIZING,
            started_via=via,
            source=source[:512],
            source_actor_uri=actor_uri,
            endpoints=endpoints,
            oauth_state=state,
            code_verifier=verifier,
            skip_reasons={},
            failures=[],
            created_at=tx.now,
        )
    )
    return transfer_id, state, verifier


def awaiting(tx: Tx, oauth_state: str | None) -> Any:
    """The copy waiting for an authorization with this `state`, or None (none, answered
    already, or too old)."""
    if not oauth_state or len(oauth_state) > 128 or not STATE.fullmatch(oauth_state):
        return None  # not one of ours (they are url-safe base64)
    row = tx.one_or_none(
        sa.select(lola_transfers).where(
            lola_transfers.c.oauth_state == oauth_state,
            lola_transfers.c.state == AUTHORIZING,
        )
    )
    if row is None or row.created_at < tx.now - AUTHORIZATION_TIME:
        return None
    return row


def authorized(tx: Tx, transfer_id: int, actor_uri: str, token: str) -> None:
    """The old server granted the copy: keep its token and the actor it named, and queue
    the copy."""
    row = get(tx, transfer_id)
    if row is None or row.state != AUTHORIZING:
        raise CoreError(NO_SUCH_STATE)
    check_can_begin(tx, row.account_id)
    _update(
        tx,
        transfer_id,
        state=QUEUED,
        source_actor_uri=actor_uri[:2048],
        access_token=token[:2048],
        oauth_state=None,
        code_verifier=None,
        authorized_at=tx.now,
    )
    enqueue(
        tx, JOB, {"transfer_id": transfer_id}, unique_key=f"{JOB}:{transfer_id}", max_attempts=20
    )


def denied(tx: Tx, transfer_id: int, reason: str, *, state: str = DENIED) -> None:
    """The authorization ended without a token: the person said no (`DENIED`), or the old
    server refused or could not be reached (`FAILED`); `reason` says which."""
    _update(
        tx,
        transfer_id,
        state=state,
        oauth_state=None,
        code_verifier=None,
        access_token=None,
        error=reason[:2000],
        finished_at=tx.now,
    )


# --- Reading ---------------------------------------------------------------------------------


def get(tx: Tx, transfer_id: int) -> Any:
    return tx.one_or_none(sa.select(lola_transfers).where(lola_transfers.c.id == transfer_id))


def own(tx: Tx, account_id: int, transfer_id: int) -> Any:
    """A copy of `account_id`'s; anyone else's is not found."""
    row = get(tx, transfer_id)
    if row is None or row.account_id != account_id:
        raise NotFound()
    return row


def of_account(tx: Tx, account_id: int, limit: int = 20) -> list[Any]:
    """The person's copies, newest first (authorizations never answered left out)."""
    return tx.rows(
        sa.select(lola_transfers)
        .where(lola_transfers.c.account_id == account_id)
        .where(lola_transfers.c.state != AUTHORIZING)
        .order_by(lola_transfers.c.id.desc())
        .limit(limit)
    )


# --- The job's steps -----------------------------------------------------------------------


def start(tx: Tx, transfer_id: int) -> Any:
    """The copy's row as the job starts (again); None when there is nothing to do."""
    row = get(tx, transfer_id)
    if row is None or row.state not in ACTIVE or not row.access_token:
        return None
    if row.state != RUNNING:
        _update(tx, transfer_id, state=RUNNING)
    return get(tx, transfer_id)


def set_endpoints(tx: Tx, transfer_id: int, endpoints: dict[str, Any]) -> None:
    _update(tx, transfer_id, endpoints=endpoints)


def advance(
    tx: Tx,
    transfer_id: int,
    *,
    cursor: str | None,
    phase: str | None = None,
    total: int | None = None,
    imported: int = 0,
    skipped: dict[str, int] | None = None,
    failures: Sequence[tuple[str, str]] = (),
    notes: Sequence[tuple[str, str]] = (),
    favourites: int = 0,
    blocks: int = 0,
) -> None:
    """Count a page and move on to `cursor` (and `phase`): what it made, what it skipped (by
    reason), what failed (uri, reason); `notes` are kept with the failures but count nothing
    (an attachment of a copied post that could not be had)."""
    row = get(tx, transfer_id)
    if row is None:
        return
    reasons = dict(row.skip_reasons or {})
    for reason, n in (skipped or {}).items():
        reasons[reason] = reasons.get(reason, 0) + n
    kept = list(row.failures or [])
    told = [*failures, *notes][: max(MAX_FAILURES - len(kept), 0)]
    kept += [{"uri": uri[:2048], "reason": reason[:500]} for uri, reason in told]
    t = lola_transfers.c
    values: dict[str, Any] = {
        "cursor": cursor,
        "retries": 0,
        "imported": t.imported + imported,
        "skipped": t.skipped + sum((skipped or {}).values()),
        "failed": t.failed + len(failures),
        "favourites": t.favourites + favourites,
        "blocks": t.blocks + blocks,
        "skip_reasons": reasons,
        "failures": kept,
    }
    if phase is not None:
        values["phase"] = phase
    if total is not None:
        values["total"] = max(0, min(total, 2**31 - 1))
    _update(tx, transfer_id, **values)


def failed_run(tx: Tx, transfer_id: int, reason: str) -> bool:
    """A run failed (the old server did not answer ...): True while it may be tried again,
    False when it was the last try and the copy stopped."""
    row = get(tx, transfer_id)
    if row is None or row.state not in ACTIVE:
        return False
    if row.retries + 1 >= MAX_RETRIES:
        fail(tx, transfer_id, f"The old server failed {MAX_RETRIES} times in a row: {reason}")
        return False
    _update(tx, transfer_id, retries=row.retries + 1)
    return True


def finish(tx: Tx, transfer_id: int) -> None:
    """The copy is over: the token goes."""
    _update(
        tx,
        transfer_id,
        state=FINISHED,
        phase=DONE,
        cursor=None,
        access_token=None,
        finished_at=tx.now,
    )


def fail(tx: Tx, transfer_id: int, error: str) -> None:
    """The copy stopped for good (`error` says why); what it copied stays, the token goes."""
    _update(
        tx,
        transfer_id,
        state=FAILED,
        cursor=None,
        access_token=None,
        oauth_state=None,
        code_verifier=None,
        error=error[:2000],
        finished_at=tx.now,
    )


def _update(tx: Tx, transfer_id: int, **values: Any) -> None:
    tx.execute(lola_transfers.update().where(lola_transfers.c.id == transfer_id).values(values))
