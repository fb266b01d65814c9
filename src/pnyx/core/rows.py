"""The shapes of the rows core hands out, so the type checker knows their columns.

Core reads and returns SQLAlchemy rows (`Row`), which the edges read attribute by
attribute. A bare `Row` says nothing: any attribute is accepted and is `Any`. These
Protocols name the columns of the rows that travel furthest (accounts, statuses, users,
polls, client apps, as `sa.select(table)` loads them), with their Python types and whether they may be
None, so a misspelt column or a forgotten None check is caught by mypy in whatever reads a
function that returns one.

They describe, they do not convert: a `Row` satisfies any of them as it is (SQLAlchemy types
its attribute access as `Any`), so nothing is copied at run time. Treat them as read-only.
tests/core/test_rows.py keeps them in step with pnyx.db.tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol


class StatusRow(Protocol):
    """A row of `statuses`: a post or a boost (`reblog_of_id` set)."""

    id: int
    uri: str
    url: str | None
    account_id: int
    local: bool
    text: str
    content: str
    spoiler_text: str
    visibility: str
    sensitive: bool
    language: str | None
    in_reply_to_id: int | None
    in_reply_to_account_id: int | None
    in_reply_to_uri: str | None
    reblog_of_id: int | None
    conversation_id: int | None
    application_id: int | None
    replies_count: int
    reblogs_count: int
    favourites_count: int
    has_media: bool
    created_at: datetime
    edited_at: datetime | None
    quote_policy: str | None
    render_version: int


class AccountRow(Protocol):
    """A row of `accounts`, local (`domain` None) or remote."""

    id: int
    username: str
    domain: str | None
    display_name: str
    note: str
    note_source: str
    fields: list[Any]
    locked: bool
    bot: bool
    group: bool
    discoverable: bool
    indexable: bool
    hide_collections: bool
    uri: str
    url: str | None
    inbox_url: str | None
    shared_inbox_url: str | None
    outbox_url: str | None
    followers_url: str | None
    following_url: str | None
    featured_url: str | None
    public_key_pem: str | None
    public_key_id: str | None
    private_key_pem: str | None
    avatar_url: str | None
    header_url: str | None
    avatar_static_url: str | None
    header_static_url: str | None
    avatar_remote_url: str | None
    header_remote_url: str | None
    avatar_key: str | None
    avatar_static_key: str | None
    header_key: str | None
    header_static_key: str | None
    images_size: int | None
    images_cached_at: datetime | None
    also_known_as: list[Any]
    attribution_domains: list[Any] | None
    emojis: list[Any] | None
    moved_to_account_id: int | None
    statuses_count: int
    followers_count: int
    following_count: int
    last_status_at: datetime | None
    suspended_at: datetime | None
    silenced_at: datetime | None
    silenced_until: datetime | None
    sensitized_at: datetime | None
    suspension_reason: str | None
    fetched_at: datetime | None
    created_at: datetime
    updated_at: datetime
    render_version: int


class ListedAccountRow(AccountRow, Protocol):
    """An account in a paged list (followers, blocks ...): `cursor_id` is the list row's id,
    what the Link header pages by."""

    cursor_id: int


class UserRow(Protocol):
    """A row of `users`: the sign-in side of a local account."""

    id: int
    account_id: int
    email: str
    password_hash: str
    role: str
    approved: bool
    confirmed: bool
    registration_reason: str | None
    invite_id: int | None
    locale: str | None
    default_visibility: str
    default_sensitive: bool
    default_language: str | None
    default_quote_policy: str
    created_at: datetime
    last_sign_in_at: datetime | None


class SignInRow(UserRow, Protocol):
    """A `users` row joined with its account's name and suspension (accounts.authenticate)."""

    username: str
    suspended_at: datetime | None


class PollRow(Protocol):
    """A row of `polls`; `options` and `tallies` are parallel lists."""

    id: int
    status_id: int
    account_id: int
    uri: str | None
    options: list[str]
    tallies: list[int]
    multiple: bool
    hide_totals: bool
    votes_count: int
    voters_count: int
    expires_at: datetime | None
    closed_at: datetime | None
    created_at: datetime


class AppRow(Protocol):
    """A row of `oauth_apps`: a client application (core.oauth), with its credentials."""

    id: int
    name: str
    website: str | None
    redirect_uris: str  # newline-separated
    scopes: str  # space-separated
    client_id: str
    client_secret: str
    owner_user_id: int | None
    created_at: datetime
