"""Web Push: apps ask to be told of their user's notifications even when they are not running.

An app subscribes with one of its access tokens (one subscription per token, as Mastodon):
the address of its push service (`endpoint`) and the keys to encrypt for it (RFC 8291: the
browser's or app's P-256 public key `p256dh` and a 16-byte `auth` secret), which notification
types it wants (`alerts`) and from whom (`policy`). The instance signs what it sends with its
own P-256 key pair (VAPID, RFC 8292), made once and kept in `instance_state`; apps read its
public half from `/api/v2/instance` and the Application entity.

When a notification is made (`NotificationCreated`), `on_event` runs in the same transaction
and enqueues one durable `web_push.deliver` job per subscription that wants it: the jobs exist
only if the notification does, and run after commit; each is retried alone. The job itself
(encryption and the POST) lives in `pnyx.federation.web_push`, beside the one HTTP client that
may reach other hosts. What the job sends is decided again when it runs (`delivery`): a
notification withdrawn, a block or mute made, a token revoked in the meantime sends nothing.

Not pushed: a notification the recipient's policy filtered (held under a request), one from
an account the recipient blocks, mutes (with or without its notifications), is blocked by, or
whose server they block, and one whose type the subscription did not ask for.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.engine import Row

from pnyx.core import account_visibility as av
from pnyx.core import events
from pnyx.core.errors import Invalid, NotFound
from pnyx.core.filter_matching import plain_text
from pnyx.core.roles import is_staff
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.insert_ignore import insert_ignore
from pnyx.db.tables import (
    accounts,
    follows,
    instance_state,
    notifications,
    oauth_tokens,
    statuses,
    users,
    web_push_subscriptions,
)
from pnyx.jobs.queue import enqueue

DELIVER_JOB = "web_push.deliver"

# What an app may ask to be told of (Mastodon's alerts); the admin ones only for staff.
ALERTS = (
    "mention",
    "status",
    "reblog",
    "follow",
    "follow_request",
    "favourite",
    "poll",
    "update",
    "quote",
    "quoted_update",
    "admin.sign_up",
    "admin.report",
)
STAFF_ALERTS = frozenset({"admin.sign_up", "admin.report"})
POLICIES = ("all", "followed", "follower", "none")
ENDPOINT_MAX = 2048
BODY_MAX = 140  # characters of a post's text in a push, as Mastodon

# Who may still cause a push: no block either way, no mute of any kind (a muted account's
# notifications may be listed, they should not ring a phone), no blocked server.
PUSHED = av.none_of(av.SUSPENDED, av.BLOCKED, av.BLOCKS_YOU, av.MUTED, av.DOMAIN_BLOCKED)


@dataclass(frozen=True)
class Subscription:
    id: int
    access_token_id: int
    account_id: int
    endpoint: str
    key_p256dh: str
    key_auth: str
    standard: bool
    alerts: frozenset[str]
    policy: str
    access_token: str
    created_at: datetime


def _subscription(row: Row) -> Subscription:
    return Subscription(
        id=row.id,
        access_token_id=row.access_token_id,
        account_id=row.account_id,
        endpoint=row.endpoint,
        key_p256dh=row.key_p256dh,
        key_auth=row.key_auth,
        standard=bool(row.standard),
        alerts=frozenset(a for a in row.alerts.split(",") if a),
        policy=row.policy,
        access_token=row.access_token,
        created_at=row.created_at,
    )


# --- The instance's VAPID key pair -----------------------------------------------------------

_VAPID_KEY = "vapid_keypair"  # one row holding both halves, so a race cannot mix two pairs


@dataclass(frozen=True)
class VapidKeys:
    private_pem: str
    public_key: str  # the uncompressed P-256 point, base64url without padding (as apps read it)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _generate_vapid() -> VapidKeys:
    key = ec.generate_private_key(ec.SECP256R1())
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return VapidKeys(private_pem, b64url(point))


_VAPID_READ = sa.select(instance_state.c.value).where(instance_state.c.key == _VAPID_KEY)


def vapid_keys(tx: Tx) -> VapidKeys | None:
    """The key pair if it was made (a read transaction cannot make it)."""
    value = tx.scalar(_VAPID_READ)
    if value is None:
        return None
    private_pem, public_key = json.loads(value)
    return VapidKeys(private_pem, public_key)


def ensure_vapid_keys(tx: Tx) -> VapidKeys:
    """The key pair, made and stored on first need; two racing makers keep the first."""
    found = vapid_keys(tx)
    if found is not None:
        return found
    made = _generate_vapid()
    insert_ignore(
        tx,
        instance_state,
        {"key": _VAPID_KEY, "value": json.dumps([made.private_pem, made.public_key])},
    )
    stored = vapid_keys(tx)
    assert stored is not None
    return stored


# --- Subscriptions -------------------------------------------------------------------------


def decode_key(value: str) -> bytes:
    """A key as apps send it: base64, url-safe or not, padded or not (Mastodon.py pads and
    uses + and /; browsers send base64url without padding)."""
    text = value.strip().replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    return base64.b64decode(text, validate=True)


def _checked_keys(p256dh: str, auth: str) -> tuple[str, str]:
    try:
        point = decode_key(p256dh)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except (ValueError, binascii.Error):
        raise Invalid("Key p256dh is not a valid P-256 public key") from None
    try:
        secret = decode_key(auth)
    except (ValueError, binascii.Error):
        raise Invalid("Key auth is not valid base64") from None
    if len(secret) != 16:
        raise Invalid("Key auth must be 16 bytes")
    return b64url(point), b64url(secret)


def _checked_endpoint(tx: Tx, endpoint: str) -> str:
    """An https URL (or http, on a setup that may reach private addresses, for local tests),
    not naming a private address outright. A name that resolves to one is refused by the
    safe client when pushing (DNS can change between now and then)."""
    endpoint = endpoint.strip()
    if not endpoint:
        raise Invalid("Endpoint can't be blank")
    if len(endpoint) > ENDPOINT_MAX:
        raise Invalid(f"Endpoint is too long (maximum is {ENDPOINT_MAX})")
    private_ok = tx.settings.allow_private_addresses
    try:
        parts = urlsplit(endpoint)
        scheme, host = parts.scheme.lower(), parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        scheme, host = "", None
    if scheme not in (("https", "http") if private_ok else ("https",)) or not host:
        raise Invalid("Endpoint is not a valid https URL")
    if not private_ok and (host == "localhost" or _private_ip(host)):
        raise Invalid("Endpoint is not a public address")
    return endpoint


def _private_ip(host: str) -> bool:
    try:
        return not ipaddress.ip_address(host).is_global
    except ValueError:
        return False  # a name, not an address


def _checked_alerts(
    tx: Tx, account_id: int, wanted: dict[str, bool], before: frozenset[str] = frozenset()
) -> frozenset[str]:
    """The alerts after this change: those named are set, the others kept. Staff alerts are
    dropped for anyone else (as Mastodon)."""
    alerts = set(before)
    for name, on in wanted.items():
        if name not in ALERTS:
            continue
        if on:
            alerts.add(name)
        else:
            alerts.discard(name)
    if alerts & STAFF_ALERTS and not is_staff(tx, account_id):
        alerts -= STAFF_ALERTS
    return frozenset(alerts)


def _checked_policy(policy: str | None, default: str) -> str:
    if policy is None or policy == "":
        return default
    if policy not in POLICIES:
        raise Invalid(f"Policy must be one of {', '.join(POLICIES)}")
    return policy


def _stored_alerts(alerts: frozenset[str]) -> str:
    return ",".join(a for a in ALERTS if a in alerts)


def get(tx: Tx, token_id: int) -> Subscription:
    """The subscription of this token, or NotFound (Mastodon's 404)."""
    row = tx.one_or_none(
        sa.select(web_push_subscriptions).where(
            web_push_subscriptions.c.access_token_id == token_id
        )
    )
    if row is None:
        raise NotFound("Record not found")
    return _subscription(row)


def subscribe(
    tx: Tx,
    *,
    token_id: int,
    token: str,
    account_id: int,
    endpoint: str,
    p256dh: str,
    auth: str,
    standard: bool,
    alerts: dict[str, bool],
    policy: str | None,
) -> Subscription:
    """Replace the token's subscription with a new one (a new id, as Mastodon)."""
    endpoint = _checked_endpoint(tx, endpoint)
    key_p256dh, key_auth = _checked_keys(p256dh, auth)
    chosen = _checked_alerts(tx, account_id, alerts)
    policy = _checked_policy(policy, "all")
    ensure_vapid_keys(tx)  # the key apps must have to check what is pushed exists from now
    tx.execute(
        web_push_subscriptions.delete().where(web_push_subscriptions.c.access_token_id == token_id)
    )
    tx.execute(
        web_push_subscriptions.insert().values(
            id=new_id(),
            access_token_id=token_id,
            account_id=account_id,
            endpoint=endpoint,
            key_p256dh=key_p256dh,
            key_auth=key_auth,
            standard=standard,
            alerts=_stored_alerts(chosen),
            policy=policy,
            access_token=token,
            created_at=tx.now,
            updated_at=tx.now,
        )
    )
    return get(tx, token_id)


def change(
    tx: Tx, token_id: int, account_id: int, alerts: dict[str, bool], policy: str | None
) -> Subscription:
    """PUT: the alerts named change, the others stay; the policy changes when given."""
    current = get(tx, token_id)
    chosen = _checked_alerts(tx, account_id, alerts, current.alerts)
    tx.execute(
        web_push_subscriptions.update()
        .where(web_push_subscriptions.c.id == current.id)
        .values(
            alerts=_stored_alerts(chosen),
            policy=_checked_policy(policy, current.policy),
            updated_at=tx.now,
        )
    )
    return get(tx, token_id)


def unsubscribe(tx: Tx, token_id: int) -> None:
    """DELETE: gone, or already gone (Mastodon answers {} either way)."""
    tx.execute(
        web_push_subscriptions.delete().where(web_push_subscriptions.c.access_token_id == token_id)
    )


def remove(tx: Tx, subscription_id: int) -> None:
    """The push service said the subscription is gone for good (404, 410)."""
    tx.execute(
        web_push_subscriptions.delete().where(web_push_subscriptions.c.id == subscription_id)
    )


def forget_revoked(tx: Tx, token_ids: sa.Select) -> None:
    """Drop the subscriptions of tokens just revoked (`token_ids` selects their ids): a
    revoked token's app is told nothing more, and its token leaves the database."""
    revoked = token_ids.where(oauth_tokens.c.revoked_at.is_not(None))
    tx.execute(
        web_push_subscriptions.delete().where(web_push_subscriptions.c.access_token_id.in_(revoked))
    )


# --- Who is pushed what --------------------------------------------------------------------


def _policy_allows(tx: Tx, policy: str, recipient_id: int, sender_id: int) -> bool:
    if policy == "all":
        return True
    if policy == "none":
        return False
    if policy == "follower":  # only from those who follow the recipient
        follower, target = sender_id, recipient_id
    else:  # "followed": only from those the recipient follows
        follower, target = recipient_id, sender_id
    return bool(
        tx.scalar(
            sa.select(sa.literal(1)).where(
                follows.c.account_id == follower, follows.c.target_account_id == target
            )
        )
    )


def _notification(tx: Tx, notification_id: int) -> Row | None:
    return tx.one_or_none(
        sa.select(
            notifications.c.id,
            notifications.c.account_id,
            notifications.c.from_account_id,
            notifications.c.type,
            notifications.c.status_id,
            notifications.c.filtered,
        ).where(notifications.c.id == notification_id)
    )


def _may_push(tx: Tx, note: Row) -> bool:
    if note.filtered:
        return False
    if note.type in STAFF_ALERTS:  # work for the instance: whoever the reporter is
        return True
    return bool(
        tx.scalar(
            sa.select(
                av.account_visible_condition(
                    PUSHED, sa.literal(note.from_account_id), note.account_id, tx.now
                )
            )
        )
    )


def _wants(tx: Tx, sub: Subscription, note: Row) -> bool:
    return note.type in sub.alerts and _policy_allows(
        tx, sub.policy, note.account_id, note.from_account_id
    )


_SUBSCRIPTIONS_OF = sa.select(web_push_subscriptions).where(
    web_push_subscriptions.c.account_id == sa.bindparam("account")
)


def on_event(tx: Tx, event: events.Event) -> None:
    """The `web_push` subscription to NotificationCreated, in the notification's transaction:
    a job per subscription that wants it. Most accounts have none: one indexed query."""
    assert isinstance(event, events.NotificationCreated)
    rows = list(tx.execute(_SUBSCRIPTIONS_OF, {"account": event.account_id}))
    if not rows:
        return
    note = _notification(tx, event.notification_id)
    if note is None or not _may_push(tx, note):
        return
    for sub in map(_subscription, rows):
        if _wants(tx, sub, note):
            enqueue(tx, DELIVER_JOB, {"subscription": sub.id, "notification": note.id})


# --- What one push carries -----------------------------------------------------------------


@dataclass(frozen=True)
class Push:
    """One push to make: where, with which keys, and Mastodon's payload (a JSON object)."""

    subscription_id: int
    endpoint: str
    key_p256dh: str
    key_auth: str
    standard: bool
    payload: dict
    urgency: str
    vapid: VapidKeys
    contact: str  # the VAPID `sub` claim: how a push service reaches the operator


_TITLES = {
    "mention": "{name} mentioned you",
    "status": "{name} posted",
    "reblog": "{name} boosted your post",
    "follow": "{name} is now following you",
    "follow_request": "{name} asked to follow you",
    "favourite": "{name} favourited your post",
    "poll": "A poll has ended",
    "update": "{name} edited a post you boosted",
    "quote": "{name} quoted your post",
    "quoted_update": "{name} edited a post you quoted",
    "admin.sign_up": "{name} signed up",
    "admin.report": "New report about {name}",
}


def _truncated(text: str, limit: int = BODY_MAX) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def delivery(tx: Tx, subscription_id: int, notification_id: int) -> Push | None:
    """What the job sends now, or None when nothing is to be sent any more (the notification
    or subscription is gone, the token revoked, the recipient suspended, or a block or mute
    came in between)."""
    row = tx.one_or_none(
        sa.select(
            web_push_subscriptions,
            oauth_tokens.c.revoked_at,
            users.c.locale,
            accounts.c.suspended_at,
        )
        .join(oauth_tokens, oauth_tokens.c.id == web_push_subscriptions.c.access_token_id)
        .join(users, users.c.account_id == web_push_subscriptions.c.account_id)
        .join(accounts, accounts.c.id == web_push_subscriptions.c.account_id)
        .where(web_push_subscriptions.c.id == subscription_id)
    )
    if row is None or row.revoked_at is not None or row.suspended_at is not None:
        return None
    sub = _subscription(row)
    note = _notification(tx, notification_id)
    if note is None or note.account_id != sub.account_id or not _may_push(tx, note):
        return None
    if not _wants(tx, sub, note):
        return None
    sender = tx.one_or_none(
        sa.select(
            accounts.c.username,
            accounts.c.display_name,
            accounts.c.note,
            accounts.c.avatar_url,
            accounts.c.avatar_static_url,
        ).where(accounts.c.id == note.from_account_id)
    )
    if sender is None:
        return None
    text = ""
    if note.status_id is not None:
        status = tx.one_or_none(
            sa.select(statuses.c.spoiler_text, statuses.c.content).where(
                statuses.c.id == note.status_id
            )
        )
        if status is not None:
            text = status.spoiler_text or plain_text(status.content or "")
    else:
        text = plain_text(sender.note or "")
    name = (sender.display_name or "").strip() or sender.username
    avatar = (sender.avatar_url and (sender.avatar_static_url or sender.avatar_url)) or (
        f"{tx.settings.base_url}/static/avatar.png"
    )
    vapid = ensure_vapid_keys(tx)
    settings = tx.settings
    return Push(
        subscription_id=sub.id,
        endpoint=sub.endpoint,
        key_p256dh=sub.key_p256dh,
        key_auth=sub.key_auth,
        standard=sub.standard,
        payload={
            "access_token": sub.access_token,
            "preferred_locale": row.locale or "en",
            "notification_id": str(note.id),
            "notification_type": note.type,
            "icon": avatar,
            "title": _TITLES[note.type].format(name=name),
            "body": _truncated(text),
        },
        urgency="normal" if note.type in ("mention", "follow_request") else "low",
        vapid=vapid,
        contact=(
            f"mailto:{settings.contact_email}" if settings.contact_email else settings.base_url
        ),
    )
