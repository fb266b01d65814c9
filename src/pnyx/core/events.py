"""What happened, as typed events recorded in the same transaction as the change.

Core never talks to the network, streams or feeds. When a local account posts, follows,
favourites ... the core function calls `record(tx, SomethingHappened(...))` inside its own
transaction: a durable `event` job that exists only if the change commits. After commit the
job is handed to every handler registered for the event's type (`pnyx.registry`: federate
today; notify, stream, fan out and label are meant to plug in the same way), each as a job of
its own so that one failing handler is retried alone.

Handlers read the change back from the database when they run (a post edited twice in a row
is sent as it is now), so an event carries ids; what cannot be read back afterwards (a deleted
post's uri and audience) travels in the event itself.

An event is stored as `{"event": "<class name>", **fields}`: renaming a class or a field
strands the rows already queued, so add new events rather than change old ones.
"""

from __future__ import annotations

import logging
import typing
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from pnyx.db.engine import Tx
from pnyx.jobs.queue import enqueue

log = logging.getLogger("pnyx.events")

EVENT_JOB = "event"


@dataclass(frozen=True)
class Event:
    """Base of every event; its subclasses are the vocabulary of side effects."""


# --- Posts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusCreated(Event):
    status_id: int


@dataclass(frozen=True)
class StatusEdited(Event):
    status_id: int


@dataclass(frozen=True)
class StatusDeleted(Event):
    """The post is gone when handlers run: what they need of it is kept here."""

    account_id: int
    uri: str
    visibility: str
    reblog: bool = False
    mentioned_account_ids: tuple[int, ...] = ()
    in_reply_to_account_id: int | None = None


@dataclass(frozen=True)
class StatusBoosted(Event):
    boost_id: int  # the boost's own row (its reblog_of_id is the boosted post)


@dataclass(frozen=True)
class BoostUndone(Event):
    """The boost's row is gone: its uri, audience and date are kept here."""

    account_id: int
    status_id: int  # the post that had been boosted
    uri: str
    visibility: str
    published: datetime


@dataclass(frozen=True)
class StatusFavourited(Event):
    account_id: int
    status_id: int
    uri: str


@dataclass(frozen=True)
class FavouriteUndone(Event):
    account_id: int
    status_id: int
    uri: str | None


# --- Polls ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PollVoted(Event):
    """A local account voted in a poll of another server."""

    account_id: int
    poll_id: int
    choices: tuple[int, ...]


@dataclass(frozen=True)
class PollCountsChanged(Event):
    """Votes moved the counts of a local poll; recorded coalesced, once per half minute."""

    status_id: int


@dataclass(frozen=True)
class PollClosed(Event):
    """A local poll reached its end."""

    status_id: int


# --- Relationships -------------------------------------------------------------------------


@dataclass(frozen=True)
class FollowRequested(Event):
    follower_id: int
    target_id: int
    uri: str | None


@dataclass(frozen=True)
class FollowUndone(Event):
    follower_id: int
    target_id: int
    uri: str | None


@dataclass(frozen=True)
class FollowAccepted(Event):
    follower_id: int
    target_id: int
    uri: str | None


@dataclass(frozen=True)
class FollowRejected(Event):
    follower_id: int
    target_id: int
    uri: str | None


@dataclass(frozen=True)
class AccountBlocked(Event):
    account_id: int
    target_id: int
    uri: str | None


@dataclass(frozen=True)
class BlockUndone(Event):
    account_id: int
    target_id: int
    uri: str | None


# --- Accounts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountUpdated(Event):
    account_id: int


EVENT_TYPES: dict[str, type[Event]] = {cls.__name__: cls for cls in Event.__subclasses__()}


def record(
    tx: Tx, event: Event, *, coalesce: str | None = None, delay: timedelta | None = None
) -> None:
    """Remember that `event` happened, durably, in the caller's transaction.

    `coalesce` names a change that may happen many times in a row (a poll's counts): while
    one such event is still waiting (`delay`), more are folded into it.
    """
    enqueue(
        tx,
        EVENT_JOB,
        encode(event),
        unique_key=f"{EVENT_JOB}:{coalesce}" if coalesce else None,
        run_at=tx.now + delay if delay else None,
    )


def encode(event: Event) -> dict[str, Any]:
    """The job payload: `{"event": class name, **fields}` in JSON's types (lists, strings)."""
    payload = {"event": type(event).__name__}
    for name, value in asdict(event).items():
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        payload[name] = value
    return payload


def decode(payload: object) -> Event | None:
    """The event a job carries, from either format; None (and a log line) when no event of
    this version matches it, so an odd row is dropped instead of retried forever."""
    if not isinstance(payload, dict):
        log.warning("dropped an event that is not an object: %r", payload)
        return None
    if "event" not in payload and "kind" in payload:
        return from_outbox_payload(payload)
    name = payload.get("event")
    cls = EVENT_TYPES.get(name) if isinstance(name, str) else None
    if cls is None:
        log.warning("dropped an unknown event: %r", payload.get("event"))
        return None
    return _build(cls, {k: v for k, v in payload.items() if k != "event"})


def _build(cls: type[Event], values: dict[str, Any]) -> Event | None:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    try:
        kept = {k: _typed(hints[k], v) for k, v in values.items() if k in known}
        return cls(**kept)
    except (TypeError, ValueError) as exc:
        log.warning("dropped a malformed %s event: %s", cls.__name__, exc)
        return None


def _typed(hint: Any, value: Any) -> Any:
    """JSON has no dates nor tuples: bring them back from their stored form."""
    if hint is datetime and isinstance(value, str):
        return datetime.fromisoformat(value)
    if typing.get_origin(hint) is tuple and isinstance(value, list):
        return tuple(value)
    return value


# Before events, core recorded `federate` jobs as {"kind": ..., **fields}; a server upgraded
# with such jobs still queued hands them to the new handlers through this table.
_OUTBOX_KINDS: dict[str, tuple[type[Event], dict[str, str]]] = {
    "create": (StatusCreated, {}),
    "update": (StatusEdited, {}),
    "delete": (StatusDeleted, {}),
    "announce": (StatusBoosted, {"status_id": "boost_id"}),
    "undo_announce": (BoostUndone, {}),
    "like": (StatusFavourited, {}),
    "undo_like": (FavouriteUndone, {}),
    "vote": (PollVoted, {}),
    "follow": (FollowRequested, {}),
    "undo_follow": (FollowUndone, {}),
    "accept_follow": (FollowAccepted, {}),
    "reject_follow": (FollowRejected, {}),
    "block": (AccountBlocked, {}),
    "undo_block": (BlockUndone, {}),
    "update_actor": (AccountUpdated, {}),
}


def from_outbox_payload(payload: dict[str, Any]) -> Event | None:
    """The event for a job recorded by the former `core.outbox` (`{"kind": "create", ...}`)."""
    kind = payload.get("kind")
    known = _OUTBOX_KINDS.get(kind) if isinstance(kind, str) else None
    if known is None:
        log.warning("dropped an unknown outbox kind: %r", kind)
        return None
    cls, renamed = known
    values = {renamed.get(k, k): v for k, v in payload.items() if k != "kind"}
    return _build(cls, values)
