"""A person's own settings in the browser: profile, account (password, privacy) and preferences.

Each form posts to its page and, when saved, goes back to it (303) with a confirmation; a
refusal shows the page again with the reasons next to the inputs. Changes go through the same
core functions as the Mastodon API's update_credentials, so the rules (and the federation of
profile updates) are the same whichever way a person edits their profile.
"""

from __future__ import annotations

import functools

import anyio
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pnyx.core import accounts as core_accounts
from pnyx.core import moderation, profile_media, profiles
from pnyx.core.errors import CoreError
from pnyx.core.image_processing import MediaRefused
from pnyx.core.passwords import MIN_LENGTH
from pnyx.edges.http import database
from pnyx.presenters import entities
from pnyx.web import i18n
from pnyx.web.auth import (
    N_,
    checked,
    field_errors,
    form_expired,
    member,
    text_field,
)
from pnyx.web.i18n import gettext_for
from pnyx.web.languages import POST_LANGUAGES
from pnyx.web.session import Visitor, csrf_ok, read_form, respond, see_other

SAVED = {
    "1": N_("Your changes were saved."),
    "password": N_("Your password was changed. Your other sessions and apps were signed out."),
}


async def _signed_in(request: Request):
    """(visitor, users row), or the redirect to the sign-in page for someone signed out."""
    who, user = await member(request)
    if who.user is None or user is None:
        return None, see_other("/auth/sign_in")
    return (who, user), None


async def _signed_in_post(request: Request, files: tuple[str, ...] = ()):
    """(visitor, users row, form, None) for a signed-in person's valid post; otherwise
    (..., the answer to send): the sign-in page, or 'form expired' without a CSRF token.
    `files`: the file fields of the form (the profile's avatar and header), as bytes."""
    found, redirect = await _signed_in(request)
    if redirect:
        return None, None, None, redirect
    who, user = found
    if files:
        limit = profile_media.form_limit(request.app.state.settings)
        form = await read_form(request, files=files, max_bytes=limit)
    else:
        form = await read_form(request)
    if not csrf_ok(request, form):
        return who, user, form, form_expired(request, who)
    return who, user, form, None


def _saved(who: Visitor, request: Request) -> str | None:
    key = request.query_params.get("saved")
    return gettext_for(who.language)(SAVED[key]) if key in SAVED else None


def _render(request, who, user, template, *, errors=None, **context) -> Response:
    return respond(
        request,
        who,
        template,
        status=422 if errors else 200,
        staff=user.role in moderation.STAFF_ROLES,
        errors=errors or {},
        saved=None if errors else _saved(who, request),
        **context,
    )


def _refused(who: Visitor, exc: CoreError) -> dict[str, list[str]]:
    return field_errors(gettext_for(who.language), [exc.message])


# --- Profile ----------------------------------------------------------------------------------


def _profile_values(row, max_fields: int) -> dict:
    fields = [(f.get("name", ""), f.get("value_source", "")) for f in (row.fields or [])]
    fields += [("", "")] * (max_fields - len(fields))
    return {
        "display_name": row.display_name or "",
        "note": row.note_source or "",
        "bot": bool(row.bot),
        "fields": fields[:max_fields],
        "attribution_domains": "\n".join(row.attribution_domains or []),
    }


def _images(row, settings) -> dict:
    """The avatar and header the profile page shows as they are now."""
    shown = entities.account(row, settings)
    return {
        "avatar": shown["avatar_static"],
        "header": shown["header_static"],
        "has_avatar": bool(row.avatar_url),
        "has_header": bool(row.header_url),
    }


async def _new_images(request: Request, who: Visitor, form: dict) -> tuple[dict, dict]:
    """The avatar and header chosen in the form, processed and stored (by kind), or the
    field errors that say why one is refused (then none is kept)."""
    settings = request.app.state.settings
    images: dict[str, profile_media.StoredImage] = {}
    errors: dict[str, list[str]] = {}
    _ = gettext_for(who.language)
    for kind in profile_media.KINDS:
        data = form.get(kind)
        if not isinstance(data, bytes):
            continue
        try:
            if len(data) > settings.max_profile_image_bytes:
                raise MediaRefused(
                    _("The image is larger than %(n)s MB", n=settings.max_profile_image_bytes >> 20)
                )
            images[kind] = await anyio.to_thread.run_sync(
                functools.partial(profile_media.prepare, settings, who.account_id, kind, data)
            )
        except CoreError as exc:
            errors[kind] = [_(exc.message.removeprefix("Validation failed: "))]
    if errors:
        profile_media.discard(settings, images.values())
        return {}, errors
    return images, {}


async def profile_page(request: Request) -> Response:
    found, redirect = await _signed_in(request)
    if redirect:
        return redirect
    who, user = found
    settings = request.app.state.settings
    row = await database(request).read(core_accounts.get, who.account_id)
    return _render(
        request,
        who,
        user,
        "site/settings_profile.html",
        creator_handle=f"@{row.username}@{settings.domain}",
        values=_profile_values(row, settings.max_profile_fields),
        images=_images(row, settings),
        limits=settings,
    )


async def save_profile(request: Request) -> Response:
    who, user, form, refusal = await _signed_in_post(request, files=profile_media.KINDS)
    if refusal:
        return refusal
    settings = request.app.state.settings
    count = settings.max_profile_fields
    values = {
        "display_name": text_field(form, "display_name"),
        "note": text_field(form, "note", 100_000),
        "bot": checked(form, "bot"),
        "fields": [
            (text_field(form, f"field_name_{i}"), text_field(form, f"field_value_{i}"))
            for i in range(count)
        ],
        "attribution_domains": text_field(form, "attribution_domains", 100_000),
    }
    images, errors = await _new_images(request, who, form)
    change = profiles.ProfileUpdate(
        display_name=values["display_name"],
        note=values["note"],
        bot=values["bot"],
        fields=values["fields"],
        attribution_domains=values["attribution_domains"].splitlines(),
        remove_images=tuple(k for k in profile_media.KINDS if checked(form, f"remove_{k}")),
        **images,
    )
    if not errors:
        try:
            await database(request).write(profiles.update_profile, who.account_id, change)
        except CoreError as exc:
            profile_media.discard(settings, images.values())
            errors = _refused(who, exc)
    if errors:
        row = await database(request).read(core_accounts.get, who.account_id)
        return _render(
            request,
            who,
            user,
            "site/settings_profile.html",
            creator_handle=f"@{row.username}@{settings.domain}",
            errors=errors,
            values=values,
            images=_images(row, settings),
            limits=settings,
        )
    return see_other("/settings/profile?saved=1")


# --- Account: password and privacy ------------------------------------------------------------

PRIVACY_FLAGS = ("locked", "discoverable", "indexable", "hide_collections")


async def account_page(request: Request) -> Response:
    found, redirect = await _signed_in(request)
    if redirect:
        return redirect
    who, user = found
    row = await database(request).read(core_accounts.get, who.account_id)
    return _render(
        request,
        who,
        user,
        "site/settings_account.html",
        flags={flag: bool(getattr(row, flag)) for flag in PRIVACY_FLAGS},
        email=user.email,
        min_password=MIN_LENGTH,
    )


async def save_privacy(request: Request) -> Response:
    who, user, form, refusal = await _signed_in_post(request)
    if refusal:
        return refusal
    flags = {flag: checked(form, flag) for flag in PRIVACY_FLAGS}
    await database(request).write(
        profiles.update_profile, who.account_id, profiles.ProfileUpdate(**flags)
    )
    return see_other("/settings/account?saved=1")


async def change_password(request: Request) -> Response:
    """POST /settings/password: needs the current password; ends every other session and
    token (core's rule), this browser stays signed in."""
    who, user, form, refusal = await _signed_in_post(request)
    if refusal:
        return refusal
    _ = gettext_for(who.language)
    current = text_field(form, "current_password", 2048)
    new = text_field(form, "new_password", 2048)
    confirmation = text_field(form, "new_password_confirmation", 2048)

    def work(tx):
        errors: dict[str, list[str]] = {}
        if core_accounts.authenticate(tx, who.user.username, current) is None:
            errors["current_password"] = [_("Current password is incorrect")]
        if new != confirmation:
            errors["new_password_confirmation"] = [_("Passwords do not match")]
        if errors:
            return errors
        try:
            core_accounts.change_password(tx, user.id, new, keep_session_id=who.user.session_id)
        except CoreError as exc:
            return {"new_password": field_errors(_, [exc.message]).popitem()[1]}
        return None

    errors = await database(request).write(work)
    if errors:
        row = await database(request).read(core_accounts.get, who.account_id)
        return _render(
            request,
            who,
            user,
            "site/settings_account.html",
            errors=errors,
            flags={flag: bool(getattr(row, flag)) for flag in PRIVACY_FLAGS},
            email=user.email,
            min_password=MIN_LENGTH,
        )
    return see_other("/settings/account?saved=password")


# --- Preferences ------------------------------------------------------------------------------


def _preference_options(who: Visitor, current_language: str | None) -> dict:
    _ = gettext_for(who.language)
    languages = dict(POST_LANGUAGES)
    if current_language and current_language not in languages:
        languages[current_language] = current_language
    return {
        "visibilities": [
            ("public", _("Public")),
            ("unlisted", _("Unlisted")),
            ("private", _("Followers only")),
        ],
        "post_languages": [("", _("Not set"))] + sorted(languages.items()),
        "interface_languages": [("", _("Same as my browser"))] + list(i18n.LANGUAGES.items()),
    }


async def preferences_page(request: Request) -> Response:
    found, redirect = await _signed_in(request)
    if redirect:
        return redirect
    who, user = found
    values = {
        "privacy": user.default_visibility,
        "sensitive": bool(user.default_sensitive),
        "language": user.default_language or "",
        "interface_language": user.locale if user.locale in i18n.LANGUAGES else "",
    }
    return _render(
        request,
        who,
        user,
        "site/settings_preferences.html",
        values=values,
        **_preference_options(who, user.default_language),
    )


async def save_preferences(request: Request) -> Response:
    who, user, form, refusal = await _signed_in_post(request)
    if refusal:
        return refusal
    values = {
        "privacy": text_field(form, "privacy", 32),
        "sensitive": checked(form, "sensitive"),
        "language": text_field(form, "language", 32),
        "interface_language": text_field(form, "interface_language", 16),
    }
    change = profiles.ProfileUpdate(
        privacy=values["privacy"], sensitive=values["sensitive"], language=values["language"]
    )
    interface = values["interface_language"] or None
    errors: dict[str, list[str]] = {}
    if interface is not None and interface not in i18n.LANGUAGES:
        errors["interface_language"] = [
            gettext_for(who.language)("Choose a language from the list")
        ]

    def work(tx):
        profiles.update_profile(tx, who.account_id, change)
        core_accounts.set_user_locale(tx, user.id, interface)

    if not errors:
        try:
            await database(request).write(work)
        except CoreError as exc:
            errors = _refused(who, exc)
    if errors:
        return _render(
            request,
            who,
            user,
            "site/settings_preferences.html",
            errors=errors,
            values=values,
            **_preference_options(who, values["language"]),
        )
    return see_other("/settings/preferences?saved=1")


async def settings_index(request: Request) -> Response:
    return see_other("/settings/profile")


routes = [
    Route("/settings", settings_index, methods=["GET"]),
    Route("/settings/profile", profile_page, methods=["GET"]),
    Route("/settings/profile", save_profile, methods=["POST"]),
    Route("/settings/account", account_page, methods=["GET"]),
    Route("/settings/account", save_privacy, methods=["POST"]),
    Route("/settings/password", change_password, methods=["POST"]),
    Route("/settings/preferences", preferences_page, methods=["GET"]),
    Route("/settings/preferences", save_preferences, methods=["POST"]),
]
