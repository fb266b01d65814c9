"""Routing that looks at the few routes a path could match, not at all of them.

Starlette's router tries every route's regular expression in order until one matches. Pnyx
has some 550 routes (the Mastodon API, ActivityPub, the web UI), so an API request tried ~170
of them first: ~250 µs per request, more than ten times what the rest of Starlette costs, and
most of what a trivial endpoint cost (BENCHMARKS.md, "A fast request path").

A route's path starts with literal segments (`/api/v1/timelines/...`) before its first
parameter. A request can only match a route whose literal leading segments are the
request's own leading segments, so the routes are indexed by up to `DEPTH` of them, and a
request tries, in their original order, only the routes filed under its own leading segments
(and those with no literal segment at all, such as `/@{username}`). The answer is the same
route Starlette would pick: the same routes in the same order, minus those that cannot match.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from starlette.routing import BaseRoute, Match, Router, get_route_path
from starlette.types import Receive, Scope, Send

DEPTH = 3  # leading segments indexed: `/api/v1/<resource>` tells most API routes apart
MEMO_LIMIT = 4096  # leading-segment tuples remembered (bounded: paths are the client's)


def literal_head(path: str) -> tuple[str, ...]:
    """The literal segments a route's path starts with, up to DEPTH (none past a parameter)."""
    head = []
    for segment in path.split("/")[1 : DEPTH + 1]:
        if "{" in segment:
            break
        head.append(segment)
    return tuple(head)


class IndexedRouter(Router):
    """A Starlette Router that only tries the routes a request's path could match."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._indexed_count = -1
        self._by_head: dict[tuple[str, ...], list[int]] = {}
        self._memo: dict[tuple[str, ...], list[BaseRoute]] = {}

    def _index(self) -> None:
        by_head: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for position, route in enumerate(self.routes):
            path = getattr(route, "path", None)
            by_head[literal_head(path) if isinstance(path, str) else ()].append(position)
        self._by_head = dict(by_head)
        self._memo = {}
        self._indexed_count = len(self.routes)

    def candidates(self, route_path: str) -> list[BaseRoute]:
        """The routes `route_path` could match, in their order."""
        if self._indexed_count != len(self.routes):  # routes added after start: index again
            self._index()
        segments = tuple(route_path.split("/")[1 : DEPTH + 1])
        found = self._memo.get(segments)
        if found is None:
            positions: list[int] = []
            for depth in range(len(segments) + 1):
                positions.extend(self._by_head.get(segments[:depth], ()))
            found = [self.routes[i] for i in sorted(positions)]
            if len(self._memo) < MEMO_LIMIT:
                self._memo[segments] = found
        return found

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await super().app(scope, receive, send)
            return
        if "router" not in scope:
            scope["router"] = self
        partial = None
        partial_scope: dict = {}
        for route in self.candidates(get_route_path(scope)):
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                scope["route"] = route
                scope.update(child_scope)
                await route.handle(scope, receive, send)
                return
            if match is Match.PARTIAL and partial is None:
                partial, partial_scope = route, child_scope
        if partial is not None:  # the path matches, not the method: 405 from the route
            scope["route"] = partial
            scope.update(partial_scope)
            await partial.handle(scope, receive, send)
            return
        # Nothing matched: Starlette's own handling (trailing-slash redirects, then 404).
        await super().app(scope, receive, send)
