"""What happened, as typed events recorded in the same transaction as the change.

Core never talks to the network, streams or feeds. When an account here or elsewhere posts,
follows, favourites ... the core function that writes the change calls
`record(tx, SomethingHappened(...))` inside its own transaction, and the handlers registered
for the event's type (`pnyx.registry`, the composition root, installs them with `install`)
take it from there:

- handlers *in the transaction* run at once, inside it: the notifications (`core.notify`) and
  the scheduling of a move's followers, which must exist exactly when the change does;
- the others are reached through one durable `event` job that exists only if the change
  commits; after commit it becomes one job per handler (federate today; stream, fan out and
  label plug in the same way), so that a failing handler is retried alone.

`tell_other_servers` says whether other servers have to hear of the change: False for what
another server told us (we never speak for its accounts) and for what concerns only accounts
here. Federation is subscribed only to events where it is True, so what arrives from the
inbox costs no job that would find nothing to send.

Handlers read the change back from the database when they run (a post edited twice in a row
is sent as it is now), so an event carries ids; what cannot be read back afterwards (a deleted
post's uri and audience) travels in the event itself.

An event is stored as `{"event": "<class name>", **fields}`: renaming a class or a field
strands the rows already queued, so add new events rather than change old ones.
"""

from __future__ import annotations

import importlib
import logging
import typing
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from pnyx.db.engine import Tx
from pnyx.jobs.queue import enqueue

log = logging.getLogger("pnyx.events")

EVENT_JOB = "event"


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every event; its subclasses are the vocabulary of side effects. Rows queued
    before `tell_other_servers` existed were all local changes to send: hence True."""

    tell_other_servers: bool = field(default=True, kw_only=True)


# --- Posts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusCreated(Event):
    status_id: int
    account_id: int | None = None  # its author (None in rows queued before it was kept)
    mentioned: tuple[int, ...] = ()  # the accounts here it names, to notify
    visibility: str | None = None  # public, unlisted, private or direct


@dataclass(frozen=True)
class StatusEdited(Event):
    status_id: int
    mentioned: tuple[int, ...] = ()  # accounts here the edit names for the first time


@dataclass(frozen=True)
class MentionsResolved(Event):
    """The accounts of other servers a local post named, never seen here before, were looked
    up (`core.remote_mentions`): the post can go out now, as a Create or (`edited`) an
    Update. `mentioned`: accounts here it names only now (a handle that turned out to be
    ours), to notify; the others were told when the post was made."""

    status_id: int
    edited: bool = False
    mentioned: tuple[int, ...] = ()


@dataclass(frozen=True)
class StatusDeleted(Event):
    """The post is gone when handlers run: what they need of it is kept here."""

    account_id: int
    uri: str
    visibility: str
    reblog: bool = False
    mentioned_account_ids: tuple[int, ...] = ()
    in_reply_to_account_id: int | None = None
    status_id: int | None = None  # its id here (live streams tell clients to drop it)


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
    boost_id: int | None = None  # the boost's id here (live streams tell clients to drop it)


@dataclass(frozen=True)
class StatusFavourited(Event):
    account_id: int
    status_id: int
    uri: str | None  # None: a Like from elsewhere that came without an id


@dataclass(frozen=True)
class FavouriteUndone(Event):
    account_id: int
    status_id: int
    uri: str | None


# --- Quotes (core.quotes) -------------------------------------------------------------------


@dataclass(frozen=True)
class QuoteRequested(Event):
    """A local post quotes a post of another server: ask that server (a QuoteRequest)."""

    quote_id: int


@dataclass(frozen=True)
class QuoteAccepted(Event):
    """A quote of a local post was allowed: its author is told (`quote`), and when the quoting
    post is elsewhere its server gets the Accept and the authorization stamp."""

    quote_id: int


@dataclass(frozen=True)
class QuoteRejected(Event):
    """A quote request from elsewhere was refused under the quoted post's policy (a Reject)."""

    quote_id: int


@dataclass(frozen=True)
class QuoteRevoked(Event):
    """The quoted author withdrew a quote's authorization: a Delete of the stamp goes to the
    quoting post's server."""

    quote_id: int


@dataclass(frozen=True)
class QuoteTermsChanged(Event):
    """What a local post says about quotes changed (who may quote it, or the authorization
    of its own quote): it goes out again, as an Update."""

    status_id: int


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
    """`at_once`: the target's account is open, so the follow needed no answer (the target is
    told they have a new follower); otherwise the target accepted a request."""

    follower_id: int
    target_id: int
    uri: str | None
    at_once: bool = False


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


@dataclass(frozen=True)
class AccountMuted(Event):
    """Someone here muted an account (mutes are not federated): their feeds drop its posts."""

    account_id: int
    target_id: int
    tell_other_servers: bool = field(default=False, kw_only=True)


@dataclass(frozen=True)
class AccountUnmuted(Event):
    """Someone here unmuted an account: their feeds take its posts back."""

    account_id: int
    target_id: int
    tell_other_servers: bool = field(default=False, kw_only=True)


# --- Accounts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountUpdated(Event):
    account_id: int


@dataclass(frozen=True)
class AccountRegistered(Event):
    """A local account may now be used (signed up open, or approved): the staff hear of it
    (Mastodon's admin.sign_up). Concerns only this server."""

    account_id: int
    tell_other_servers: bool = field(default=False, kw_only=True)


@dataclass(frozen=True)
class AccountMoved(Event):
    """An account (of another server: checked by federation) moved to `target_id`."""

    account_id: int
    target_id: int


@dataclass(frozen=True)
class AccountMovedOut(Event):
    """A local account moved to `target_id` (`core.account_moves`): the servers of its
    followers (and of those who block it) get a Move, as Mastodon sends it. `move_id`: the
    move's row, whose id names the activity."""

    account_id: int
    target_id: int
    move_id: int


# --- Notifications -------------------------------------------------------------------------


@dataclass(frozen=True)
class NotificationCreated(Event):
    """A notification was made for an account here (`core.notifications.notify`): its live
    streams show it. Concerns only this server."""

    notification_id: int
    account_id: int  # its recipient
    tell_other_servers: bool = field(default=False, kw_only=True)


# --- A person's own settings ---------------------------------------------------------------


@dataclass(frozen=True)
class FiltersChanged(Event):
    """Someone's filters (a filter, a keyword or a filtered post) changed (`core.filters`):
    their own live streams say so, and their apps read the filters again."""

    account_id: int
    tell_other_servers: bool = field(default=False, kw_only=True)


@dataclass(frozen=True)
class ListMembersChanged(Event):
    """Accounts were added to (`added`) or removed from one of `owner_id`'s lists."""

    list_id: int
    owner_id: int
    account_ids: tuple[int, ...]
    added: bool
    tell_other_servers: bool = field(default=False, kw_only=True)


@dataclass(frozen=True)
class TagFollowChanged(Event):
    """Someone here followed (`followed`) or unfollowed a hashtag."""

    account_id: int
    tag_id: int
    followed: bool
    tell_other_servers: bool = field(default=False, kw_only=True)


# --- Announcements -------------------------------------------------------------------------


@dataclass(frozen=True)
class AnnouncementPublished(Event):
    """The staff published an announcement, or edited a published one
    (`core.announcements`): every live `user` stream here shows it as it is now."""

    announcement_id: int
    tell_other_servers: bool = field(default=False, kw_only=True)


@dataclass(frozen=True)
class AnnouncementWithdrawn(Event):
    """A published announcement was unpublished or deleted: the `user` streams drop it."""

    announcement_id: int
    tell_other_servers: bool = field(default=False, kw_only=True)


@dataclass(frozen=True)
class AnnouncementReacted(Event):
    """Someone added or took back a reaction `name` to a live announcement: the streams
    carry its new count."""

    announcement_id: int
    name: str
    tell_other_servers: bool = field(default=False, kw_only=True)


# --- Moderation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportFiled(Event):
    """A report reached this server's moderators: filed here, or sent by another server.
    Filed here with `forward`, and about an account elsewhere, it also goes to that server."""

    report_id: int


@dataclass(frozen=True)
class AccountWarned(Event):
    """The staff acted on a local account and its owner is to be told (`warning_id`: the
    strike, `core.account_warnings`). Concerns only this server."""

    warning_id: int
    tell_other_servers: bool = field(default=False, kw_only=True)


@dataclass(frozen=True)
class RelationshipsSevered(Event):
    """A block of a whole server ended follows of people here (`severance_event_id`: the
    severance, with one row per person, `core.severances`). Each is told once."""

    severance_event_id: int
    tell_other_servers: bool = field(default=False, kw_only=True)


@dataclass(frozen=True)
class LabelIssued(Event):
    """A labeler here labeled a post or account, or took a label back (`label_id`: its row,
    `core.labels`): the servers that apply its labels are to hear of it, signed."""

    labeler_id: int
    label_id: int


@dataclass(frozen=True)
class LabelerSubscribed(Event):
    """The first person here subscribed to the labels or a list of an account of another
    server: this server asks for them (its instance actor follows the account; nobody's name
    goes with it: `core.server_follows`)."""

    labeler_id: int


@dataclass(frozen=True)
class LabelerUnsubscribed(Event):
    """The last person here left the labels and lists of an account of another server: this
    server stops asking."""

    labeler_id: int


@dataclass(frozen=True)
class ModerationListChanged(Event):
    """A list here gained or lost an account (`core.moderation_lists`): the servers that follow
    its keeper hear of it (an Add or a Remove)."""

    list_id: int
    account_id: int
    added: bool


# --- Community notes -----------------------------------------------------------------------


@dataclass(frozen=True)
class NoteWritten(Event):
    """A note on a post (`core.notes.writing`): the peers hear of a note written here."""

    note_id: int


@dataclass(frozen=True)
class NoteDeleted(Event):
    """Its author took a note back (it stays in the data, shown nowhere)."""

    note_id: int
    note_uri: str


@dataclass(frozen=True)
class NoteRated(Event):
    """A rating given or changed (anonymous: the event names the rating, never the rater)."""

    rating_id: int


@dataclass(frozen=True)
class NoteRatingRemoved(Event):
    """A rater took a rating back; only its URI is left to tell the peers."""

    rating_uri: str


@dataclass(frozen=True)
class NoteStatusChanged(Event):
    """Scoring changed a note's status (`core.notes.scoring_runs`): when it became helpful,
    the people who boosted, favourited or replied to the post are told, and servers that do
    not speak notes see it as a reply by the notes actor. Every server scores for itself:
    nothing of this is sent to the peers."""

    note_id: int
    status: str
    previous: str
    tell_other_servers: bool = field(default=False, kw_only=True)


EVENT_TYPES: dict[str, type[Event]] = {cls.__name__: cls for cls in Event.__subclasses__()}


# What the composition root installs: hands one event to its handlers (`pnyx.registry`).
Dispatch = Callable[[Tx, Event, "str | None", "timedelta | None"], None]
_dispatch: Dispatch | None = None


def install(dispatch: Dispatch) -> None:
    """Called once, by `pnyx.registry` when it is imported (as `pnyx.app` and `pnyx.cli` do):
    core records events without knowing who handles them."""
    global _dispatch
    _dispatch = dispatch


def installer() -> str | None:
    """The module that installed the handlers (None when none did): what a child process
    started with `spawn` imports to record events as its parent does (`install_like`)."""
    return getattr(_dispatch, "__module__", None) if _dispatch is not None else None


def install_like(module: str | None) -> None:
    """In a child process (a `spawn`ed one starts with none), install the handlers its
    parent had, by importing the module that installed them there (`installer`)."""
    if _dispatch is None and module:
        importlib.import_module(module)


def record(
    tx: Tx, event: Event, *, coalesce: str | None = None, delay: timedelta | None = None
) -> None:
    """Hand `event` to its handlers in the caller's transaction: those that run in it run
    now, the others get durable jobs that exist only if the change commits.

    `coalesce` names a change that may happen many times in a row (a poll's counts): while
    one such job is still waiting (`delay`), more are folded into it.
    """
    if _dispatch is None:
        raise RuntimeError(
            "no event handlers are installed: import pnyx.registry first "
            "(pnyx.app and pnyx.cli do), or nobody would be notified or told"
        )
    _dispatch(tx, event, coalesce, delay)


def enqueue_job(
    tx: Tx, event: Event, coalesce: str | None = None, delay: timedelta | None = None
) -> None:
    """The durable `event` job that hands `event`, after commit, to the handlers that run as
    jobs (one job each: `pnyx.registry`)."""
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
