"""How people on servers that do not speak community notes (Mastodon and the rest) see a note
written here: while it is shown under its post (rated helpful, saying the post misleads),
the notes actor replies to the post, publicly:

    Readers added context: <the note> — rate it: <the note's page>

It is an ordinary post (`core.statuses.create`), so it federates as every reply does: to the
post's author's server, where people reading the thread see it, and to the notes actor's
followers. When the note stops being shown (its status changes, or its author deletes it) the
reply is deleted, and the Delete goes the same way. Peers do not keep these replies: they hold
the note itself (`federation.handlers` drops posts by a peer's notes actor).

Only notes written here get a reply (another server's note is its server's to announce), and
one reply at most: its id is kept with the note (`context_reply_status_id`).

It runs as a job of its own after the scoring run commits (`pnyx.registry`), reading the
note as it is then, so a status that changed twice in a row ends as the note is.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import sqlalchemy as sa

from pnyx.core import events, status_deletion, statuses
from pnyx.core.errors import CoreError, NotFound
from pnyx.core.notes import actor, shown, vocabulary
from pnyx.db.engine import Tx
from pnyx.db.tables import community_notes

log = logging.getLogger("pnyx.notes")

REPLIED_VISIBILITIES = ("public", "unlisted")


def text_of(note: Any, base_url: str) -> str:
    return f"Readers added context: {note.summary} — rate it: {shown.note_url(base_url, note.id)}"


def wants(event: events.Event) -> bool:
    """The events that may start or end a reply: a status change into or out of helpful, and
    the deletion of a note written here."""
    if isinstance(event, events.NoteStatusChanged):
        helpful = vocabulary.CURRENTLY_RATED_HELPFUL
        return helpful in (event.status, event.previous)
    return isinstance(event, events.NoteDeleted) and event.tell_other_servers


def reply_of(note: Any) -> int | None:
    """The id of the reply made for a note written here, if any."""
    return note.context_reply_status_id


def _keep(tx: Tx, note_id: int, reply_id: int | None) -> None:
    tx.execute(
        community_notes.update()
        .where(community_notes.c.id == note_id)
        .values(context_reply_status_id=reply_id)
    )


def on_event(tx: Tx, event: events.NoteStatusChanged | events.NoteDeleted) -> None:
    note = tx.one_or_none(sa.select(community_notes).where(community_notes.c.id == event.note_id))
    if note is None or note.origin != tx.settings.domain:
        return
    reply_id = reply_of(note)
    wanted = note.deleted_at is None and note.status_id is not None and shown.is_shown(note)
    if wanted and reply_id is None:
        _reply(tx, note)
    elif not wanted and reply_id is not None:
        _withdraw(tx, note, reply_id)


def _reply(tx: Tx, note: Any) -> None:
    post = statuses.get_row(tx, note.status_id)
    if post is None or post.visibility not in REPLIED_VISIBILITIES:
        return
    speaker = actor.notes_actor(tx)
    data = statuses.StatusInput(
        text=text_of(note, tx.settings.base_url), visibility="public", in_reply_to_id=post.id
    )
    try:
        reply_id = statuses.create(tx, speaker, data)
    except CoreError as exc:  # the post's author blocks the notes actor, say
        log.info("no reply for note %s on post %s: %s", note.id, post.id, exc.message)
        return
    _keep(tx, note.id, reply_id)


def _withdraw(tx: Tx, note: Any, reply_id: int) -> None:
    with contextlib.suppress(NotFound):  # deleted already (by the staff, say)
        status_deletion.delete(tx, actor.notes_actor(tx), reply_id)
    _keep(tx, note.id, None)
