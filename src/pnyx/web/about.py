"""The about page (who runs this instance, its rules, the servers its moderators limit or
block with their public comment, and what it runs on), its privacy policy and terms of
service (`core.instance_policies`), and its icon."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from pnyx import __version__
from pnyx.core import domain_blocks, instance_policies, labels
from pnyx.core import instance as core_instance
from pnyx.edges import site_icons
from pnyx.edges.http import database
from pnyx.web.i18n import gettext_for
from pnyx.web.message_pages import not_found_page
from pnyx.web.session import respond, visitor

FAVICON = Path(__file__).parent / "static" / "favicon.ico"


async def about(request: Request) -> Response:
    who = await visitor(request)
    settings = who.site or request.app.state.settings

    def work(tx):
        blocks = [
            {
                "domain": domain_blocks.shown_domain(b),
                "severity": b.severity,
                "comment": b.public_comment,
            }
            for b in domain_blocks.public_list(tx)
        ]
        labeler = labels.instance_labeler_id(tx)
        definitions = labels.definitions_of(tx, labeler) if labeler is not None else []
        return core_instance.stats(tx), core_instance.rule_rows(tx), blocks, definitions

    stats, rules, blocks, definitions = await database(request).read(work)
    return respond(
        request,
        who,
        "site/about.html",
        description=settings.instance_description,
        contact_email=settings.contact_email,
        registrations=settings.registrations,
        source_url=settings.source_url,
        version=__version__,
        domain=settings.domain,
        stats=stats,
        rules=rules,
        domain_blocks=blocks,
        instance_labels=definitions,
        labeler_name=labels.INSTANCE_LABELER,
    )


async def _policy_page(request: Request, read, title: str) -> Response:
    who = await visitor(request)
    policy = await database(request).read(read)
    if policy is None:
        return not_found_page(request, who)
    _ = gettext_for(who.language)
    return respond(
        request,
        who,
        "site/policy.html",
        heading=_("Privacy policy") if title == "privacy" else _("Terms of service"),
        content=policy.content,
        updated_at=policy.updated_at.date().isoformat(),
    )


async def privacy_policy(request: Request) -> Response:
    return await _policy_page(request, instance_policies.privacy_policy, "privacy")


async def terms_of_service(request: Request) -> Response:
    return await _policy_page(request, instance_policies.terms_of_service, "terms")


async def favicon(request: Request) -> Response:
    return FileResponse(
        FAVICON, media_type="image/x-icon", headers={"Cache-Control": "public, max-age=86400"}
    )


async def icon(request: Request) -> Response:
    size = request.path_params["size"]
    if size not in site_icons.SIZES or request.path_params["other"] != size:
        return Response("Not found", status_code=404, media_type="text/plain")
    return Response(
        site_icons.png_of(size),
        media_type="image/png",
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )


routes = [
    Route("/about", about, methods=["GET"]),
    Route("/privacy-policy", privacy_policy, methods=["GET"]),
    Route("/terms-of-service", terms_of_service, methods=["GET"]),
    Route("/favicon.ico", favicon, methods=["GET"]),
    Route("/icons/{size:int}x{other:int}.png", icon, methods=["GET"]),
]
