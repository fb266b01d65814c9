"""Who signed an incoming request: the remote account whose key verifies its HTTP signature.

Two entry points:

- `signer_account(tx, ...)` looks only at keys we already hold. It never touches the network,
  so it can run inside a request's transaction (the ActivityPub GET routes use it to decide
  whether a signed fetch may see a followers-only post).
- `authenticate(db, settings, ...)` is the inbox's: when the key is unknown, or fails because
  its owner rotated it, it fetches the key's actor once (outside any transaction), stores it,
  and checks again.

Either way a signature that is present but does not verify is an error (`Unauthenticated`),
never "anonymous": a forged request must not be treated as an unsigned one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from urllib.parse import urlsplit

from pnyx.config import Settings
from pnyx.core import domain_blocks, federation_reads
from pnyx.db.engine import Database
from pnyx.federation import key_fetches, signatures

log = logging.getLogger("pnyx.federation.auth")


class Unauthenticated(Exception):
    """The request's signature is missing where one is required, or does not verify."""

    def __init__(self, reason: str, status: int = 401):
        super().__init__(reason)
        self.reason = reason
        self.status = status  # 503 when the key could not even be tried now (key_fetches)


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def is_signed(headers: Mapping[str, str]) -> bool:
    lowered = _lower(headers)
    return "signature" in lowered or "signature-input" in lowered


def _verify(row, method: str, path: str, headers, body: bytes, settings: Settings) -> None:
    """Raises SignatureError (KeyMismatch when only the key failed)."""
    signatures.verify_request(
        method=method,
        path=path,
        headers=headers,
        body=body,
        public_key_pem=row.public_key_pem,
        scheme=settings.effective_scheme,
        # A request signed for another server and replayed here does not count.
        expected_host=settings.domain,
    )


def signer_account(tx, method: str, path: str, headers: Mapping[str, str], body: bytes = b""):
    """The known remote account that signed this request; None when it is not signed.

    Raises Unauthenticated when it is signed but the key is unknown or does not verify.
    """
    if not is_signed(headers):
        return None
    try:
        key_id = signatures.signature_key_id(headers)
    except signatures.SignatureError as exc:
        raise Unauthenticated(exc.reason) from None
    if domain_blocks.is_suspended(tx, urlsplit(key_id).netloc):
        raise Unauthenticated("domain blocked", status=403)
    row = federation_reads.key_owner(tx, key_id)
    if row is None:
        raise Unauthenticated("unknown key")
    if row.suspended_at is not None:
        raise Unauthenticated("account suspended")
    try:
        _verify(row, method, path, headers, body, tx.settings)
    except signatures.SignatureError as exc:
        log.info("signature by %s refused: %s", row.uri, exc.reason)
        raise Unauthenticated(exc.reason) from None
    return row


def key_id_of(headers: Mapping[str, str]) -> str:
    """The key id a signed request names; Unauthenticated when unsigned or unreadable."""
    if not is_signed(headers):
        raise Unauthenticated("Request not signed")
    try:
        return signatures.signature_key_id(headers)
    except signatures.SignatureError as exc:
        raise Unauthenticated(exc.reason) from None


def known_signer(
    tx, key_id: str, method: str, path: str, headers, body: bytes, settings: Settings | None = None
):
    """The inbox's check with the keys we hold, inside the caller's transaction: the signer's
    account, or None when its key must be fetched first (`fetch_signer`): unknown, or
    failing the way a rotated key would (at most once a minute per key).

    Raises Unauthenticated when the signature cannot be right whatever we fetch.
    """
    if domain_blocks.is_suspended(tx, urlsplit(key_id).netloc):
        # A blocked server is refused before anything else, and its keys are never fetched.
        raise Unauthenticated("domain blocked", status=403)
    row = federation_reads.key_owner(tx, key_id)
    if row is None:
        if failed_recently(key_id):
            raise Unauthenticated(f"key {key_id} could not be fetched (tried moments ago)")
        return None
    try:
        _verify(row, method, path, headers, body, settings or tx.settings)
    except signatures.KeyMismatch as exc:
        # Everything else is right but the key fails: its owner may have rotated it.
        if not may_refetch(key_id):
            raise _refused(row.uri, exc.reason) from None
        return None
    except signatures.SignatureError as exc:
        # A stale Date, a wrong Digest or Host: a fresh key would not help, and fetching
        # one for every junk request would let anyone make us hammer the signer's server.
        raise _refused(row.uri, exc.reason) from None
    if row.suspended_at is not None:
        raise Unauthenticated("account suspended")
    return row


async def fetch_signer(
    db: Database,
    settings: Settings,
    key_id: str,
    method: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes,
):
    """The signer, after fetching the key's actor once (outside any transaction): for when
    `known_signer` found no usable key."""
    from pnyx.federation import resolve

    try:
        await key_fetches.run(settings, key_id, resolve.refresh_key_owner, db, settings, key_id)
    except key_fetches.Busy as exc:
        raise Unauthenticated(str(exc), status=503) from None
    except resolve.ResolveError as exc:
        note_failure(key_id)
        raise Unauthenticated(f"key {key_id} could not be fetched: {exc.reason}") from None
    row = await db.read(federation_reads.key_owner, key_id)
    if row is None:
        raise Unauthenticated("unknown key")
    try:
        _verify(row, method, path, headers, body, settings)
    except signatures.SignatureError as exc:
        raise _refused(row.uri, exc.reason) from None
    if row.suspended_at is not None:
        raise Unauthenticated("account suspended")
    return row


async def authenticate(
    db: Database,
    settings: Settings,
    method: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes,
):
    """The remote account that signed this request, fetching its key when needed.

    Raises Unauthenticated for an unsigned request, an unknown key that cannot be fetched,
    a signature that does not verify, or a suspended signer.
    """
    key_id = key_id_of(headers)
    row = await db.read(known_signer, key_id, method, path, headers, body, settings)
    if row is not None:
        return row
    return await fetch_signer(db, settings, key_id, method, path, headers, body)


# A known key is fetched again at most once a minute, and a key that could not be fetched is
# not tried again for a minute (per process): a flood of badly signed requests must not become
# a flood of fetches from the signer's server.
REFETCH_INTERVAL = 60.0
_refetched: dict[str, float] = {}
_failed: dict[str, float] = {}
_lock = threading.Lock()


def _recent(table: dict[str, float], key_id: str, now: float) -> bool:
    last = table.get(key_id)
    return last is not None and now - last < REFETCH_INTERVAL


def may_refetch(key_id: str) -> bool:
    now = time.monotonic()
    with _lock:
        if len(_refetched) > 10_000:
            _refetched.clear()
        if _recent(_refetched, key_id, now):
            return False
        _refetched[key_id] = now
        return True


def failed_recently(key_id: str) -> bool:
    with _lock:
        return _recent(_failed, key_id, time.monotonic())


def note_failure(key_id: str) -> None:
    with _lock:
        if len(_failed) > 10_000:
            _failed.clear()
        _failed[key_id] = time.monotonic()


def _refused(uri: str, reason: str) -> Unauthenticated:
    log.info("signature by %s refused: %s", uri, reason)
    return Unauthenticated(reason)
