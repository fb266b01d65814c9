"""Posting: creating and deleting statuses, and the records that go with them.

These are the rules the Mastodon API, the web UI and incoming ActivityPub all share:
validation with Mastodon's limits and wording, mentions and hashtags recorded with the post,
counters moved in the same transaction, events recorded (whose subscribers notify and send:
`core.notify`, federation), and a reply never widening
the audience of a private conversation. Nothing here knows about HTTP. Editing lives in
status_edits, deleting in status_deletion, threads in threads, and what others do to a post
in interactions; they share the helpers here (lookups, validation, mentions, tags, counters).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from pnyx.core import (
    events,
    media,
    polls,
    quotes,
    reach,
    search_index,
    text,
    uris,
    visibility,
)
from pnyx.core.errors import Invalid, NotFound
from pnyx.core.rows import AccountRow, StatusRow, UserRow
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.insert_ignore import insert_ignore, insert_ignore_returning, insert_plain_ignore
from pnyx.db.tables import (
    accounts,
    blocks,
    idempotency_keys,
    mentions,
    status_tags,
    statuses,
    tags,
    users,
)
from pnyx.jobs.queue import enqueue

# Narrowest last: a reply may not be seen by more people than the post it answers.

_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?$")
# Mastodon keeps idempotency keys for an hour; a retry after that is a new post.
IDEMPOTENCY_WINDOW = timedelta(hours=1)
REPLY_NOT_FOUND = "The post you are trying to reply to does not appear to exist."
# A post naming accounts of other servers never seen here waits for them to be looked up
# (a job the federation layer runs, then core.remote_mentions.complete) before it goes out.
MENTION_LOOKUP = "mentions.lookup_handles"
MAX_MENTION_LOOKUPS = 10  # per post: naming fifty strangers costs ten lookups, not fifty


class IdempotentReplay(Exception):
    """A concurrent request with the same Idempotency-Key won: use its status instead."""

    def __init__(self, status_id: int) -> None:
        super().__init__(status_id)
        self.status_id = status_id


@dataclass
class PollInput:
    """A poll as asked for. `keep_end` (an edit only) keeps the end of the poll being edited
    instead of starting a new duration: a duration computed from the time left would move the
    end by however long the editing took."""

    options: list[str]
    expires_in: int | None
    multiple: bool = False
    hide_totals: bool = False
    keep_end: bool = False


@dataclass(frozen=True)
class ValidPoll:
    """A poll that passed `validate_poll`: cleaned options and an expiry that is given, or
    None when an edit keeps the current end (`PollInput.keep_end`)."""

    options: list[str]
    expires_in: int | None
    multiple: bool
    hide_totals: bool


@dataclass
class StatusContent:
    """What a post says: all an edit may change. None means "not given"."""

    text: str = ""
    spoiler_text: str = ""
    sensitive: bool | None = None
    language: str | None = None
    poll: PollInput | None = None
    media_ids: list[str] | None = None  # None: not given (an edit keeps the media it had)
    # An edit's changes to the alt text and focal point of the media it carries, by id.
    media_attributes: list[tuple[int, media.Attributes]] = field(default_factory=list)
    quote_policy: str | None = None  # who may quote it: public, followers, nobody (core.quotes)


@dataclass
class StatusInput(StatusContent):
    """A new post: its content plus where it goes; defaults come from the author's settings."""

    visibility: str | None = None
    in_reply_to_id: int | None = None
    application_id: int | None = None
    idempotency_key: str | None = None
    quoted_status_id: int | None = None  # the post this one quotes (core.quotes)


# --- Lookups ------------------------------------------------------------------------------


def get_row(tx: Tx, status_id: int) -> StatusRow | None:
    return tx.one_or_none(sa.select(statuses).where(statuses.c.id == status_id))


def stored_row(tx: Tx, status_id: int) -> StatusRow:
    """A row this transaction has just written or checked: it is there (NoResultFound if not)."""
    return tx.execute(sa.select(statuses).where(statuses.c.id == status_id)).one()


def visible_row(tx: Tx, viewer_id: int | None, status_id: int) -> StatusRow:
    """The status if `viewer_id` may see it (and, for a boost, the boosted post), else NotFound."""
    row = get_row(tx, status_id)
    if row is None or not visibility.may_see_one(tx, viewer_id, row):
        raise NotFound()
    if row.reblog_of_id:
        original = get_row(tx, row.reblog_of_id)
        if original is None or not visibility.may_see_one(tx, viewer_id, original):
            raise NotFound()
    return row


def visible_original(tx: Tx, viewer_id: int | None, status_id: int) -> StatusRow:
    """Interactions (favourite, boost, bookmark ...) on a boost act on the boosted post."""
    row = visible_row(tx, viewer_id, status_id)
    if row.reblog_of_id:
        return stored_row(tx, row.reblog_of_id)  # visible_row found it in this transaction
    return row


def own_row(tx: Tx, account_id: int, status_id: int) -> StatusRow:
    """A status its author may change; anyone else's is not found (as Mastodon scopes the lookup)."""
    row = get_row(tx, status_id)
    if row is None or row.account_id != account_id:
        raise NotFound()
    return row


# --- Validation -----------------------------------------------------------------------------


def clean_text(value: str | None) -> str:
    """Text as stored: NUL characters (which PostgreSQL refuses in text) removed."""
    return (value or "").replace("\x00", "").replace("\r\n", "\n")


def normalize_language(language: str | None) -> str | None:
    if not language:
        return None
    language = language.strip()
    if not _LANGUAGE.match(language):
        return None
    return language.replace("_", "-")


def validate_poll(tx: Tx, poll: PollInput) -> ValidPoll:
    settings = tx.settings
    options = [clean_text(o).strip() for o in poll.options]
    if len(options) < settings.min_poll_options:
        raise Invalid("Poll options must have more than one item")
    if len(options) > settings.max_poll_options:
        raise Invalid(f"Poll options can't contain more than {settings.max_poll_options} items")
    if any(not o for o in options):
        raise Invalid("Poll options can't be blank")
    if any(len(o) > settings.max_poll_option_chars for o in options):
        raise Invalid(
            f"Poll options cannot be longer than {settings.max_poll_option_chars} characters each"
        )
    if len({o for o in options}) != len(options):
        raise Invalid("Poll options must not contain duplicate items")
    if poll.keep_end:
        return ValidPoll(options, None, poll.multiple, poll.hide_totals)
    if poll.expires_in is None:
        raise Invalid("Poll expires at can't be blank")
    if poll.expires_in < settings.min_poll_expiration:
        raise Invalid("Poll expires at is too soon")
    if poll.expires_in > settings.max_poll_expiration:
        raise Invalid("Poll expires at is too far into the future")
    return ValidPoll(options, poll.expires_in, poll.multiple, poll.hide_totals)


def validate_text(
    tx: Tx, body: str, spoiler: str, poll: PollInput | None, *, has_media: bool = False
) -> None:
    if not body.strip() and poll is None and not has_media:
        raise Invalid("Text can't be blank")
    limit = tx.settings.max_status_chars
    # Mastodon counts the content warning as plain characters, the text with its rules.
    if text.status_length(body) + len(spoiler) > limit:
        raise Invalid(f"Text character limit of {limit} exceeded")


def validate_content(
    tx: Tx, data: StatusContent, *, has_media: bool = False
) -> tuple[str, str, ValidPoll | None]:
    """A new or edited post's text, content warning and poll, checked and cleaned. A post
    with media may have no text."""
    body = clean_text(data.text)
    spoiler = clean_text(data.spoiler_text).strip()
    validate_text(tx, body, spoiler, data.poll, has_media=has_media)
    poll = validate_poll(tx, data.poll) if data.poll is not None else None
    return body, spoiler, poll


# --- Records that go with a status -----------------------------------------------------------


# Built once: every stored post, local or remote, runs them.
_TAG_ID = sa.select(tags.c.id).where(tags.c.name == sa.bindparam("name"))
_ADD_TAG = status_tags.insert()


def tag_ids(tx: Tx, names: list[str]) -> list[int]:
    """Tag rows for these names (stored lower-cased), created when new."""
    ids = []
    for name in names:
        lowered = name.lower()
        insert_plain_ignore(
            tx, tags, {"id": new_id(), "name": lowered, "display_name": name, "created_at": tx.now}
        )
        ids.append(tx.execute(_TAG_ID, {"name": lowered}).scalar_one())
    return ids


def set_tags(tx: Tx, status_id: int, names: list[str]) -> None:
    tx.execute(status_tags.delete().where(status_tags.c.status_id == status_id))
    add_tags(tx, status_id, names)


def add_tags(tx: Tx, status_id: int, names: list[str]) -> None:
    """The tags of a post that has none yet (a new one)."""
    for tag_id in dict.fromkeys(tag_ids(tx, names)):
        tx.execute(_ADD_TAG, {"status_id": status_id, "tag_id": tag_id})


def add_mentions(tx: Tx, status: StatusRow, accounts_mentioned: Sequence[AccountRow]) -> list[int]:
    """Record the accounts a post names; returns the ids of those it names for the first time
    (an edit's new mentions, told by `core.notify`). As Mastodon, an account its author blocks
    is never mentioned: it gets no notification and no access to a private post."""
    named = [a.id for a in accounts_mentioned]
    blocked = set(
        tx.scalars(
            sa.select(blocks.c.target_account_id).where(
                blocks.c.account_id == status.account_id, blocks.c.target_account_id.in_(named)
            )
        )
        if named
        else ()
    )
    new = []
    for account in accounts_mentioned:
        if account.id in blocked:
            continue
        inserted = insert_ignore(
            tx,
            mentions,
            {
                "id": new_id(),
                "status_id": status.id,
                "account_id": account.id,
                "silent": False,
                "private": status.visibility in ("private", "direct"),
            },
        )
        if not inserted:  # named again after an edit had dropped them: shown again
            tx.execute(
                mentions.update()
                .where(mentions.c.status_id == status.id, mentions.c.account_id == account.id)
                .values(silent=False)
            )
        if inserted:
            new.append(account.id)
    return new


def counted(visibility_name: str) -> bool:
    """Direct messages do not count towards an author's statuses_count (as in Mastodon)."""
    return visibility_name != "direct"


def _count_statement(floor: Any, with_date: bool) -> sa.Executable:
    values: dict[str, Any] = {
        "statuses_count": floor(accounts.c.statuses_count + sa.bindparam("delta"), 0)
    }
    if with_date:
        values["last_status_at"] = sa.bindparam("now")
    return accounts.update().where(accounts.c.id == sa.bindparam("account")).values(**values)


# Built once (every stored post moves its author's count): (postgres?, last_status_at too?)
_COUNT_STATUSES = {
    (pg, with_date): _count_statement(sa.func.greatest if pg else sa.func.max, with_date)
    for pg in (True, False)
    for with_date in (True, False)
}
_TOUCH_LAST_STATUS = (
    accounts.update()
    .where(accounts.c.id == sa.bindparam("account"))
    .values(last_status_at=sa.bindparam("now"))
)


def adjust_account_statuses(tx: Tx, account_id: int, delta: int) -> None:
    params: dict[str, Any] = {"account": account_id, "delta": delta}
    if delta > 0:
        params["now"] = tx.now
    tx.execute(_COUNT_STATUSES[tx.is_postgres, delta > 0], params)


def adjust_counter(tx: Tx, status_id: int, column: str, delta: int) -> None:
    """Move one of a status's counters, never below zero."""
    col = statuses.c[column]
    floor = sa.func.greatest if tx.is_postgres else sa.func.max
    tx.execute(
        statuses.update().where(statuses.c.id == status_id).values({column: floor(col + delta, 0)})
    )


# --- Create -----------------------------------------------------------------------------------


def _replay(tx: Tx, account_id: int, key: str | None) -> int | None:
    if not key:
        return None
    return tx.scalar(
        sa.select(idempotency_keys.c.status_id).where(
            idempotency_keys.c.account_id == account_id,
            idempotency_keys.c.key == key,
            idempotency_keys.c.created_at > tx.now - IDEMPOTENCY_WINDOW,
        )
    )


def _reply_parent(tx: Tx, account_id: int, in_reply_to_id: int | None) -> StatusRow | None:
    """The post a new status answers (a boost's original when a boost was named), or None.

    Missing or not for this author's eyes give the same answer, as Mastodon."""
    if in_reply_to_id is None:
        return None
    try:
        parent = visible_row(tx, account_id, in_reply_to_id)
    except NotFound:
        raise NotFound(REPLY_NOT_FOUND) from None
    if not visibility.may_reply(account_id, parent):
        raise NotFound(REPLY_NOT_FOUND)
    if parent.reblog_of_id:
        parent = stored_row(tx, parent.reblog_of_id)  # visible_row found it
    return parent


def _remember_key(tx: Tx, account_id: int, key: str, status_id: int) -> None:
    """Record the Idempotency-Key of a new status (replacing an expired one), so that the
    same request again answers with this status. Raises IdempotentReplay when a concurrent
    request with the same key committed first."""
    tx.execute(
        idempotency_keys.delete().where(
            idempotency_keys.c.account_id == account_id,
            idempotency_keys.c.key == key,
        )
    )
    inserted = insert_ignore(
        tx,
        idempotency_keys,
        {
            "account_id": account_id,
            "key": key,
            "status_id": status_id,
            "created_at": tx.now,
        },
    )
    if not inserted:  # a concurrent request with the same key committed first
        winner = _replay(tx, account_id, key)
        if winner is not None:
            raise IdempotentReplay(winner)


def create(tx: Tx, account_id: int, data: StatusInput) -> int:
    """Post a status; returns its id. Same Idempotency-Key again -> the first status's id."""
    existing = _replay(tx, account_id, data.idempotency_key)
    if existing is not None:
        return existing
    author: AccountRow | None = tx.one_or_none(
        sa.select(accounts).where(accounts.c.id == account_id)
    )
    if author is None or author.suspended_at is not None:
        raise NotFound()
    user: UserRow | None = tx.one_or_none(sa.select(users).where(users.c.account_id == account_id))

    attached = media.for_post(tx, account_id, data.media_ids or [])
    body, spoiler, poll = validate_content(tx, data, has_media=bool(attached))
    if poll is not None and poll.expires_in is None:  # only an edit has an end to keep
        raise Invalid("Poll expires at can't be blank")

    chosen = data.visibility or (user.default_visibility if user else "public")
    if chosen not in visibility.VISIBILITIES:
        raise Invalid("Visibility is not included in the list")

    parent = _reply_parent(tx, account_id, data.in_reply_to_id)
    if parent is not None:
        chosen = visibility.reply_visibility(parent.visibility, chosen)
    quoted = None
    if data.quoted_status_id is not None:
        quoted = quotes.quotable_for(tx, account_id, data.quoted_status_id)
        chosen = quotes.quote_visibility(quoted[0], chosen)
    quote_policy = quotes.policy_for_new(
        chosen, data.quote_policy or (user.default_quote_policy if user else None)
    )

    sensitive = data.sensitive
    if sensitive is None:
        sensitive = bool(user.default_sensitive) if user else False
    if spoiler or (attached and reach.media_forced_sensitive(author)):
        sensitive = True  # the staff made this account's media sensitive (core.reach)
    language = normalize_language(data.language) or (user.default_language if user else None)

    rendered = text.render(tx, body)
    if quoted is not None:
        quotes.check_private_mention(account_id, quoted[0], chosen, rendered.mentions)
    status_id = new_id()
    conversation_id = status_id
    if parent is not None:
        conversation_id = parent.conversation_id or parent.id
    values = {
        "id": status_id,
        "uri": uris.status_uri(tx.settings, author.username, status_id),
        "url": uris.status_url(tx.settings, author.username, status_id),
        "account_id": account_id,
        "local": True,
        "text": body.strip(),
        "content": rendered.html,
        "spoiler_text": spoiler,
        "visibility": chosen,
        "sensitive": sensitive,
        "language": language,
        "in_reply_to_id": parent.id if parent is not None else None,
        "in_reply_to_account_id": parent.account_id if parent is not None else None,
        "conversation_id": conversation_id,
        "application_id": data.application_id,
        "has_media": bool(attached),
        "created_at": tx.now,
        "quote_policy": quote_policy,
    }
    stored = insert_status(
        tx, values, rendered.mentions, rendered.tags, parent, unresolved=rendered.unresolved
    )
    if quoted is not None and stored is not None:
        quotes.attach(tx, stored, *quoted)

    media.attach(tx, status_id, attached)
    if data.idempotency_key:
        _remember_key(tx, account_id, data.idempotency_key, status_id)

    if poll is not None and poll.expires_in is not None:  # it is: refused above otherwise
        polls.create(
            tx,
            status_id,
            account_id,
            poll.options,
            expires_in=poll.expires_in,
            multiple=poll.multiple,
            hide_totals=poll.hide_totals,
        )
    search_index.refresh(tx, status_id)  # now that its poll and media are there
    return status_id


def insert_status(
    tx: Tx,
    values: dict[str, Any],
    mentioned: Sequence[AccountRow],
    tag_names: list[str],
    parent: StatusRow | None,
    *,
    unresolved: Sequence[str] = (),
) -> StatusRow | None:
    """The one way a status row comes to be, local or from another server: the row, its
    mentions, its tags, the author's and the parent's counters, and `StatusCreated` (whose
    subscribers notify the people here it names and the followers who rang the bell, and
    send a local post to other servers). Returns the stored row, or None when a row with its
    id or uri already exists (a concurrent store).

    `unresolved`: handles a local post names of accounts never seen here; it goes out once
    they are looked up (`core.remote_mentions`)."""
    status: StatusRow | None = insert_ignore_returning(tx, statuses, values)
    if status is None:
        return None
    named = set(add_mentions(tx, status, mentioned))
    add_tags(tx, status.id, tag_names)
    if counted(status.visibility):
        adjust_account_statuses(tx, status.account_id, +1)
    else:
        tx.execute(_TOUCH_LAST_STATUS, {"account": status.account_id, "now": tx.now})
    if parent is not None:
        adjust_counter(tx, parent.id, "replies_count", +1)
    ready = bool(status.local) and not look_up_first(tx, "create", status.id, unresolved)
    created = events.StatusCreated(
        status.id,
        status.account_id,
        mentioned=here_of(mentioned, named),
        visibility=status.visibility,
        tell_other_servers=ready,
    )
    events.record(tx, created)
    return status


def here_of(accounts_named: Sequence[AccountRow], ids: set[int]) -> tuple[int, ...]:
    """The accounts of this server among `accounts_named` whose ids are in `ids`, in order."""
    return tuple(a.id for a in accounts_named if a.id in ids and a.domain is None)


def look_up_first(tx: Tx, kind: str, status_id: int, unresolved: Sequence[str]) -> bool:
    """When a local post (or its edit) names accounts of other servers never seen here, the
    job that looks them up, after which the post goes out (`core.remote_mentions`); True if
    there is one.

    A lookup still waiting for this post covers this change too: it sends the post as it is
    when the lookup ends."""
    if not unresolved:
        return False
    enqueue(
        tx,
        MENTION_LOOKUP,
        {"status_id": status_id, "handles": list(unresolved)[:MAX_MENTION_LOOKUPS], "kind": kind},
        unique_key=f"{MENTION_LOOKUP}:{status_id}",
    )
    return True
