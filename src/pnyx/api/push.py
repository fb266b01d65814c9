"""Mastodon API: Web Push subscriptions (POST/GET/PUT/DELETE /api/v1/push/subscription).

One subscription per access token; the rules (keys, endpoint, alerts, policy, who is pushed
what) are `core.web_push`'s. Parameters come as Mastodon takes them, form fields
(`subscription[endpoint]`, `data[alerts][mention]` ...) or the same shape in JSON; `policy`
is read from `data[policy]` and, as Mastodon.py sends it, from a top-level `policy`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.auth import bearer_token, require
from pnyx.api.http import JSON, Params, database, read_params, unprocessable
from pnyx.core import web_push

SCOPE = "push"


def entity(sub: web_push.Subscription, server_key: str) -> dict:
    """The WebPushSubscription entity."""
    return {
        "id": str(sub.id),
        "endpoint": sub.endpoint,
        "standard": sub.standard,
        "alerts": {name: name in sub.alerts for name in web_push.ALERTS},
        "policy": sub.policy,
        "server_key": server_key,
    }


def _alerts(data: Params) -> dict[str, bool]:
    given = data.dict("alerts") or {}
    alerts = Params(given)
    return {name: bool(alerts.bool(name, False)) for name in given}


def _policy(params: Params, data: Params) -> str | None:
    return data.str("policy", max_len=32) or params.str("policy", max_len=32)


def _subscription_fields(params: Params) -> tuple[str, str, str, bool]:
    subscription = params.sub("subscription")
    keys = subscription.sub("keys")
    endpoint = subscription.str("endpoint", max_len=web_push.ENDPOINT_MAX + 1)
    p256dh = keys.str("p256dh", max_len=256)
    auth = keys.str("auth", max_len=128)
    if not endpoint:
        raise unprocessable("Validation failed: Endpoint can't be blank")
    if not p256dh or not auth:
        raise unprocessable("Validation failed: Keys can't be blank")
    standard = bool(subscription.bool("standard", False) or params.bool("standard", False))
    return endpoint, p256dh, auth, standard


async def create(request: Request):
    params = await read_params(request)
    endpoint, p256dh, auth, standard = _subscription_fields(params)
    data = params.sub("data")
    alerts, policy = _alerts(data), _policy(params, data)

    def work(tx):
        viewer = require(tx, request, SCOPE)
        sub = web_push.subscribe(
            tx,
            token_id=viewer.token_id,
            token=bearer_token(request) or "",
            account_id=viewer.account_id,
            endpoint=endpoint,
            p256dh=p256dh,
            auth=auth,
            standard=standard,
            alerts=alerts,
            policy=policy,
        )
        return entity(sub, web_push.ensure_vapid_keys(tx).public_key)

    return JSON(await database(request).write(work))


async def show(request: Request):
    def work(tx):
        viewer = require(tx, request, SCOPE)
        sub = web_push.get(tx, viewer.token_id)
        keys = web_push.vapid_keys(tx)
        return entity(sub, keys.public_key if keys else "")

    return JSON(await database(request).read(work))


async def update(request: Request):
    params = await read_params(request)
    data = params.sub("data")
    alerts, policy = _alerts(data), _policy(params, data)

    def work(tx):
        viewer = require(tx, request, SCOPE)
        sub = web_push.change(tx, viewer.token_id, viewer.account_id, alerts, policy)
        return entity(sub, web_push.ensure_vapid_keys(tx).public_key)

    return JSON(await database(request).write(work))


async def destroy(request: Request):
    def work(tx):
        viewer = require(tx, request, SCOPE)
        web_push.unsubscribe(tx, viewer.token_id)
        return {}

    return JSON(await database(request).write(work))


routes = [
    Route("/api/v1/push/subscription", create, methods=["POST"]),
    Route("/api/v1/push/subscription", show, methods=["GET"]),
    Route("/api/v1/push/subscription", update, methods=["PUT"]),
    Route("/api/v1/push/subscription", destroy, methods=["DELETE"]),
]
