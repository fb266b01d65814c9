"""The about page: who runs this instance, its rules, the servers its moderators limit or
block (with their public comment), and what it runs on."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pnyx import __version__
from pnyx.core import domain_blocks
from pnyx.core import instance as core_instance
from pnyx.edges.http import database
from pnyx.web.session import respond, visitor


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
        return core_instance.stats(tx), core_instance.rule_rows(tx), blocks

    stats, rules, blocks = await database(request).read(work)
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
    )


routes = [Route("/about", about, methods=["GET"])]
