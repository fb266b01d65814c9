"""Every feed algorithm this server runs, with what the catalog publishes about it.

An `Algorithm` names its module (where its parameters, description, changelog and `rank`
are declared), the shared modules it runs with (part of its version), and whether it is
served from a per-viewer snapshot (every order but `following`, which is the home timeline
itself). `ORDERS` are the algorithms a composed feed may be ordered by.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from pnyx.core import published
from pnyx.core.algorithms import (
    bridging,
    bridging_fit,
    catch_up,
    diverse,
    following,
    originals,
    snapshots,
    terms,
    versions,
)
from pnyx.core.algorithms import pool as pools
from pnyx.db.engine import Tx

SOURCE_ROOT = "src/pnyx/core/algorithms"


@dataclass(frozen=True)
class Algorithm:
    id: str
    module: ModuleType
    helpers: tuple[ModuleType, ...]  # shared code it runs with: part of its version
    snapshot: bool = True  # ranked pages are served from a per-viewer snapshot
    # It ranks the viewer's home pool alone (`pool.home_pool`), so the home feed's newest
    # entry tells when nothing new came: a fresh snapshot may be served again. Not so for
    # `catch-up` (engagements) and `bridging` (server-wide scores): always ranked anew.
    from_home_pool: bool = False

    @property
    def params(self) -> Any:
        return self.module.PARAMS

    @property
    def title(self) -> str:
        return str(self.module.TITLE)

    @property
    def description(self) -> str:
        return str(self.module.DESCRIPTION)

    @property
    def changelog(self) -> list[tuple[str, str]]:
        return list(self.module.CHANGELOG)

    @property
    def modules(self) -> tuple[ModuleType, ...]:
        return (self.module, *self.helpers)

    def version_with(self, params: Any) -> str:
        return versions.version_of(self.modules, params)

    @property
    def version(self) -> str:
        return self.version_with(self.params)

    @property
    def source_path(self) -> str:
        """The module's path in the source tree (what PNYX_SOURCE_URL is joined with)."""
        return published.source_path(self.module)

    def gather(self, tx: Tx, viewer_id: int) -> dict[str, Any]:
        """The inputs of this viewer's ranking, all read now (stored with the snapshot)."""
        if self.module is bridging:
            return bridging.gather(tx, viewer_id, self.version)
        result: dict[str, Any] = self.module.gather(tx, viewer_id, self.params)
        return result

    def over_pool(self, tx: Tx, viewer_id: int, pool: list[pools.PoolItem]) -> dict[str, Any]:
        """The inputs for ordering a given pool (a composed feed's) by this algorithm."""
        if self.module is bridging:
            return bridging.over_pool(tx, viewer_id, pool, self.version)
        result: dict[str, Any] = self.module.over_pool(tx, viewer_id, pool, self.params)
        return result

    def rank(self, inputs: dict[str, Any], params: Any = None) -> list[terms.Ranked]:
        """The order, a pure function of the inputs and the parameters (replayable)."""
        result: list[terms.Ranked] = self.module.rank(
            inputs, self.params if params is None else params
        )
        return result


_SHARED = (terms, pools)
ALGORITHMS: dict[str, Algorithm] = {
    a.id: a
    for a in (
        Algorithm("following", following, _SHARED, snapshot=False),
        Algorithm("originals", originals, _SHARED, from_home_pool=True),
        Algorithm("diverse", diverse, _SHARED, from_home_pool=True),
        Algorithm("catch-up", catch_up, _SHARED),
        Algorithm("bridging", bridging, (bridging_fit, *_SHARED)),
    )
}
DEFAULT = "following"
# The orders a composed feed may use, by the name its recipe gives.
ORDERS: dict[str, Algorithm] = {
    "newest": ALGORITHMS["following"],
    "catch-up": ALGORITHMS["catch-up"],
    "bridging": ALGORITHMS["bridging"],
}


def get(algorithm_id: str) -> Algorithm | None:
    return ALGORITHMS.get(algorithm_id)


def source_link(algorithm: Algorithm, source_url: str, base_url: str) -> str:
    """Where its code is published: PNYX_SOURCE_URL joined with the module's path, or this
    instance's own page of the running module's source when that is not set."""
    return published.source_link(
        algorithm.module, source_url, base_url, f"/feeds/{algorithm.id}/source"
    )


def describe(algorithm: Algorithm, source_url: str, base_url: str) -> dict[str, Any]:
    """The catalog entry (API and web page alike). A ranked algorithm's parameters include
    how long a first page may serve its snapshot again (`snapshots.REUSE_SECONDS`)."""
    published = parameters(algorithm.params)
    if algorithm.from_home_pool:
        published.append({"name": "reuse_seconds", "value": snapshots.REUSE_SECONDS})
    return {
        "id": algorithm.id,
        "type": "algorithm",
        "title": algorithm.title,
        "description": algorithm.description,
        "parameters": published,
        "version": algorithm.version,
        "changelog": [{"date": d, "text": t} for d, t in algorithm.changelog],
        "source_url": source_link(algorithm, source_url, base_url),
        "ranked": algorithm.snapshot,
    }


def parameters(params: Any) -> list[dict[str, Any]]:
    return [{"name": f.name, "value": getattr(params, f.name)} for f in dataclasses.fields(params)]
