"""Where a module's code is published, so that every public explanation of a formula (the
feed catalog, trends, suggestions) links to the code that computes it.

`PNYX_SOURCE_URL` joined with the module's path in the source tree when the operator publishes
one; else a page of this instance that serves the running module's text (so the link shows
exactly what runs, even for a modified copy).
"""

from __future__ import annotations

from types import ModuleType


def source_path(module: ModuleType) -> str:
    """The module's file in the source tree: `pnyx.core.trends` -> `src/pnyx/core/trends.py`."""
    return "src/" + module.__name__.replace(".", "/") + ".py"


def source_link(module: ModuleType, source_url: str, base_url: str, own_page: str) -> str:
    """The published source of `module`, or `own_page` (a path on this instance) unset."""
    if source_url:
        return f"{source_url.rstrip('/')}/{source_path(module)}"
    return f"{base_url}{own_page}"
