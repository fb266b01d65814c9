"""Short pages that tell what happened instead of the page asked for: not found, gone,
refused (an expired form), and a core error in the visitor's language."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from pnyx.core.errors import CoreError
from pnyx.web.i18n import gettext_for
from pnyx.web.session import Visitor, respond


def message_page(
    request: Request,
    who: Visitor,
    status: int,
    heading: str,
    text: str,
    *,
    back_url: str | None = None,
) -> Response:
    """A short page telling what happened: an alert for errors, a status note otherwise."""
    return respond(
        request,
        who,
        "site/status_message.html",
        status=status,
        heading=heading,
        message=text,
        is_error=status >= 400,
        back_url=back_url,
    )


def not_found_page(request: Request, who: Visitor) -> Response:
    _ = gettext_for(who.language)
    response = message_page(
        request, who, 404, _("Not found"), _("This page does not exist or is not for you to see.")
    )
    response.headers["Vary"] = "Accept"
    return response


def gone_page(request: Request, who: Visitor) -> Response:
    """410 Gone: a post that was here and was deleted (federation.documents answers servers
    the same way)."""
    _ = gettext_for(who.language)
    response = message_page(request, who, 410, _("Deleted"), _("This post has been deleted."))
    response.headers["Vary"] = "Accept"
    return response


def refused(request: Request, who: Visitor) -> Response:
    """A form without a valid CSRF token (expired, or posted from another site)."""
    _ = gettext_for(who.language)
    return message_page(
        request, who, 403, _("Request refused"), _("Your form expired. Please try again.")
    )


def core_error_page(
    request: Request, who: Visitor, exc: CoreError, *, back_url: str | None = None
) -> Response:
    if exc.status == 404:
        return not_found_page(request, who)
    _ = gettext_for(who.language)
    return message_page(
        request,
        who,
        exc.status,
        _("That did not work"),
        _(exc.message),
        back_url=back_url,
    )
