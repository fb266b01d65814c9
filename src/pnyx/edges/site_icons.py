"""The instance's icon at the sizes apps ask for (the Instance entity's `icon`, Mastodon 4.3).

One picture, the site's favicon, holds every size; apps want a PNG per size, so each is taken
out of it once and kept in memory (a few kilobytes)."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from PIL import Image

FAVICON = Path(__file__).parent.parent / "web" / "static" / "favicon.ico"
SIZES = (16, 32, 48, 64)  # the frames favicon.ico holds


def icon_entities(base_url: str) -> list[dict[str, str]]:
    """The Instance entity's `icon`: one PNG per size, smallest first."""
    return [{"src": f"{base_url}/icons/{n}x{n}.png", "size": f"{n}x{n}"} for n in SIZES]


@cache
def png_of(size: int) -> bytes:
    """The favicon's `size` frame as a PNG; `size` must be one of SIZES."""
    if size not in SIZES:
        raise ValueError(f"no icon of {size}x{size}")
    with Image.open(FAVICON) as ico:
        frame = ico.ico.getimage((size, size)).convert("RGBA")  # type: ignore[attr-defined]
    out = io.BytesIO()
    frame.save(out, format="PNG", optimize=True)
    return out.getvalue()
