"""How other servers find this instance and its people: WebFinger, host-meta and NodeInfo.

A remote server that meets `@alice@pnyx.example` asks WebFinger for the actor URL behind the
handle, then fetches the actor itself (actor_documents.py). Mastodon also asks the reverse
question — "which handle does this actor URL have?" — so the URL forms of a local actor are
answered too.
NodeInfo tells crawlers and client apps which software runs here and how big the instance is.

Choices where Mastodon's behaviour was weighed:
- A suspended account answers 404, not 410. Mastodon treats a 410 from WebFinger as "this
  account is gone for good" and deletes its copy of the account (follows, posts); a Pnyx
  suspension can be undone, so it must not trigger that. Sign-ups not yet approved or confirmed
  are 404 too: their names must not leak before the staff let them in.
- `openRegistrations` is true for `open` and `approval`, as Mastodon reports it (anyone may
  apply); false for `invite` and `closed`.
"""

from __future__ import annotations

import importlib.metadata
from datetime import timedelta
from urllib.parse import quote, urlsplit
from xml.sax.saxutils import quoteattr

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import pnyx
from pnyx.config import Settings
from pnyx.core import federation_reads as reads
from pnyx.core import instance as core_instance
from pnyx.core import uris
from pnyx.edges.http import database

JRD = "application/jrd+json; charset=utf-8"
XRD = "application/xrd+xml; charset=utf-8"
AP_TYPE = "application/activity+json"
PROFILE_PAGE = "http://webfinger.net/rel/profile-page"
SUBSCRIBE = "http://ostatus.org/schema/1.0/subscribe"
NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/{version}"
NODEINFO_VERSIONS = ("2.0", "2.1")
# Long enough that a busy remote server does not ask again for every post; short for misses,
# so a new account becomes findable quickly.
FOUND_CACHE = "max-age=259200, public"
MISS_CACHE = "max-age=180, public"
MAX_RESOURCE = 2048
HALF_YEAR = timedelta(days=180)
MONTH = timedelta(days=30)


class BadResource(Exception):
    """The `resource` parameter is missing or is neither an acct: handle nor an http(s) URL."""


def _json(
    body: dict, status: int = 200, media_type: str = "application/json", **headers
) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=media_type, headers=headers)


def _empty(status: int) -> Response:
    return Response(b"", status_code=status, headers={"Cache-Control": MISS_CACHE})


# --- WebFinger ------------------------------------------------------------------------------


INSTANCE_ACTOR = object()  # what a resource naming the instance actor resolves to


def username_from_resource(resource: str, settings: Settings):
    """The local username a resource names, `INSTANCE_ACTOR`, or None when it names nothing
    here (another domain, or a URL that is not a local actor). Raises BadResource when the
    resource cannot be read at all."""
    resource = (resource or "").strip()
    if not resource or len(resource) > MAX_RESOURCE:
        raise BadResource()
    lowered = resource.lower()
    if lowered.startswith(("http://", "https://")):
        return _username_from_url(resource, settings)
    if lowered.startswith("acct:"):
        resource = resource[5:]
    resource = resource.lstrip("@")
    username, at, domain = resource.partition("@")
    if not at or not username or not domain:
        raise BadResource()
    if domain.lower() != settings.domain.lower():
        return None
    if username.lower() == settings.domain.lower():
        return INSTANCE_ACTOR
    return username


def _username_from_url(resource: str, settings: Settings):
    parts = urlsplit(resource)
    base = urlsplit(settings.base_url)
    if parts.scheme.lower() != base.scheme or parts.netloc.lower() != base.netloc.lower():
        return None
    path = parts.path.rstrip("/")
    if path == "/actor":
        return INSTANCE_ACTOR
    if path.startswith("/users/"):
        name = path[len("/users/") :]
    elif path.startswith("/@"):
        name = path[len("/@") :]
    else:
        return None
    return name if name and "/" not in name else None


def account_jrd(settings: Settings, username: str, uri: str, url: str | None) -> dict:
    web = url or uris.account_url(settings, username)
    return {
        "subject": f"acct:{username}@{settings.domain}",
        "aliases": [web, uri],
        "links": [
            {"rel": PROFILE_PAGE, "type": "text/html", "href": web},
            {"rel": "self", "type": AP_TYPE, "href": uri},
            {
                "rel": SUBSCRIBE,
                "template": f"{settings.base_url}/authorize_interaction?uri={{uri}}",
            },
        ],
    }


def instance_actor_jrd(settings: Settings) -> dict:
    actor = f"{settings.base_url}/actor"
    return {
        "subject": f"acct:{settings.domain}@{settings.domain}",
        "aliases": [actor],
        "links": [
            {"rel": PROFILE_PAGE, "type": "text/html", "href": f"{settings.base_url}/about"},
            {"rel": "self", "type": AP_TYPE, "href": actor},
        ],
    }


async def webfinger(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    try:
        target = username_from_resource(request.query_params.get("resource", ""), settings)
    except BadResource:
        return _empty(400)
    if target is None:
        return _empty(404)
    if target is INSTANCE_ACTOR:
        body = instance_actor_jrd(settings)
    else:
        row = await database(request).read(reads.discoverable_local, target)
        if row is None:
            return _empty(404)
        body = account_jrd(settings, row.username, row.uri, row.url)
    return _json(body, media_type=JRD, **{"Cache-Control": FOUND_CACHE})


# --- host-meta ------------------------------------------------------------------------------


async def host_meta(request: Request) -> Response:
    """The older way (RFC 6415) to find the WebFinger endpoint; some software still asks it."""
    settings: Settings = request.app.state.settings
    template = f"{settings.base_url}/.well-known/webfinger?resource={{uri}}"
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" template={quoteattr(template)}/>\n'
        "</XRD>\n"
    )
    return Response(body.encode(), media_type=XRD, headers={"Cache-Control": FOUND_CACHE})


# --- NodeInfo -------------------------------------------------------------------------------


async def nodeinfo_links(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    links = [
        {
            "rel": NODEINFO_SCHEMA.format(version=v),
            "href": f"{settings.base_url}/nodeinfo/{quote(v)}",
        }
        for v in NODEINFO_VERSIONS
    ]
    return _json({"links": links}, **{"Cache-Control": MISS_CACHE})


def software_version() -> str:
    try:
        return importlib.metadata.version("pnyx")
    except importlib.metadata.PackageNotFoundError:
        return pnyx.__version__


def usage(tx) -> dict:
    stats = core_instance.stats(tx)
    return {
        "users": {
            "total": stats.user_count,
            "activeMonth": core_instance.active_users(tx, tx.now - MONTH),
            "activeHalfyear": core_instance.active_users(tx, tx.now - HALF_YEAR),
        },
        "localPosts": stats.status_count,
    }


def nodeinfo_document(settings: Settings, version: str, usage_counts: dict) -> dict:
    software = {"name": "pnyx", "version": software_version()}
    if version == "2.1" and settings.source_url:
        # Both name the software's home, not this instance's; left out when none is set.
        software["repository"] = settings.source_url
        software["homepage"] = settings.source_url
    return {
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": settings.registrations in ("open", "approval"),
        "usage": usage_counts,
        "metadata": {
            "nodeName": settings.instance_title,
            "nodeDescription": settings.instance_description,
            # Client libraries that sort servers by `software.name` (megalodon) accept a name
            # they do not know only when it says which API it follows: Mastodon's, at the
            # version /api/v2/instance claims.
            "upstream": {"name": "mastodon", "version": pnyx.MASTODON_COMPAT_VERSION},
        },
    }


async def nodeinfo(request: Request) -> Response:
    version = request.path_params["version"]
    if version not in NODEINFO_VERSIONS:
        return _json({"error": "Not Found"}, status=404)

    def work(tx):
        from pnyx.core.instance_settings import effective_settings

        return effective_settings(tx), usage(tx)

    settings, counts = await database(request).read(work)
    body = nodeinfo_document(settings, version, counts)
    media = f'application/json; profile="{NODEINFO_SCHEMA.format(version=version)}#"'
    return _json(body, media_type=media, **{"Cache-Control": "max-age=1800, public"})


routes = [
    Route("/.well-known/webfinger", webfinger, methods=["GET"]),
    Route("/.well-known/host-meta", host_meta, methods=["GET"]),
    Route("/.well-known/nodeinfo", nodeinfo_links, methods=["GET"]),
    Route("/nodeinfo/{version}", nodeinfo, methods=["GET"]),
]
