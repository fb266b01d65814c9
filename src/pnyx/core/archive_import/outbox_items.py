"""outbox.json's items, one at a time, never the whole file in memory.

An outbox of 20,000 posts is tens of megabytes of JSON; loading it whole would cost ten times
that in Python objects. The file is read as a stream of parse events (ijson, with its C
parser) and each item of `orderedItems` is built on its own, within bounds: an item nested
deeper than `MAX_DEPTH` or larger than `MAX_ITEM_CHARS` is not built at all (`TooLarge` stands
in its place, so it is counted as failed), and what lies outside `orderedItems` is never
built. A file that is not JSON stops the reading with `ArchiveRefused`, naming where.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

import ijson  # type: ignore[import-untyped]

from pnyx.core.archive_import.archive_files import ArchiveRefused

ITEMS = "orderedItems.item"
MAX_DEPTH = 32  # a post is 5 levels deep (Create > Note > tag > Emoji > icon)
MAX_ITEM_CHARS = 1 << 20  # characters of strings and keys in one item


@dataclass(frozen=True)
class TooLarge:
    """An item left unbuilt: too deep or too large. `id` when one was seen at its top."""

    reason: str
    id: str | None = None


class _Builder:
    """One item from parse events, within the bounds; `failed` once it broke one."""

    def __init__(self) -> None:
        self.stack: list[Any] = []
        self.keys: list[str | None] = []
        self.root: Any = None
        self.chars = 0
        self.failed: str | None = None
        self.top_id: str | None = None

    def add(self, value: Any) -> None:
        if not self.stack:
            self.root = value
            return
        container = self.stack[-1]
        if isinstance(container, list):
            container.append(value)
        else:
            key = self.keys[-1]
            container[key] = value
            if len(self.stack) == 1 and key == "id" and isinstance(value, str):
                self.top_id = value[:2048]

    def event(self, kind: str, value: Any) -> None:
        if self.failed is not None:
            return
        if kind in ("start_map", "start_array"):
            if len(self.stack) >= MAX_DEPTH:
                self.failed = f"nested deeper than {MAX_DEPTH} levels"
                return
            container: Any = {} if kind == "start_map" else []
            self.add(container)
            self.stack.append(container)
            self.keys.append(None)
        elif kind in ("end_map", "end_array"):
            self.stack.pop()
            self.keys.pop()
        elif kind == "map_key":
            self.chars += len(value)
            self.keys[-1] = value
        else:
            if isinstance(value, str):
                self.chars += len(value)
            elif isinstance(value, Decimal):
                value = float(value)
            self.add(value)
        if self.chars > MAX_ITEM_CHARS:
            self.failed = f"larger than {MAX_ITEM_CHARS >> 10} KB"


_STARTS = ("start_map", "start_array")
_ENDS = ("end_map", "end_array")


def items(stream: IO[bytes]) -> Iterator[dict | TooLarge | Any]:
    """Each item of the outbox's `orderedItems`, in order: a dict (or whatever JSON value it
    is: the caller skips non-objects), or `TooLarge`.

    Read from ijson's basic events, whose depth is counted here: its prefixed events name
    every level in a string, which a file nested a million levels deep turns into gigabytes."""
    builder: _Builder | None = None
    level = 0  # open containers
    in_items = False  # inside the top object's orderedItems list
    key: str | None = None  # the top object's current key
    try:
        for kind, value in ijson.basic_parse(stream, use_float=False):
            if builder is not None:
                builder.event(kind, value)
                level += 1 if kind in _STARTS else -1 if kind in _ENDS else 0
                if level == 2:
                    done, builder = builder, None
                    yield TooLarge(done.failed, done.top_id) if done.failed else done.root
                continue
            if in_items and level == 2:
                if kind in _STARTS:
                    builder = _Builder()
                    builder.event(kind, value)
                    level += 1
                elif kind == "end_array":
                    in_items, level = False, 1
                else:
                    yield value  # a scalar item
                continue
            if kind in _STARTS:
                level += 1
                in_items = level == 2 and key == "orderedItems" and kind == "start_array"
            elif kind in _ENDS:
                level -= 1
            elif kind == "map_key" and level == 1:
                key = value
    except ijson.JSONError as exc:
        raise _not_json(exc) from None


def count(stream: IO[bytes]) -> int:
    """How many items the outbox holds: a pass over the whole file, which checks it is JSON
    (ArchiveRefused if not) without building anything."""
    return sum(1 for _ in _skimmed(stream))


def _skimmed(stream: IO[bytes]) -> Iterator[None]:
    level, in_items, key = 0, False, None
    try:
        for kind, value in ijson.basic_parse(stream):
            if in_items and level == 2 and kind not in _ENDS and kind != "map_key":
                yield None
            if kind in _STARTS:
                level += 1
                if level == 2:
                    in_items = key == "orderedItems" and kind == "start_array"
            elif kind in _ENDS:
                level -= 1
                if level == 1:
                    in_items = False
            elif kind == "map_key" and level == 1:
                key = value
    except ijson.JSONError as exc:
        raise _not_json(exc) from None


def _not_json(exc: Exception) -> ArchiveRefused:
    """yajl's message, on one line (it draws an arrow under the place on the next ones)."""
    first = " ".join(str(exc).split("\n")[0].split())
    return ArchiveRefused(f"outbox.json is not valid JSON ({first[:200]})")
