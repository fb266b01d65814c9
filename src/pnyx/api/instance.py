"""Mastodon API: what the instance is (v1 and v2 Instance), its rules, peers, emojis, and a
user's preferences.

Clients read these into typed structures (toot raises on a wrong type, Mastodon.py parses
`version` and switches code paths on it), so every field has Mastodon 4.3's name and type.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

import pnyx
from pnyx.api.auth import require
from pnyx.api.http import JSON, database
from pnyx.config import Settings
from pnyx.core import accounts as core_accounts
from pnyx.core import custom_emojis as core_custom_emojis
from pnyx.core import instance as core_instance
from pnyx.core import instance_policies, media_files, web_push
from pnyx.core.errors import NotFound
from pnyx.core.instance_settings import effective_settings
from pnyx.edges import site_icons
from pnyx.presenters import entities, shown_accounts

# Where the code lives. PLACEHOLDER: the project has no public address yet; set the real one.
LANGUAGES = ["en"]
MAX_MEDIA_ATTACHMENTS = 4
MAX_FEATURED_TAGS = 10
MAX_PINNED_STATUSES = 5
CHARACTERS_RESERVED_PER_URL = 23


def media_config(settings: Settings) -> dict:
    """What uploads accept (core.media_files) and the caps they are held to, as served."""
    return {
        "supported_mime_types": media_files.supported_mime_types(),
        "image_size_limit": settings.max_image_bytes,
        "image_matrix_limit": settings.max_image_input_pixels,
        "video_size_limit": settings.max_video_bytes,
        "video_frame_rate_limit": settings.max_video_frame_rate,
        "video_matrix_limit": settings.max_video_pixels,
    }


DESCRIPTION_LIMIT = 1500


def version_string() -> str:
    """`4.5.0 (compatible; Pnyx 0.1.0)`: clients cut at the first space and see 4.5.0."""
    return f"{pnyx.MASTODON_COMPAT_VERSION} (compatible; Pnyx {pnyx.__version__})"


def streaming_url(settings: Settings) -> str:
    scheme = "wss" if settings.effective_scheme == "https" else "ws"
    return f"{scheme}://{settings.domain}"


def thumbnail_url(settings: Settings) -> str:
    return f"{settings.base_url}/static/thumbnail.png"


def _statuses_config(settings: Settings) -> dict:
    return {
        "max_characters": settings.max_status_chars,
        "max_media_attachments": MAX_MEDIA_ATTACHMENTS,
        "characters_reserved_per_url": CHARACTERS_RESERVED_PER_URL,
    }


def _polls_config(settings: Settings) -> dict:
    return {
        "max_options": settings.max_poll_options,
        "max_characters_per_option": settings.max_poll_option_chars,
        "min_expiration": settings.min_poll_expiration,
        "max_expiration": settings.max_poll_expiration,
    }


def _rule(row) -> dict:
    return {"id": str(row.id), "text": row.text, "hint": row.hint}


def _registrations_open(settings: Settings) -> bool:
    return settings.registrations in ("open", "approval")


def _snapshot(tx) -> dict:
    contact = core_instance.contact_account(tx)
    return {
        "stats": core_instance.stats(tx),
        "rules": [_rule(r) for r in core_instance.rule_rows(tx)],
        "contact": shown_accounts.one_or_none(tx, contact),
    }


def instance_v2(settings: Settings, snap: dict) -> dict:
    return {
        "domain": settings.domain,
        "title": settings.instance_title,
        "version": version_string(),
        "source_url": settings.source_url,
        "description": settings.instance_description,
        "usage": {"users": {"active_month": snap["stats"].active_month}},
        "thumbnail": {"url": thumbnail_url(settings)},
        "icon": site_icons.icon_entities(settings.base_url),
        "languages": LANGUAGES,
        "configuration": {
            "urls": {
                "streaming": streaming_url(settings),
                "status": None,
                "about": f"{settings.base_url}/about",
                "privacy_policy": f"{settings.base_url}/privacy-policy",
                "terms_of_service": (
                    f"{settings.base_url}/terms-of-service"
                    if settings.terms_of_service.strip()
                    else None
                ),
            },
            "vapid": {"public_key": snap.get("vapid_public_key", "")},
            "accounts": {
                "max_featured_tags": MAX_FEATURED_TAGS,
                "max_pinned_statuses": MAX_PINNED_STATUSES,
            },
            "statuses": _statuses_config(settings),
            "media_attachments": {**media_config(settings), "description_limit": DESCRIPTION_LIMIT},
            "polls": _polls_config(settings),
            "translation": {"enabled": False},
            # Mastodon 4.5: who may read the public, hashtag and trending-link timelines.
            # Pnyx opens them to everyone, signed in or not, for posts of here and elsewhere.
            "timelines_access": {
                feed: {"local": "public", "remote": "public"}
                for feed in ("live_feeds", "hashtag_feeds", "trending_link_feeds")
            },
            # Mastodon 4.4: true when the server federates only with servers on an allow-list
            # (Pnyx has no such mode).
            "limited_federation": False,
        },
        "registrations": {
            "enabled": _registrations_open(settings),
            "approval_required": settings.registrations == "approval",
            # Mastodon 4.4: a reason is asked for in approval mode (without an invite), and
            # a date of birth when the instance sets a minimum age.
            "reason_required": settings.registrations == "approval",
            "min_age": settings.min_age or None,
            "message": None,
            "url": None,
        },
        "api_versions": {"mastodon": pnyx.MASTODON_API_VERSION},
        "contact": {"email": settings.contact_email, "account": snap["contact"]},
        "rules": snap["rules"],
    }


def instance_v1(settings: Settings, snap: dict) -> dict:
    stats = snap["stats"]
    return {
        "uri": settings.domain,
        "title": settings.instance_title,
        "short_description": settings.instance_description,
        "description": settings.instance_description,
        "email": settings.contact_email,
        "version": version_string(),
        "urls": {"streaming_api": streaming_url(settings)},
        "stats": {
            "user_count": stats.user_count,
            "status_count": stats.status_count,
            "domain_count": stats.domain_count,
        },
        "thumbnail": thumbnail_url(settings),
        "languages": LANGUAGES,
        "registrations": _registrations_open(settings),
        "approval_required": settings.registrations == "approval",
        "invites_enabled": settings.registrations == "invite",
        "configuration": {
            "accounts": {"max_featured_tags": MAX_FEATURED_TAGS},
            "statuses": _statuses_config(settings),
            "media_attachments": media_config(settings),
            "polls": _polls_config(settings),
        },
        "contact_account": snap["contact"],
        "rules": snap["rules"],
    }


def _with_settings(tx):
    """The snapshot, and the settings as an admin may have changed them (name, description,
    registration mode)."""
    return effective_settings(tx), _snapshot(tx)


async def show_v1(request: Request):
    settings, snap = await database(request).read(_with_settings)
    return JSON(instance_v1(settings, snap))


def _vapid_public_key(tx) -> str | None:
    keys = web_push.vapid_keys(tx)
    return keys.public_key if keys else None


async def show_v2(request: Request):
    db = database(request)
    # The Web Push key is read with the rest; made once, the first time it is missing.
    settings, snap, key = await db.read(lambda tx: (*_with_settings(tx), _vapid_public_key(tx)))
    if key is None:
        key = (await db.write(web_push.ensure_vapid_keys)).public_key
    return JSON(instance_v2(settings, {**snap, "vapid_public_key": key}))


async def rules(request: Request):
    def work(tx):
        return [_rule(r) for r in core_instance.rule_rows(tx)]

    return JSON(await database(request).read(work))


async def peers(request: Request):
    return JSON(await database(request).read(core_instance.peers))


async def activity(request: Request):
    return JSON(await database(request).read(core_instance.weekly_activity))


async def extended_description(request: Request):
    settings: Settings = request.app.state.settings

    def work(tx):
        content = settings.extra.get("extended_description") or (
            f"<p>{_escape(settings.instance_description)}</p>"
        )
        return {"updated_at": entities.iso(tx.now), "content": content}

    return JSON(await database(request).read(work))


async def privacy_policy(request: Request):
    """Mastodon's PrivacyPolicy: the operator's text, or Pnyx's default."""

    def work(tx):
        policy = instance_policies.privacy_policy(tx)
        return {"updated_at": entities.iso(policy.updated_at), "content": policy.content}

    return JSON(await database(request).read(work))


async def terms_of_service(request: Request):
    """Mastodon 4.4's TermsOfService; 404 when the instance has none."""

    def work(tx):
        terms = instance_policies.terms_of_service(tx)
        if terms is None:
            raise NotFound()
        return {
            "effective_date": terms.updated_at.date().isoformat(),
            "effective": True,
            "content": terms.content,
            "succeeded_by": None,
        }

    return JSON(await database(request).read(work))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


async def custom_emojis(request: Request):
    def work(tx):
        return [core_custom_emojis.shown(e) for e in core_instance.emojis(tx)]

    return JSON(await database(request).read(work))


async def preferences(request: Request):
    def work(tx):
        viewer = require(tx, request, "read:accounts")
        user = core_accounts.user_for_account(tx, viewer.account_id)
        return {
            "posting:default:visibility": user.default_visibility,
            "posting:default:sensitive": user.default_sensitive,
            "posting:default:language": user.default_language,
            "posting:default:quote_policy": user.default_quote_policy,
            "reading:expand:media": "default",
            "reading:expand:spoilers": False,
        }

    return JSON(await database(request).read(work))


routes = [
    Route("/api/v1/instance", show_v1, methods=["GET"]),
    Route("/api/v2/instance", show_v2, methods=["GET"]),
    Route("/api/v1/instance/rules", rules, methods=["GET"]),
    Route("/api/v1/instance/peers", peers, methods=["GET"]),
    Route("/api/v1/instance/activity", activity, methods=["GET"]),
    Route("/api/v1/instance/extended_description", extended_description, methods=["GET"]),
    Route("/api/v1/instance/privacy_policy", privacy_policy, methods=["GET"]),
    Route("/api/v1/instance/terms_of_service", terms_of_service, methods=["GET"]),
    Route("/api/v1/custom_emojis", custom_emojis, methods=["GET"]),
    Route("/api/v1/preferences", preferences, methods=["GET"]),
]
