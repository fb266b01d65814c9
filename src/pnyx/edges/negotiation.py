"""One address, two audiences: a server asking for ActivityPub gets the document, a browser
gets the web page. `negotiated` builds the endpoint that picks between the two, so that
neither federation nor web needs to import the other; app.py routes `/@name` and `/@name/id`
through it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

Endpoint = Callable[[Request], Awaitable[Response]]

# Media types that ask for the ActivityPub document. Rails, under Mastodon, maps plain
# application/json to the same format, and some fetchers only send that.
AP_ACCEPT = frozenset({"application/activity+json", "application/ld+json", "application/json"})


def wants_activitypub(request: Request) -> bool:
    """Whether the Accept header asks for an ActivityPub document (any AP media type with a
    non-zero quality; parameters such as `profile` do not matter)."""
    for item in request.headers.get("accept", "").split(","):
        media, *params = item.split(";")
        if media.strip().lower() not in AP_ACCEPT:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value.strip())
                except ValueError:
                    quality = 1.0
        if quality > 0:
            return True
    return False


def _vary_on_accept(response: Response) -> None:
    """One URL, two answers chosen by Accept: every answer says so, or a shared cache could
    give a browser's page to a server (or the other way round)."""
    vary = response.headers.get("Vary", "")
    if "accept" not in [part.strip().lower() for part in vary.split(",")]:
        response.headers["Vary"] = f"{vary}, Accept" if vary.strip() else "Accept"


def negotiated(for_servers: Endpoint, for_browsers: Endpoint) -> Endpoint:
    """An endpoint answering with `for_servers` when ActivityPub is asked for, else with
    `for_browsers`."""

    async def endpoint(request: Request) -> Response:
        if wants_activitypub(request):
            response = await for_servers(request)
        else:
            response = await for_browsers(request)
        _vary_on_accept(response)
        return response

    endpoint.__name__ = f"{for_servers.__name__}_or_{for_browsers.__name__}"
    return endpoint
