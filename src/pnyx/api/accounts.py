"""Mastodon API: registration, own credentials and profile, and looking accounts up.

Following, relationships, statuses of an account and search live in other modules.
"""

from __future__ import annotations

from dataclasses import replace

import anyio.to_thread
from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.auth import optional, require
from pnyx.api.http import JSON, ApiError, database, not_found, path_id, read_params
from pnyx.api.profile_images import prepare_images, profile_upload_limit
from pnyx.core import account_extras, follows, profile_media, profiles, registrations
from pnyx.core import accounts as core_accounts
from pnyx.core import oauth as core_oauth
from pnyx.core.errors import Invalid
from pnyx.db.ids import parse_id
from pnyx.federation import resolve as remote
from pnyx.presenters import entities, shown_accounts


def credential_account(tx, account_id: int) -> dict:
    """CredentialAccount: the account, its editable `source` and the user's role."""
    row = core_accounts.get(tx, account_id)
    user = core_accounts.user_for_account(tx, account_id)
    pending = follows.follow_requests_count(tx, account_id)
    extras = account_extras.load(tx, [row])
    return entities.credential_account(row, user, tx.settings, pending, extras)


async def register(request: Request):
    """POST /api/v1/accounts with an app token; answers with a user token like /oauth/token."""
    params = await read_params(request, max_bytes=64_000)
    username = params.str("username", "", max_len=200)
    email = params.str("email", "", max_len=400)
    password = params.str("password", "", max_len=2048)
    agreement = params.bool("agreement", False)
    locale = params.str("locale", max_len=16)
    reason = params.str("reason", max_len=1000)
    invite_code = params.str("invite_code", max_len=100)
    date_of_birth = params.str("date_of_birth", max_len=32)

    def work(tx):
        viewer = require(tx, request, "write:accounts", user=False)
        _, user_id = registrations.register(
            tx,
            username,
            email,
            password,
            reason=reason,
            invite_code=invite_code,
            agreement=agreement,
            locale=locale,
            date_of_birth=date_of_birth,
        )
        # The new user's token carries the app token's scopes, as Mastodon does. In
        # approval mode it only starts working once the staff approve the account.
        token, _ = core_oauth.issue_token(tx, viewer.app_id, user_id, list(viewer.scopes))
        return {
            "access_token": token,
            "token_type": "Bearer",
            "scope": " ".join(viewer.scopes),
            "created_at": int(tx.now.timestamp()),
        }

    try:
        return JSON(await database(request).write(work))
    except Invalid as exc:
        problems = getattr(exc, "problems", None) or [exc.message]
        raise ApiError(422, exc.message, details=registration_details(problems)) from None


# Mastodon's sign-up errors carry `details`: per field, a code clients can translate.
_DETAIL_RULES = (
    ("Username has already been taken", "username", "ERR_TAKEN"),
    ("Username is reserved", "username", "ERR_RESERVED"),
    ("Username", "username", "ERR_INVALID"),
    ("Email has already been taken", "email", "ERR_TAKEN"),
    ("Email", "email", "ERR_INVALID"),
    ("Password is too short", "password", "ERR_TOO_SHORT"),
    ("Password is too long", "password", "ERR_TOO_LONG"),
    ("Agreement", "agreement", "ERR_ACCEPTED"),
    ("Reason", "reason", "ERR_BLANK"),
    ("Invite", "invite_code", "ERR_INVALID"),
    (registrations.DOB_BLANK, "date_of_birth", "ERR_BLANK"),
    (registrations.DOB_TOO_YOUNG, "date_of_birth", "ERR_BELOW_LIMIT"),
    ("Date of birth", "date_of_birth", "ERR_INVALID"),
    ("Locale", "locale", "ERR_INCLUSION"),
)


def registration_details(messages: list[str]) -> dict:
    """Mastodon's `details`: each refused field with its error codes."""
    details: dict[str, list[dict]] = {}
    for message in messages:
        text = message.removeprefix("Validation failed: ")
        for prefix, field, code in _DETAIL_RULES:
            if text.startswith(prefix):
                details.setdefault(field, []).append({"error": code, "description": text})
                break
    return details


async def verify_credentials(request: Request):
    def work(tx):
        viewer = require(tx, request, "profile")
        return credential_account(tx, viewer.account_id)

    return JSON(await database(request).read(work))


def _fields(params) -> list[tuple[str, str]] | None:
    raw = params.raw("fields_attributes")
    if raw is None:
        return None
    if isinstance(raw, dict):
        raw = list(raw.values())
    if not isinstance(raw, list):
        raise ApiError(422, "Validation failed: fields_attributes must be a list")
    out = []
    for item in raw[:50]:
        if not isinstance(item, dict):
            raise ApiError(422, "Validation failed: fields_attributes must be a list of objects")
        name, value = item.get("name", ""), item.get("value", "")
        if not isinstance(name, str) or not isinstance(value, str):
            raise ApiError(422, "Validation failed: field names and values must be strings")
        out.append((name, value))
    if len(raw) > 50:
        out.extend([("x", "x")] * (len(raw) - 50))  # still "too many" for the rule in core
    return out


async def update_credentials(request: Request):
    settings = request.app.state.settings
    params = await read_params(request, max_bytes=profile_upload_limit(settings))
    source = params.sub("source")
    change = profiles.ProfileUpdate(
        display_name=params.str("display_name", max_len=10_000),
        note=params.str("note", max_len=100_000),
        locked=params.bool("locked"),
        bot=params.bool("bot"),
        discoverable=params.bool("discoverable"),
        indexable=params.bool("indexable"),
        hide_collections=params.bool("hide_collections"),
        fields=_fields(params),
        privacy=source.str("privacy", max_len=32),
        sensitive=source.bool("sensitive"),
        language=source.str("language", max_len=32),
        quote_policy=source.str("quote_policy", max_len=32),
        attribution_domains=params.list("attribution_domains", max_items=1000)
        if params.has("attribution_domains")
        else None,
    )
    db = database(request)
    viewer = await db.read(lambda tx: require(tx, request, "write:accounts"))
    images = await prepare_images(settings, viewer.account_id, params)
    change = replace(change, **images)

    def work(tx):
        require(tx, request, "write:accounts")
        profiles.update_profile(tx, viewer.account_id, change)
        return credential_account(tx, viewer.account_id)

    try:
        return JSON(await db.write(work))
    except BaseException:
        profile_media.discard(settings, images.values())
        raise


async def show(request: Request):
    account_id = path_id(request)

    def work(tx):
        optional(tx, request, "read:accounts")
        return shown_accounts.one(tx, core_accounts.get_public(tx, account_id))

    return JSON(await database(request).read(work))


MAX_ACCOUNTS_AT_ONCE = 40  # Mastodon's DEFAULT_ACCOUNTS_LIMIT for GET /api/v1/accounts


async def show_many(request: Request):
    """GET /api/v1/accounts?id[]=...: several accounts at once, unknown ids left out."""
    params = await read_params(request)
    ids = [i for i in (parse_id(v) for v in params.list("id", max_items=MAX_ACCOUNTS_AT_ONCE)) if i]

    def work(tx):
        optional(tx, request, "read:accounts")
        return shown_accounts.many(tx, core_accounts.public_rows(tx, ids))

    return JSON(await database(request).read(work))


async def lookup(request: Request):
    params = await read_params(request)
    acct = params.str("acct", "", max_len=600)
    db = database(request)
    settings = request.app.state.settings
    if "@" in acct.strip().lstrip("@") and remote.HANDLE.match(acct.strip()):
        known = await db.read(lambda tx: core_accounts.find_by_acct(tx, acct))
        if known is None:  # someone elsewhere: ask their server (WebFinger)
            await anyio.to_thread.run_sync(remote.resolve_quietly, db, settings, acct)

    def work(tx):
        optional(tx, request, "read:accounts")
        row = core_accounts.find_by_acct(tx, acct) if acct.strip() else None
        if row is None:
            raise not_found()
        return shown_accounts.one(tx, row)

    return JSON(await database(request).read(work))


def _image_remover(kind: str):
    """DELETE /api/v1/profile/avatar|header: the default image again; the CredentialAccount."""

    async def handle(request: Request):
        def work(tx):
            viewer = require(tx, request, "write:accounts")
            profile_media.remove(tx, viewer.account_id, kind)
            return credential_account(tx, viewer.account_id)

        return JSON(await database(request).write(work))

    return handle


routes = [
    Route("/api/v1/accounts", register, methods=["POST"]),
    Route("/api/v1/accounts", show_many, methods=["GET"]),
    Route("/api/v1/accounts/verify_credentials", verify_credentials, methods=["GET"]),
    Route("/api/v1/accounts/update_credentials", update_credentials, methods=["PATCH"]),
    Route("/api/v1/accounts/lookup", lookup, methods=["GET"]),
    Route("/api/v1/profile/avatar", _image_remover(profile_media.AVATAR), methods=["DELETE"]),
    Route("/api/v1/profile/header", _image_remover(profile_media.HEADER), methods=["DELETE"]),
    Route("/api/v1/accounts/{id:int}", show, methods=["GET"]),
]
