"""Pnyx API: labels and labelers (issue 12). The rules live in `core.labels`.

    GET  /api/v1/pnyx/labels?subject=URI          the labels in force on a post or account
    POST /api/v1/pnyx/labels                      label as yourself (subject, value, neg,
                                                  expires_in, reason)
    GET  /api/v1/pnyx/labeler                     your own label definitions
    PUT  /api/v1/pnyx/labeler                     set them ({"definitions": [...]})
    GET  /api/v1/pnyx/labelers                    the labelers you apply, with your settings
    GET  /api/v1/pnyx/labelers/:id                one labeler's definitions
    POST /api/v1/pnyx/labelers/:id/subscribe      apply its labels
    POST /api/v1/pnyx/labelers/:id/unsubscribe    stop
    POST /api/v1/pnyx/labelers/:id/settings       what one label does for you (value, setting)

A labeler is an account (found by search, here or elsewhere); `:id` is its account id.
"""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.auth import optional, require
from pnyx.api.http import JSON, database, path_id, read_params
from pnyx.core import accounts, label_rules, labels
from pnyx.core.errors import Invalid, NotFound
from pnyx.presenters import labels as presenter

MAX_EXPIRES_IN = 10 * 365 * 24 * 3600


def _labeler(tx, account_id: int) -> dict:
    return presenter.labeler(accounts.get(tx, account_id), labels.definitions_of(tx, account_id))


async def on_subject(request: Request) -> JSON:
    params = await read_params(request)
    subject = (params.str("subject", max_len=2048) or "").replace("\x00", "")
    if not subject:
        raise Invalid("Validation failed: subject can't be blank")

    def work(tx):
        optional(tx, request, "read")
        return [presenter.label(s, tx.settings) for s in labels.on_subject(tx, subject)]

    return JSON(await database(request).read(work))


async def issue(request: Request) -> JSON:
    params = await read_params(request)
    expires_in = params.int("expires_in", None, minimum=1, maximum=MAX_EXPIRES_IN)
    data = {
        "subject_uri": params.str("subject", "", max_len=2048) or "",
        "value": params.str("value", "", max_len=64) or "",
        "neg": bool(params.bool("neg", False)),
        "reason": params.str("reason", max_len=labels.MAX_TEXT),
    }

    def work(tx):
        viewer = require(tx, request, "write")
        ends = tx.now + timedelta(seconds=expires_in) if expires_in else None
        label_id = labels.issue(tx, viewer.account_id, labels.LabelInput(expires_at=ends, **data))
        if label_id is None:
            raise Invalid("Validation failed: this label has expired already")
        row = labels.get(tx, label_id)
        return presenter.own_label(row, accounts.get(tx, viewer.account_id), tx.settings)

    return JSON(await database(request).write(work))


async def own_definitions(request: Request) -> JSON:
    def work(tx):
        viewer = require(tx, request, "read")
        return _labeler(tx, viewer.account_id)

    return JSON(await database(request).read(work))


async def set_definitions(request: Request) -> JSON:
    params = await read_params(request)
    given = params.raw("definitions")
    if not isinstance(given, list):
        raise Invalid("Validation failed: definitions must be a list")
    items = []
    for entry in given[: labels.MAX_DEFINITIONS + 1]:
        if not isinstance(entry, dict):
            raise Invalid("Validation failed: each definition must be an object")
        locales = entry.get("locales") if isinstance(entry.get("locales"), list) else []
        items.append(
            labels.Definition(
                value=str(entry.get("value") or ""),
                severity=str(entry.get("severity") or "warn"),
                default_setting=str(entry.get("default_setting") or "warn"),
                locales=tuple(e for e in locales if isinstance(e, dict)),
            )
        )

    def work(tx):
        viewer = require(tx, request, "write")
        labels.define(tx, viewer.account_id, items)
        return _labeler(tx, viewer.account_id)

    return JSON(await database(request).write(work))


async def subscriptions(request: Request) -> JSON:
    def work(tx):
        viewer = require(tx, request, "read")
        rules = label_rules.rules_of(tx, viewer.account_id)
        found = []
        for labeler_id in sorted(rules.labelers):
            shown = _labeler(tx, labeler_id)
            shown["settings"] = {
                value: setting
                for (labeler, value), setting in rules.settings.items()
                if labeler == labeler_id
            }
            shown["subscribed"] = labeler_id in labels.subscribed_ids(tx, viewer.account_id)
            found.append(shown)
        return found

    return JSON(await database(request).read(work))


async def show(request: Request) -> JSON:
    labeler_id = path_id(request)

    def work(tx):
        optional(tx, request, "read")
        accounts.get_public(tx, labeler_id)
        if not labels.is_labeler(tx, labeler_id):
            raise NotFound()
        return _labeler(tx, labeler_id)

    return JSON(await database(request).read(work))


def _subscription(subscribe: bool):
    async def handler(request: Request) -> JSON:
        labeler_id = path_id(request)

        def work(tx):
            viewer = require(tx, request, "write")
            accounts.get_public(tx, labeler_id)
            if subscribe:
                labels.subscribe(tx, viewer.account_id, labeler_id)
            else:
                labels.unsubscribe(tx, viewer.account_id, labeler_id)
            return {"id": str(labeler_id), "subscribed": subscribe}

        return JSON(await database(request).write(work))

    return handler


async def setting(request: Request) -> JSON:
    labeler_id = path_id(request)
    params = await read_params(request)
    value = params.str("value", "", max_len=64) or ""
    chosen = params.str("setting", "", max_len=8) or ""

    def work(tx):
        viewer = require(tx, request, "write")
        accounts.get_public(tx, labeler_id)
        labels.set_setting(tx, viewer.account_id, labeler_id, value, chosen)
        return {"id": str(labeler_id), "value": value, "setting": chosen}

    return JSON(await database(request).write(work))


routes = [
    Route("/api/v1/pnyx/labels", on_subject, methods=["GET"]),
    Route("/api/v1/pnyx/labels", issue, methods=["POST"]),
    Route("/api/v1/pnyx/labeler", own_definitions, methods=["GET"]),
    Route("/api/v1/pnyx/labeler", set_definitions, methods=["PUT"]),
    Route("/api/v1/pnyx/labelers", subscriptions, methods=["GET"]),
    Route("/api/v1/pnyx/labelers/{id:int}", show, methods=["GET"]),
    Route("/api/v1/pnyx/labelers/{id:int}/subscribe", _subscription(True), methods=["POST"]),
    Route("/api/v1/pnyx/labelers/{id:int}/unsubscribe", _subscription(False), methods=["POST"]),
    Route("/api/v1/pnyx/labelers/{id:int}/settings", setting, methods=["POST"]),
]
