"""What each connected viewer is sent for one signal: run in a database thread, in one read
transaction, by the broker of the process the viewers are connected to.

A post is loaded once (`status_views.load`, for nobody in particular), each viewer's own marks
for all of them in one query (`status_views.for_viewers`), and the entity rendered once per
viewer whatever the number of their streams that show it (authors are rendered once in all).
Who is shown it is `core.stream_audience`'s to say.

The rest goes to `user` streams alone: `filters_changed` (no payload) to the filters' owner,
and the announcements to everyone signed in here: `announcement` rendered for each viewer as
/api/v1/announcements shows it (their `read`, their reactions' `me`), `announcement.reaction`
with the count as it is when the message is made, and `announcement.delete` with the id.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import orjson
import sqlalchemy as sa

from pnyx.core import (
    account_extras,
    announcements,
    conversations,
    decisions,
    notification_queries,
    status_views,
    stream_audience,
    visibility,
)
from pnyx.core.errors import NotFound
from pnyx.core.stream_audience import StreamKey, Viewer
from pnyx.db.engine import Tx
from pnyx.db.tables import accounts
from pnyx.presenters import entities, notification_entities
from pnyx.presenters.announcements import announcement, reaction
from pnyx.streaming import signals


@dataclass(frozen=True)
class Delivery:
    """One message for the clients of `viewer` that hold stream `key`."""

    key: StreamKey
    viewer: Viewer
    event: str
    payload: str | None  # None: an event with no payload (`filters_changed`)


Listening = Mapping[StreamKey, Collection[Viewer]]


def for_signal(tx: Tx, signal: dict, listening: Listening) -> list[Delivery]:
    kind = signal.get("t")
    if kind in (signals.STATUS, signals.EDIT):
        return _status(tx, int(signal["id"]), kind == signals.EDIT, listening)
    if kind == signals.NOTIFICATION:
        return _notification(tx, int(signal["id"]), int(signal["a"]), listening)
    if kind == signals.DELETE:
        return _deleted(signal, listening)
    if kind == signals.FILTERS:
        return _to_user_streams(listening, [int(signal["a"])], "filters_changed", None)
    if kind == signals.ANNOUNCEMENT:
        return _announcement(tx, int(signal["id"]), listening)
    if kind == signals.ANNOUNCEMENT_GONE:
        return _to_user_streams(
            listening, listening.get(USER, ()), "announcement.delete", str(signal["id"])
        )
    if kind == signals.REACTION:
        return _reaction(tx, int(signal["id"]), str(signal["name"]), listening)
    return []


USER: StreamKey = ("user", None)


def _to_user_streams(
    listening: Listening, viewers: Collection[Viewer], event: str, payload: str | None
) -> list[Delivery]:
    """The same message on the `user` streams of those of `viewers` connected here."""
    connected = listening.get(USER, ())
    return [Delivery(USER, v, event, payload) for v in viewers if v is not None and v in connected]


def _announcement(tx: Tx, announcement_id: int, listening: Listening) -> list[Delivery]:
    """Mastodon's `announcement`: the announcement as each viewer reads it in
    /api/v1/announcements (their `read` and reactions' `me`); nothing once it is no longer
    live (unpublished or ended meanwhile: its own signal says so)."""
    viewers = [v for v in listening.get(USER, ()) if v is not None]
    shown = announcements.shown_one(tx, announcement_id, viewers)
    return [
        Delivery(USER, viewer, "announcement", _dump(announcement(item, tx.settings)))
        for viewer, item in shown.items()
    ]


def _reaction(tx: Tx, announcement_id: int, name: str, listening: Listening) -> list[Delivery]:
    """Mastodon's `announcement.reaction`: the reaction's count now (0 once the last one is
    taken back), the same for everyone, with the announcement's id."""
    counted = announcements.reaction_count(tx, announcement_id, name)
    if counted is None:
        return []
    payload = {**reaction(counted, with_me=False), "announcement_id": str(announcement_id)}
    return _to_user_streams(
        listening, listening.get(USER, ()), "announcement.reaction", _dump(payload)
    )


def _dump(data: object) -> str:
    return orjson.dumps(data).decode()


def _status(tx: Tx, status_id: int, edited: bool, listening: Listening) -> list[Delivery]:
    found = stream_audience.audience(tx, status_id, listening)
    if found is None or not found.streams:
        return []
    shared = status_views.load(tx, [status_id], None)
    viewers = {v for shown in found.streams.values() for v in shown}
    bundles = status_views.for_viewers(tx, shared, [v for v in viewers if v is not None])
    rendered: dict[Viewer, dict] = {}
    for viewer in viewers:
        bundle = bundles.get(viewer, shared) if viewer is not None else shared
        rendered[viewer] = entities.status(bundle, status_id, tx.settings, tx.now)
    payloads = {viewer: _dump(entity) for viewer, entity in rendered.items()}
    event = "status.update" if edited else "update"
    out = []
    for key, shown in found.streams.items():
        if key[0] == "direct":
            out += _conversations(tx, found.status, shown, rendered)
            continue
        context = FILTER_CONTEXTS.get(key[0])
        out += [
            Delivery(key, viewer, event, payloads[viewer])
            for viewer in shown
            if not _filtered_out(
                bundles.get(viewer) if viewer is not None else None, found.status, context
            )
        ]
    return out


# Which of the viewer's filters a stream applies, as the timeline it mirrors does.
FILTER_CONTEXTS = {
    "user": "home",
    "list": "home",
    **{name: "public" for name in stream_audience.PUBLIC_STREAMS},
    **{name: "public" for name in stream_audience.HASHTAG_STREAMS},
}


def _filtered_out(bundle: status_views.StatusBundle | None, row, context: str | None) -> bool:
    """A `hide` filter of the stream's context matches the post (its `filtered` is rendered
    into the payload as on the timelines, whatever the context)."""
    if bundle is None or context is None or not bundle.filter_matches:
        return False
    step = decisions.filtered(bundle.filter_matches, context)
    original = bundle.statuses.get(row.reblog_of_id) if row.reblog_of_id else None
    verdict = decisions.decide((step,), visibility.ViewerContext(bundle.viewer_id), row, original)
    return verdict.action == "hide"


def _conversations(tx: Tx, row, shown: Collection[Viewer], rendered: dict) -> list[Delivery]:
    """Mastodon's `conversation` event on the `direct` stream: the conversation as each
    participant sees it in `/api/v1/conversations` (the same id, unread and participants),
    with this post as its last."""
    viewers = [v for v in shown if v is not None]
    mine = conversations.rows_for(tx, row.conversation_id or row.id, viewers)
    people = {i for r in mine.values() for i in (r.participant_ids or [])}
    found = (
        {a.id: a for a in tx.rows(sa.select(accounts).where(accounts.c.id.in_(people)))}
        if people
        else {}
    )
    extras = account_extras.load(tx, found.values())
    out = []
    for viewer in viewers:
        conversation = mine.get(viewer)
        if conversation is None:
            continue
        entity = {
            "id": str(conversation.id),
            "unread": bool(conversation.unread),
            "accounts": [
                entities.account(found[i], tx.settings, extras)
                for i in (conversation.participant_ids or [])
                if i in found
            ],
            "last_status": rendered[viewer],
        }
        out.append(Delivery(("direct", None), viewer, "conversation", _dump(entity)))
    return out


def _notification(
    tx: Tx, notification_id: int, recipient: int, listening: Listening
) -> list[Delivery]:
    keys = [
        k
        for k in (("user", None), ("user:notification", None))
        if recipient in listening.get(k, ())
    ]
    if not keys:
        return []
    try:
        found = notification_queries.get_one(tx, recipient, notification_id)
    except NotFound:  # gone already, or not to be shown (the list's rules say)
        return []
    [row] = found.rows
    author = found.accounts.get(row.from_account_id)
    if author is None:
        return []
    entity = notification_entities.notification(
        row, author, found.bundle, tx.settings, tx.now, found
    )
    payload = _dump(entity)
    return [Delivery(key, recipient, "notification", payload) for key in keys]


def _deleted(signal: dict, listening: Listening) -> list[Delivery]:
    """`delete` on every stream connected here but those of notifications only, as Mastodon
    does: the post is gone, so who could have seen it cannot be read back, and the message
    carries only its id."""
    payload = str(signal["id"])
    return [
        Delivery(key, viewer, "delete", payload)
        for key, viewers in listening.items()
        if key[0] != "user:notification"
        for viewer in viewers
    ]
