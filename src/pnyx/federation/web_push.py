"""The `web_push.deliver` job: encrypt one notification for one app and hand it to its push
service (`core.web_push` decides who is pushed what; this module only does the network).

It lives here, beside the one HTTP client that may leave the process (`fetch.RemoteClient`):
a push endpoint is a URL a user typed, as hostile as any inbox, so it gets the same guards
(no private addresses unless the operator allows them, a deadline, a capped answer).

Two formats, as Mastodon sends them, chosen by the subscription's `standard` flag:

- standard (RFC 8030 + RFC 8291 `aes128gcm` + RFC 8292): the salt and our ephemeral key are in
  the body's header; `Authorization: vapid t=<JWT>,k=<our VAPID public key>`;
- legacy (draft 4 of RFC 8291, `aesgcm`, which apps registered before Mastodon 4.4 expect):
  `Encryption: salt=...`, `Crypto-Key: dh=<ephemeral key>;p256ecdsa=<VAPID key>` and
  `Authorization: WebPush <JWT>`.

The encryption is http_ece's and the VAPID signature py_vapid's. A push service that answers
404 or 410 says the subscription is gone: it is removed. 429 and 5xx are retried by the job
queue with its backoff (or when Retry-After says); other refusals are not retried.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

import http_ece
import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid01, Vapid02

from pnyx.core import web_push
from pnyx.db.engine import Database
from pnyx.federation.delivery import RETRY_AFTER_STATUSES, RETRYABLE_4XX, retry_after
from pnyx.federation.fetch import FetchError, RemoteClient
from pnyx.jobs.worker import PermanentError, RetryAfter

log = logging.getLogger("pnyx.federation.web_push")

TTL_SECONDS = 2 * 24 * 3600  # how long a push service keeps a push for an offline device
JWT_LIFETIME = 12 * 3600  # RFC 8292 allows up to a day
GONE = frozenset({404, 410})


def _audience(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


def _vapid_key(push: web_push.Push) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(push.vapid.private_pem.encode(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def encrypted_request(push: web_push.Push) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one push (a fresh ephemeral key and salt for each)."""
    content = orjson.dumps(push.payload)
    receiver = web_push.decode_key(push.key_p256dh)
    auth = web_push.decode_key(push.key_auth)
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    claims = {
        "aud": _audience(push.endpoint),
        "sub": push.contact,
        "exp": int(time.time()) + JWT_LIFETIME,
    }
    # no-strict: `sub` may be an http URL on a local setup without a contact address.
    headers = {"TTL": str(TTL_SECONDS), "Urgency": push.urgency}
    if push.standard:
        body = http_ece.encrypt(
            content, private_key=ephemeral, dh=receiver, auth_secret=auth, version="aes128gcm"
        )
        signer = Vapid02(_vapid_key(push), conf={"no-strict": True})
        headers |= {"Content-Encoding": "aes128gcm", **signer.sign(claims)}
        return body, headers
    salt = os.urandom(16)
    body = http_ece.encrypt(
        content,
        salt=salt,
        private_key=ephemeral,
        dh=receiver,
        auth_secret=auth,
        version="aesgcm",
    )
    ephemeral_point = ephemeral.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    legacy = Vapid01(_vapid_key(push), conf={"no-strict": True})
    signed = legacy.sign(claims, crypto_key=f"dh={web_push.b64url(ephemeral_point)}")
    headers |= {
        "Content-Encoding": "aesgcm",
        "Encryption": f"salt={web_push.b64url(salt)}",
        **signed,
    }
    return body, headers


def deliver(db: Database, payload: dict) -> None:
    """One push: `{"subscription": id, "notification": id}`."""
    subscription_id, notification_id = payload["subscription"], payload["notification"]
    push = db.run_sync(web_push.delivery, subscription_id, notification_id)
    if push is None:
        return
    body, headers = encrypted_request(push)
    try:
        with RemoteClient(db.settings) as client:
            response = client.post(
                push.endpoint,
                body,
                signer=None,
                content_type="application/octet-stream",
                headers=headers,
            )
    except FetchError as exc:
        raise RuntimeError(f"push to {push.endpoint} failed: {exc.reason}") from None
    if 200 <= response.status < 300:
        return
    if response.status in GONE:
        log.info("push subscription %s is gone (%s): removed", subscription_id, response.status)
        db.run_sync(web_push.remove, subscription_id)
        return
    if 400 <= response.status < 500 and response.status not in RETRYABLE_4XX:
        raise PermanentError(f"push service answered {response.status}")
    if response.status in RETRY_AFTER_STATUSES:
        not_before = retry_after(response.headers.get("retry-after", ""), datetime.now(UTC))
        if not_before is not None:
            raise RetryAfter(f"push service answered {response.status}", not_before)
    raise RuntimeError(f"push service answered {response.status}")
