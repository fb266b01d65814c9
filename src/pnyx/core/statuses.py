"""Posting: creating, editing and deleting statuses, and reading threads.

These are the rules the Mastodon API, the web UI and (later) incoming ActivityPub all share:
validation with Mastodon's limits and wording, mentions and hashtags recorded with the post,
counters moved in the same transaction, notifications created, and a reply never widening
the audience of a private conversation. Nothing here knows about HTTP.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from pnyx.core import notifications, polls, text, uris, visibility
from pnyx.core.errors import Invalid, NotFound
from pnyx.db.ids import new_id
from pnyx.db.tables import (
    accounts,
    conversation_mutes,
    follows,
    idempotency_keys,
    mentions,
    status_edits,
    status_tags,
    statuses,
    tags,
    users,
)

# Narrowest last: a reply may not be seen by more people than the post it answers.
_AUDIENCE = {"public": 0, "unlisted": 1, "private": 2, "direct": 3}
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?$")
# Mastodon keeps idempotency keys for an hour; a retry after that is a new post.
IDEMPOTENCY_WINDOW = timedelta(hours=1)
MAX_ANCESTORS = 40
MAX_DESCENDANTS = 1000


class IdempotentReplay(Exception):
    """A concurrent request with the same Idempotency-Key won: use its status instead."""

    def __init__(self, status_id: int):
        super().__init__(status_id)
        self.status_id = status_id


@dataclass
class PollInput:
    options: list[str]
    expires_in: int | None
    multiple: bool = False
    hide_totals: bool = False


@dataclass
class StatusInput:
    """What an author asks for; None means "not given" (defaults come from their settings)."""

    text: str = ""
    spoiler_text: str = ""
    sensitive: bool | None = None
    visibility: str | None = None
    language: str | None = None
    in_reply_to_id: int | None = None
    poll: PollInput | None = None
    media_ids: list[str] = field(default_factory=list)
    application_id: int | None = None
    idempotency_key: str | None = None


# --- Lookups ------------------------------------------------------------------------------


def get_row(tx, status_id: int):
    return tx.one_or_none(sa.select(statuses).where(statuses.c.id == status_id))


def visible_row(tx, viewer_id: int | None, status_id: int):
    """The status if `viewer_id` may see it (and, for a boost, the boosted post), else NotFound."""
    row = get_row(tx, status_id)
    if row is None or not visibility.may_see_one(tx, viewer_id, row):
        raise NotFound()
    if row.reblog_of_id:
        original = get_row(tx, row.reblog_of_id)
        if original is None or not visibility.may_see_one(tx, viewer_id, original):
            raise NotFound()
    return row


def visible_original(tx, viewer_id: int | None, status_id: int):
    """Interactions (favourite, boost, bookmark ...) on a boost act on the boosted post."""
    row = visible_row(tx, viewer_id, status_id)
    if row.reblog_of_id:
        return get_row(tx, row.reblog_of_id)
    return row


def own_row(tx, account_id: int, status_id: int):
    """A status its author may change; anyone else's is not found (as Mastodon scopes the lookup)."""
    row = get_row(tx, status_id)
    if row is None or row.account_id != account_id:
        raise NotFound()
    return row


# --- Validation -----------------------------------------------------------------------------


def _clean(value: str | None) -> str:
    """Text as stored: NUL characters (which PostgreSQL refuses in text) removed."""
    return (value or "").replace("\x00", "").replace("\r\n", "\n")


def _normalize_language(language: str | None) -> str | None:
    if not language:
        return None
    language = language.strip()
    if not _LANGUAGE.match(language):
        return None
    return language.replace("_", "-")


def validate_poll(tx, poll: PollInput) -> list[str]:
    settings = tx.settings
    options = [_clean(o).strip() for o in poll.options]
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
    if poll.expires_in is None:
        raise Invalid("Poll expires at can't be blank")
    if poll.expires_in < settings.min_poll_expiration:
        raise Invalid("Poll expires at is too soon")
    if poll.expires_in > settings.max_poll_expiration:
        raise Invalid("Poll expires at is too far into the future")
    return options


def _validate_text(tx, body: str, spoiler: str, poll: PollInput | None) -> None:
    if not body.strip() and poll is None:
        raise Invalid("Text can't be blank")
    limit = tx.settings.max_status_chars
    # Mastodon counts the content warning as plain characters, the text with its rules.
    if text.status_length(body) + len(spoiler) > limit:
        raise Invalid(f"Text character limit of {limit} exceeded")


# --- Records that go with a status -----------------------------------------------------------


def _insert_ignore(tx, table, values: dict) -> int:
    """INSERT ... ON CONFLICT DO NOTHING on both databases; 1 if a row went in, else 0.

    RETURNING tells us, because psycopg reports no rowcount for such inserts.
    """
    dialect = postgresql if tx.is_postgres else sqlite
    statement = (
        dialect.insert(table)
        .values(**values)
        .on_conflict_do_nothing()
        .returning(*table.primary_key.columns)
    )
    return 1 if tx.execute(statement).first() is not None else 0


def tag_ids(tx, names: list[str]) -> list[int]:
    """Tag rows for these names (stored lower-cased), created when new."""
    ids = []
    for name in names:
        lowered = name.lower()
        _insert_ignore(
            tx, tags, {"id": new_id(), "name": lowered, "display_name": name, "created_at": tx.now}
        )
        ids.append(tx.scalar(sa.select(tags.c.id).where(tags.c.name == lowered)))
    return ids


def _set_tags(tx, status_id: int, names: list[str]) -> None:
    tx.execute(status_tags.delete().where(status_tags.c.status_id == status_id))
    for tag_id in dict.fromkeys(tag_ids(tx, names)):
        tx.execute(status_tags.insert().values(status_id=status_id, tag_id=tag_id))


def conversation_muted(tx, account_id: int, conversation_id: int | None) -> bool:
    if conversation_id is None:
        return False
    return bool(
        tx.scalar(
            sa.select(sa.literal(1)).where(
                conversation_mutes.c.account_id == account_id,
                conversation_mutes.c.conversation_id == conversation_id,
            )
        )
    )


def notify_about(tx, recipient_id: int, from_account_id: int, kind: str, status) -> None:
    """A notification about a status, unless the recipient muted its conversation."""
    conversation = status.conversation_id or status.id
    if conversation_muted(tx, recipient_id, conversation):
        return
    notifications.notify(tx, recipient_id, from_account_id, kind, status.id)


def _add_mentions(tx, status, accounts_mentioned: list, *, notify: bool = True) -> None:
    for account in accounts_mentioned:
        inserted = _insert_ignore(
            tx,
            mentions,
            {"id": new_id(), "status_id": status.id, "account_id": account.id, "silent": False},
        )
        if inserted and notify and account.id != status.account_id and account.domain is None:
            notify_about(tx, account.id, status.account_id, "mention", status)


def _counted(visibility_name: str) -> bool:
    """Direct messages do not count towards an author's statuses_count (as in Mastodon)."""
    return visibility_name != "direct"


def _adjust_account_statuses(tx, account_id: int, delta: int) -> None:
    values = {"statuses_count": sa.func.greatest(accounts.c.statuses_count + delta, 0)}
    if not tx.is_postgres:
        values = {"statuses_count": sa.func.max(accounts.c.statuses_count + delta, 0)}
    if delta > 0:
        values["last_status_at"] = tx.now
    tx.execute(accounts.update().where(accounts.c.id == account_id).values(**values))


def adjust_counter(tx, status_id: int, column: str, delta: int) -> None:
    """Move one of a status's counters, never below zero."""
    col = statuses.c[column]
    floor = sa.func.greatest if tx.is_postgres else sa.func.max
    tx.execute(
        statuses.update().where(statuses.c.id == status_id).values({column: floor(col + delta, 0)})
    )


# --- Create -----------------------------------------------------------------------------------


def _replay(tx, account_id: int, key: str | None) -> int | None:
    if not key:
        return None
    return tx.scalar(
        sa.select(idempotency_keys.c.status_id).where(
            idempotency_keys.c.account_id == account_id,
            idempotency_keys.c.key == key,
            idempotency_keys.c.created_at > tx.now - IDEMPOTENCY_WINDOW,
        )
    )


def create(tx, account_id: int, data: StatusInput) -> int:
    """Post a status; returns its id. Same Idempotency-Key again -> the first status's id."""
    existing = _replay(tx, account_id, data.idempotency_key)
    if existing is not None:
        return existing
    author = tx.one_or_none(sa.select(accounts).where(accounts.c.id == account_id))
    if author is None or author.suspended_at is not None:
        raise NotFound()
    user = tx.one_or_none(sa.select(users).where(users.c.account_id == account_id))

    if data.media_ids:
        raise Invalid("Media not supported yet")
    body = _clean(data.text)
    spoiler = _clean(data.spoiler_text).strip()
    _validate_text(tx, body, spoiler, data.poll)
    poll_options = validate_poll(tx, data.poll) if data.poll is not None else None

    chosen = data.visibility or (user.default_visibility if user else "public")
    if chosen not in _AUDIENCE:
        raise Invalid("Visibility is not included in the list")

    parent = None
    if data.in_reply_to_id is not None:
        parent = visible_row(tx, account_id, data.in_reply_to_id)
        if parent.reblog_of_id:
            parent = get_row(tx, parent.reblog_of_id)
        if parent.visibility in ("private", "direct") and (
            _AUDIENCE[chosen] < _AUDIENCE[parent.visibility]
        ):
            chosen = parent.visibility

    sensitive = data.sensitive
    if sensitive is None:
        sensitive = bool(user.default_sensitive) if user else False
    if spoiler:
        sensitive = True
    language = _normalize_language(data.language) or (user.default_language if user else None)

    rendered = text.render(tx, body)
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
        "created_at": tx.now,
    }
    tx.execute(statuses.insert().values(**values))
    status = get_row(tx, status_id)

    if data.idempotency_key:
        tx.execute(
            idempotency_keys.delete().where(
                idempotency_keys.c.account_id == account_id,
                idempotency_keys.c.key == data.idempotency_key,
            )
        )
        inserted = _insert_ignore(
            tx,
            idempotency_keys,
            {
                "account_id": account_id,
                "key": data.idempotency_key,
                "status_id": status_id,
                "created_at": tx.now,
            },
        )
        if not inserted:  # a concurrent request with the same key committed first
            winner = _replay(tx, account_id, data.idempotency_key)
            if winner is not None:
                raise IdempotentReplay(winner)

    _add_mentions(tx, status, rendered.mentions)
    _set_tags(tx, status_id, rendered.tags)
    if _counted(chosen):
        _adjust_account_statuses(tx, account_id, +1)
    else:
        tx.execute(
            accounts.update().where(accounts.c.id == account_id).values(last_status_at=tx.now)
        )
    if parent is not None:
        adjust_counter(tx, parent.id, "replies_count", +1)
    if poll_options is not None:
        polls.create(
            tx,
            status_id,
            account_id,
            poll_options,
            expires_in=data.poll.expires_in,
            multiple=data.poll.multiple,
            hide_totals=data.poll.hide_totals,
        )
    _notify_subscribers(tx, status, parent)
    return status_id


def _notify_subscribers(tx, status, parent) -> None:
    """Followers who rang the bell hear of new posts; not of DMs, nor of replies to others."""
    if status.visibility == "direct":
        return
    if parent is not None and parent.account_id != status.account_id:
        return
    mentioned = set(
        tx.scalars(sa.select(mentions.c.account_id).where(mentions.c.status_id == status.id))
    )
    for follower_id in tx.scalars(
        sa.select(follows.c.account_id)
        .join(accounts, accounts.c.id == follows.c.account_id)
        .where(
            follows.c.target_account_id == status.account_id,
            follows.c.notify.is_(True),
            accounts.c.domain.is_(None),
        )
    ):
        if follower_id not in mentioned:  # the mention notification already tells them
            notify_about(tx, follower_id, status.account_id, "status", status)


# --- Edit ----------------------------------------------------------------------------------------


@dataclass
class EditInput:
    text: str = ""
    spoiler_text: str = ""
    sensitive: bool | None = None
    language: str | None = None
    poll: PollInput | None = None
    media_ids: list[str] = field(default_factory=list)


def _snapshot(tx, status, poll_options: list[str] | None, at) -> None:
    tx.execute(
        status_edits.insert().values(
            id=new_id(at) if at != tx.now else new_id(),
            status_id=status.id,
            account_id=status.account_id,
            text=status.text,
            content=status.content,
            spoiler_text=status.spoiler_text,
            sensitive=status.sensitive,
            poll_options=poll_options,
            created_at=at,
        )
    )


def edit(tx, account_id: int, status_id: int, data: EditInput) -> int:
    """Change a post's text, warning, sensitivity, language or poll, keeping its history.

    The first edit also records the original version, so the history always starts with what
    was first published. Changing a poll's options (or its kind) starts the voting over.
    """
    status = own_row(tx, account_id, status_id)
    if status.reblog_of_id:
        raise NotFound()
    if data.media_ids:
        raise Invalid("Media not supported yet")
    body = _clean(data.text)
    spoiler = _clean(data.spoiler_text).strip()
    _validate_text(tx, body, spoiler, data.poll)
    new_options = validate_poll(tx, data.poll) if data.poll is not None else None
    old_poll = polls.for_status(tx, status_id)

    if not tx.scalar(sa.select(sa.func.count()).where(status_edits.c.status_id == status_id)):
        _snapshot(tx, status, list(old_poll.options) if old_poll else None, status.created_at)

    rendered = text.render(tx, body)
    sensitive = status.sensitive if data.sensitive is None else data.sensitive
    if spoiler:
        sensitive = True
    language = _normalize_language(data.language) or status.language
    tx.execute(
        statuses.update()
        .where(statuses.c.id == status_id)
        .values(
            text=body.strip(),
            content=rendered.html,
            spoiler_text=spoiler,
            sensitive=sensitive,
            language=language,
            edited_at=tx.now,
        )
    )
    updated = get_row(tx, status_id)

    previous = set(
        tx.scalars(sa.select(mentions.c.account_id).where(mentions.c.status_id == status_id))
    )
    current = {a.id for a in rendered.mentions}
    _add_mentions(tx, updated, [a for a in rendered.mentions if a.id not in previous])
    dropped = previous - current
    if dropped and updated.visibility in visibility.PUBLIC_VISIBILITIES:
        # Mentions no longer in the text go, except on private posts, where they grant access.
        tx.execute(
            mentions.delete().where(
                mentions.c.status_id == status_id, mentions.c.account_id.in_(dropped)
            )
        )
    _set_tags(tx, status_id, rendered.tags)

    if new_options is None:
        if old_poll is not None:
            polls.remove(tx, old_poll.id)
    elif old_poll is None:
        polls.create(
            tx,
            status_id,
            status.account_id,
            new_options,
            expires_in=data.poll.expires_in,
            multiple=data.poll.multiple,
            hide_totals=data.poll.hide_totals,
        )
    else:
        polls.update(
            tx,
            old_poll,
            new_options,
            expires_in=data.poll.expires_in,
            multiple=data.poll.multiple,
            hide_totals=data.poll.hide_totals,
        )
    _snapshot(tx, updated, new_options, tx.now)

    for booster in tx.scalars(
        sa.select(statuses.c.account_id)
        .join(accounts, accounts.c.id == statuses.c.account_id)
        .where(statuses.c.reblog_of_id == status_id, accounts.c.domain.is_(None))
        .distinct()
    ):
        notify_about(tx, booster, account_id, "update", updated)
    return status_id


def history(tx, viewer_id: int | None, status_id: int) -> list:
    """Versions of a post, oldest first; an unedited post has one: itself."""
    status = visible_row(tx, viewer_id, status_id)
    rows = tx.rows(
        sa.select(status_edits)
        .where(status_edits.c.status_id == status.id)
        .order_by(status_edits.c.created_at, status_edits.c.id)
    )
    if rows:
        return rows
    poll = polls.for_status(tx, status.id)
    return [
        _Version(
            status.text,
            status.content,
            status.spoiler_text,
            status.sensitive,
            list(poll.options) if poll else None,
            status.created_at,
            status.account_id,
        )
    ]


@dataclass
class _Version:
    text: str
    content: str
    spoiler_text: str
    sensitive: bool
    poll_options: list[str] | None
    created_at: object
    account_id: int


# --- Delete ------------------------------------------------------------------------------------


def _delete_row(tx, status) -> None:
    """Remove one status and undo the counters it moved; dependent rows go by cascade."""
    if status.reblog_of_id:
        adjust_counter(tx, status.reblog_of_id, "reblogs_count", -1)
        notifications.withdraw(
            tx,
            _author_of(tx, status.reblog_of_id),
            status.account_id,
            "reblog",
            status.reblog_of_id,
        )
    if status.in_reply_to_id:
        adjust_counter(tx, status.in_reply_to_id, "replies_count", -1)
    if _counted(status.visibility):
        _adjust_account_statuses(tx, status.account_id, -1)
    tx.execute(statuses.delete().where(statuses.c.id == status.id))


def _author_of(tx, status_id: int) -> int:
    return tx.scalar(sa.select(statuses.c.account_id).where(statuses.c.id == status_id)) or 0


def delete(tx, account_id: int, status_id: int) -> None:
    """Delete one's own post, its boosts by others (their counters too) and all it carries."""
    status = own_row(tx, account_id, status_id)
    for boost in tx.rows(sa.select(statuses).where(statuses.c.reblog_of_id == status.id)):
        if _counted(boost.visibility):
            _adjust_account_statuses(tx, boost.account_id, -1)
        tx.execute(statuses.delete().where(statuses.c.id == boost.id))
    _delete_row(tx, status)


# --- Threads ---------------------------------------------------------------------------------


def context_ids(tx, status_id: int) -> tuple[list[int], list[int]]:
    """Ancestors (root first) and descendants (depth-first, replies in order), unfiltered."""
    row = get_row(tx, status_id)
    if row is None:
        return [], []
    ancestors: list[int] = []
    parent_id = row.in_reply_to_id
    seen = {row.id}
    while parent_id is not None and len(ancestors) < MAX_ANCESTORS and parent_id not in seen:
        seen.add(parent_id)
        parent = tx.one_or_none(
            sa.select(statuses.c.id, statuses.c.in_reply_to_id).where(statuses.c.id == parent_id)
        )
        if parent is None:
            break
        ancestors.append(parent.id)
        parent_id = parent.in_reply_to_id
    ancestors.reverse()

    children: dict[int, list[int]] = {}
    frontier = [row.id]
    total = 0
    while frontier and total < MAX_DESCENDANTS:
        found = tx.rows(
            sa.select(statuses.c.id, statuses.c.in_reply_to_id)
            .where(statuses.c.in_reply_to_id.in_(frontier), statuses.c.reblog_of_id.is_(None))
            .order_by(statuses.c.id)
            .limit(MAX_DESCENDANTS - total)
        )
        frontier = []
        for child in found:
            if child.id in seen:
                continue
            seen.add(child.id)
            children.setdefault(child.in_reply_to_id, []).append(child.id)
            frontier.append(child.id)
            total += 1
    descendants: list[int] = []
    stack = list(reversed(children.get(row.id, [])))
    while stack:
        current = stack.pop()
        descendants.append(current)
        stack.extend(reversed(children.get(current, [])))
    return ancestors, descendants
