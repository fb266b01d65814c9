"""An algorithm's version: a short hash of the code that runs it and the parameters it runs
with.

    version = sha256(source of each module it uses, in order, then the canonical JSON of its
                     parameters)[:12]

The sources are the running modules' files (what `/feeds/:id/source` serves), so a change of
code or of one parameter makes a new version, and a page's `Pnyx-Feed-Version` names
exactly what ranked it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
from collections.abc import Sequence
from functools import cache
from types import ModuleType
from typing import Any


def canonical_json(value: Any) -> str:
    """Parameters as JSON with sorted keys and no spaces: the same values, the same text."""

    def plain(item: Any) -> Any:
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            return dataclasses.asdict(item)
        raise TypeError(f"not a parameter value: {item!r}")

    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=plain
    )


@cache
def source_of(module: ModuleType) -> str:
    """The running module's source text (read once per process)."""
    return inspect.getsource(module)


def version_of(modules: Sequence[ModuleType], params: Any) -> str:
    digest = hashlib.sha256()
    for module in modules:
        digest.update(source_of(module).encode())
        digest.update(b"\0")
    digest.update(canonical_json(params).encode())
    return digest.hexdigest()[:12]
