"""The ASGI application: settings, database, routes, error handling, in-process workers."""

from __future__ import annotations

import contextlib
import gc
import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from pnyx import registry
from pnyx.api import imports as api_imports
from pnyx.api.body_limit import BodyLimitMiddleware
from pnyx.api.media import MEDIA_PATHS, upload_limit
from pnyx.api.profile_images import PROFILE_PATHS, profile_upload_limit
from pnyx.config import Settings, load_settings
from pnyx.core import labels as core_labels
from pnyx.core import media, profile_media
from pnyx.core.errors import CoreError
from pnyx.core.notes import actor as notes_actor
from pnyx.db.engine import Database
from pnyx.db.migrate import upgrade
from pnyx.edges import archive_uploads
from pnyx.edges.archive_uploads import ARCHIVE_PATHS
from pnyx.edges.http import ApiError, error_response
from pnyx.edges.negotiation import negotiated
from pnyx.edges.routing import IndexedRouter
from pnyx.process_memory import return_large_buffers
from pnyx.streaming.broker import Broker

log = logging.getLogger("pnyx")


def collect_routes() -> list[BaseRoute]:
    """Every module that serves HTTP contributes its `routes`; the order here is the URL map:
    the client API, then what servers read, then the web pages, then the addresses both
    audiences share."""
    routes: list[BaseRoute] = []
    for module in (*_api_modules(), *_federation_modules(), *_web_modules()):
        routes.extend(module.routes)
    return routes + _negotiated_routes()


def _api_modules() -> list:
    from pnyx.api import (
        accounts,
        announcements,
        apps,
        archive_imports,
        conversations,
        copies,
        domain_blocks,
        endorsements,
        exports,
        feed_pins,
        feeds,
        filters,
        imports,
        instance,
        labels,
        lists,
        media,
        moderation_lists,
        moderation_log,
        moves,
        notes,
        notification_requests,
        notifications,
        oauth,
        polls,
        pull_moves,
        push,
        relationships,
        reports,
        scheduled_statuses,
        search,
        statuses,
        streaming,
        tags,
        timelines,
        trends,
        user_lists,
    )

    return [
        instance,
        announcements,
        apps,
        oauth,
        accounts,
        relationships,
        endorsements,
        domain_blocks,
        statuses,
        scheduled_statuses,
        media,
        polls,
        timelines,
        conversations,
        notification_requests,  # before notifications: /api/v2/notifications/policy
        notifications,
        push,
        user_lists,
        lists,
        tags,
        trends,
        feeds,
        feed_pins,
        filters,
        archive_imports,  # before imports: /api/v1/pnyx/imports/archive
        copies,
        imports,
        exports,
        reports,
        moderation_log,
        labels,
        moderation_lists,
        moves,
        pull_moves,  # /api/v1/pnyx/move/announce: a move announced from the new account
        notes,
        search,
        streaming,
        *_admin_api_modules(),
    ]


def _admin_api_modules() -> list:
    from pnyx.api import (
        admin_accounts,
        admin_domain_blocks,
        admin_labels,
        admin_notes,
        admin_reports,
        admin_trends,
    )

    return [
        admin_accounts,
        admin_reports,
        admin_domain_blocks,
        admin_trends,
        admin_labels,
        admin_notes,
    ]


def _federation_modules() -> list:
    from pnyx.federation import (
        actor_collections,
        actor_documents,
        discovery,
        inbox,
        label_pages,
        moderation_documents,
        moderation_list_documents,
        note_pages,
        portability_pages,
        status_documents,
    )

    return [
        discovery,
        actor_documents,
        status_documents,
        actor_collections,
        moderation_documents,
        label_pages,
        moderation_list_documents,
        note_pages,
        portability_pages,
        inbox,
    ]


def _web_modules() -> list:
    from pnyx.web import about as web_about
    from pnyx.web import admin as web_admin
    from pnyx.web import admin_appeals as web_admin_appeals
    from pnyx.web import admin_emojis as web_admin_emojis
    from pnyx.web import archive_import_pages as web_archive_import_pages
    from pnyx.web import auth as web_auth
    from pnyx.web import copy_pages as web_copy_pages
    from pnyx.web import explore as web_explore
    from pnyx.web import export_pages as web_export_pages
    from pnyx.web import feed_pages as web_feed_pages
    from pnyx.web import feeds as web_feeds
    from pnyx.web import import_pages as web_import_pages
    from pnyx.web import labeler_settings as web_labeler_settings
    from pnyx.web import live as web_live
    from pnyx.web import moderation_page as web_moderation
    from pnyx.web import move_pages as web_move_pages
    from pnyx.web import note_pages as web_note_pages
    from pnyx.web import notifications as web_notifications
    from pnyx.web import pages
    from pnyx.web import profiles as web_profiles
    from pnyx.web import pull_move_pages as web_pull_move_pages
    from pnyx.web import search as web_search
    from pnyx.web import settings as web_settings
    from pnyx.web import statuses as web_statuses
    from pnyx.web import strike_pages as web_strike_pages
    from pnyx.web import timelines as web_timelines

    return [
        web_timelines,
        web_about,
        web_moderation,
        web_strike_pages,
        web_feeds,
        web_feed_pages,
        web_explore,
        web_auth,
        web_settings,
        web_labeler_settings,
        web_export_pages,
        web_archive_import_pages,
        web_copy_pages,  # before imports: /settings/import/copy
        web_import_pages,
        web_move_pages,
        web_pull_move_pages,
        web_note_pages,
        web_admin,
        web_admin_appeals,
        web_admin_emojis,
        web_statuses,
        web_profiles,
        web_notifications,
        web_search,
        web_live,
        pages,
    ]


def _negotiated_routes() -> list[BaseRoute]:
    """`/@name` and `/@name/id` serve both audiences (Mastodon answers there too): the
    document for servers, the web page (profile, post with its thread, profile tabs) for
    browsers. Chosen here, so that neither federation nor web imports the other. No other
    route matches these paths."""
    from pnyx.federation import actor_documents, label_pages, status_documents
    from pnyx.federation import note_pages as note_documents
    from pnyx.web import label_page as web_label_page
    from pnyx.web import note_pages as web_note_pages
    from pnyx.web import profiles as web_profiles
    from pnyx.web import statuses as web_statuses

    return [
        Route(
            "/@{username}",
            negotiated(actor_documents.actor_document, web_profiles.profile_page),
            methods=["GET"],
        ),
        Route(
            "/@{username}/{id}",
            negotiated(status_documents.note_document, web_statuses.post_page),
            methods=["GET"],
        ),
        # A label: its signed object for servers, its page (web.label_page) for people.
        Route(
            "/labels/{id:int}",
            negotiated(label_pages.label_document, web_label_page.label_page),
            methods=["GET"],
        ),
        # A community note: its signed object for servers, its page (web.note_pages) for people.
        Route(
            "/notes/{id:int}",
            negotiated(note_documents.note_document, web_note_pages.note_page),
            methods=["GET"],
        ),
    ]


class StripTrailingSlash:
    """Mastodon clients call `/api/v1/instance/` and `/oauth/authorize/`: serve both spellings."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            path = scope["path"]
            if len(path) > 1 and path.endswith("/"):
                scope = dict(scope, path=path.rstrip("/") or "/")
        await self.app(scope, receive, send)


CORS_PREFIXES = ("/api/", "/oauth/token", "/oauth/revoke", "/.well-known/", "/nodeinfo")


class ApiCORS:
    """Browser clients (Elk, Phanpy, masto.js) call the API from other origins. As Mastodon
    does, the API and the token endpoints allow any origin without credentials and expose the
    pagination and rate-limit headers; the HTML pages (sign-in, consent) get no CORS at all."""

    def __init__(self, app):
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=["*"],
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=["*"],
            expose_headers=[
                "Link",
                "X-RateLimit-Limit",
                "X-RateLimit-Remaining",
                "X-RateLimit-Reset",
                "X-Request-Id",
                "Pnyx-Feed-Version",  # which algorithm version served a feed page
            ],
            max_age=86400,
        )

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith(CORS_PREFIXES):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


# Paths that always answer in Mastodon's JSON error format, whoever asks.
MACHINE_PREFIXES = (
    "/api/",
    "/oauth/token",
    "/oauth/revoke",
    "/.well-known/",
    "/nodeinfo",
    "/inbox",
    "/actor",
    "/users/",
    "/live/",
)


def _for_a_browser(request: Request) -> bool:
    """A person's browser asking for a page gets an HTML error page, not JSON."""
    return not request.url.path.startswith(MACHINE_PREFIXES) and "text/html" in request.headers.get(
        "accept", ""
    )


def _error(request: Request, status: int, message: str, **extra):
    if not _for_a_browser(request):
        return error_response(status, message, **extra)
    from pnyx.web import i18n, rendering

    language = i18n.negotiate(request.headers.get("accept-language"))
    _ = i18n.translations(language).gettext
    headings = {404: _("Page not found"), 403: _("Not allowed")}
    heading = headings.get(status, _("Something went wrong"))
    text = _("This page does not exist, or is not for your eyes.") if status == 404 else message
    return rendering.page(
        request,
        "site/error.html",
        status=status,
        language=language,
        heading=heading,
        message=text,
        viewer=None,
        csrf_token="",
    )


async def _api_error(request: Request, exc: ApiError):
    return _error(request, exc.status, exc.message, **exc.extra)


async def _core_error(request: Request, exc: CoreError):
    return _error(request, exc.status, exc.message)


async def _http_error(request: Request, exc: HTTPException):
    message = {404: "Not Found", 405: "Method Not Allowed"}.get(exc.status_code, exc.detail)
    return _error(request, exc.status_code, str(message))


async def _crash(request: Request, exc: Exception):
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return _error(request, 500, "Internal server error")


def create_app(settings: Settings | None = None, *, run_workers: bool = True, migrate: bool = True):
    settings = settings or load_settings()
    db = Database(settings)
    if migrate:
        upgrade(db.engine)
    # The instance's labeler exists before any page is read (the reading rules kept between
    # requests name it: core.label_rules.rules_of); `pnyx serve` has migrated by now.
    db.run_sync(core_labels.instance_labeler)
    db.run_sync(notes_actor.notes_actor)  # other servers may ask for it (peering) at once

    @contextlib.asynccontextmanager
    async def lifespan(app):
        # Everything loaded at start-up lives as long as the process: move it out of the
        # collector's sight, and collect young objects less often (a page of 20 statuses makes
        # thousands of short-lived rows and dicts).
        gc.collect()
        gc.freeze()
        gc.set_threshold(20_000, 20, 20)
        workers = None
        if run_workers and settings.job_workers > 0:
            # Several threads, so that one slow remote server does not hold up every delivery;
            # every queue is served, with a thread kept for work other than deliveries.
            workers = registry.worker_pool(db, settings.job_workers).start()
        # The live streams of this process (the streaming API): its clients, and the
        # signals of what happened, from PostgreSQL's LISTEN or, on SQLite, this process.
        broker = app.state.stream_broker = Broker(db)
        await broker.start()
        try:
            yield
        finally:
            await broker.stop()
            if workers is not None:
                workers.stop()
            await db.close_reads()
            db.dispose()

    from pnyx.edges.ratelimit import RateLimitMiddleware, RateLimits

    app = Starlette(
        routes=collect_routes(),
        lifespan=lifespan,
        exception_handlers={
            ApiError: _api_error,
            CoreError: _core_error,
            HTTPException: _http_error,
            Exception: _crash,
        },
    )
    # Starlette's router tries every route in turn; this one only those a path could match
    # (pnyx.edges.routing): the same answers, without ~250 µs per request.
    app.router = IndexedRouter(app.router.routes, lifespan=lifespan)
    app.state.settings = settings
    app.state.db = db
    app.state.rate_limits = RateLimits(settings)
    app.add_middleware(RateLimitMiddleware, settings=settings, limits=app.state.rate_limits)
    app.add_middleware(ApiCORS)
    app.add_middleware(StripTrailingSlash)
    # Outermost: no layer may read more of a body than the limit allows.
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_request_bytes,
        larger={
            **{prefix: upload_limit(settings) for prefix in MEDIA_PATHS},
            **{path: profile_upload_limit(settings) for path in PROFILE_PATHS},
            # The web's forms that carry images: the profile, and a post with its images.
            "/settings/profile": profile_media.form_limit(settings),
            "/statuses": media.post_form_limit(settings),
            # An archive's zip parts (PNYX_IMPORT_MAX_MB), to the API or the settings page;
            # before the CSV files' paths, which are prefixes of the API's.
            **{path: archive_uploads.upload_limit(settings) for path in ARCHIVE_PATHS},
            # Mastodon's CSV files (20 MB), sent to the API or the settings page's form.
            api_imports.PATH: api_imports.upload_limit(settings),
            "/settings/import/csv": api_imports.upload_limit(settings),
        },
    )
    return app


def app_factory():
    """Entry point for `uvicorn --factory` (used by `pnyx serve --workers N`)."""
    return_large_buffers()  # a served process gives an image's buffers back once processed
    return create_app(migrate=False)
