"""The Mastodon archive fixture (tests/fixtures/mastodon_archive/) as the zip a person
uploads, optionally changed first: the outbox's items, or members added or replaced."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, TypeVar

Target = TypeVar("Target", Path, BinaryIO)

FIXTURE = Path(__file__).parent / "fixtures" / "mastodon_archive"
ACTOR = "https://old.example/users/alice"


def outbox() -> dict:
    return json.loads((FIXTURE / "outbox.json").read_text())


def items() -> list[dict]:
    return outbox()["orderedItems"]


def make_zip(
    target: Target,
    *,
    change_items: Callable[[list[dict]], list[dict]] | None = None,
    members: dict[str, bytes] | None = None,
    leave_out: tuple[str, ...] = (),
) -> Target:
    """The archive as a zip at `target` (a path, or a file such as a BytesIO): the fixture's files, with `change_items` applied to
    the outbox's items, `members` added (or replacing the fixture's), `leave_out` left out."""
    extra = dict(members or {})
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(FIXTURE.rglob("*")):
            name = path.relative_to(FIXTURE).as_posix()
            if path.is_dir() or name == "README.md" or name in leave_out or name in extra:
                continue
            if name == "outbox.json" and change_items is not None:
                document = outbox()
                document["orderedItems"] = change_items(document["orderedItems"])
                document["totalItems"] = len(document["orderedItems"])
                archive.writestr(name, json.dumps(document))
                continue
            archive.write(path, name)
        for name, data in extra.items():
            archive.writestr(name, data)
    return target
