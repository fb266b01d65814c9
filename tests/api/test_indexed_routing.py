"""The indexed router (`pnyx.edges.routing`) picks exactly the route Starlette's linear scan
picks, for a path made from every route of the app, for each method, and for paths that
match nothing."""

from __future__ import annotations

import re

from starlette.routing import Match

from pnyx.edges.routing import IndexedRouter, literal_head

SAMPLES = {"int": "12345", "path": "a/b.css", "str": "someone", "": "someone"}


def concrete(path: str) -> str:
    """A request path the route's template matches (each parameter given a sample value)."""
    return re.sub(r"\{[^}:]+(?::([^}]+))?\}", lambda m: SAMPLES.get(m.group(1) or "", "1"), path)


def linear_pick(routes, scope):
    partial = None
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return route
        if match is Match.PARTIAL and partial is None:
            partial = route
    return partial


def scope_of(path: str, method: str) -> dict:
    return {"type": "http", "path": path, "root_path": "", "method": method, "headers": []}


def test_the_index_picks_the_route_a_linear_scan_picks(app):
    router = app.router
    assert isinstance(router, IndexedRouter)
    paths = {concrete(r.path) for r in router.routes if isinstance(getattr(r, "path", None), str)}
    paths |= {"/", "/nowhere", "/api/v1/nowhere", "/api/v1/statuses/1/nowhere", "/@x/1/2/3"}
    assert len(paths) > 100
    tried = 0
    for path in sorted(paths):
        for method in ("GET", "POST", "DELETE"):
            scope = scope_of(path, method)
            expected = linear_pick(router.routes, scope)
            assert linear_pick(router.candidates(path), scope) is expected, (method, path)
            tried += 1
    # And it is an index: an API path is tried against a few routes, not all of them.
    assert len(router.candidates("/api/v1/timelines/home")) < len(router.routes) / 10


def test_literal_heads():
    assert literal_head("/api/v1/timelines/tag/{hashtag}") == ("api", "v1", "timelines")
    assert literal_head("/@{username}/{id}") == ()
    assert literal_head("/users/{username}/inbox") == ("users",)
    assert literal_head("/") == ("",)
