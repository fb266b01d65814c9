"""Custom emojis in pages: `:shortcode:` shown as the image the entity's `emojis` names.

Apps do this themselves from the entity; pages do it here, with two Jinja filters. `emojify`
takes HTML already sanitized when it was stored (a post's content, a bio, a field's value) and
replaces shortcodes in its text only, never inside a tag or an attribute; `emojify_text` takes
plain text (a name, a content warning, a poll option), escapes it, then replaces. The image's
address and its `alt` (the shortcode itself, so that a screen reader and a copy keep the
text) are escaped; a shortcode the entity does not list stays as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from markupsafe import Markup, escape

from pnyx.core.custom_emojis import IN_TEXT

_TAG = re.compile(r"(<[^>]*>)")


def _images(emojis: Iterable[Mapping] | None) -> dict[str, str]:
    """shortcode -> the <img> showing it."""
    images = {}
    for e in emojis or ():
        code, url = e.get("shortcode"), e.get("url")
        if isinstance(code, str) and isinstance(url, str) and url.startswith(("https:", "http:")):
            alt = escape(f":{code}:")
            images[code] = (
                f'<img class="emoji" src="{escape(url)}" alt="{alt}" title="{alt}"'
                ' width="20" height="20" loading="lazy" decoding="async">'
            )
    return images


def _replace(text: str, images: dict[str, str]) -> str:
    return IN_TEXT.sub(lambda m: images.get(m.group(1), m.group(0)), text)


def emojify(html: str | None, emojis: Iterable[Mapping] | None) -> Markup:
    """Sanitized HTML with its shortcodes shown as images (in text, not in tags)."""
    html = html or ""
    images = _images(emojis)
    if not images or ":" not in html:
        return Markup(html)  # noqa: S704 - sanitized when stored (core.text, nh3)
    parts = _TAG.split(html)
    return Markup(  # noqa: S704 - the sanitized HTML, with escaped images added
        "".join(p if i % 2 else _replace(p, images) for i, p in enumerate(parts))
    )


def emojify_text(text: str | None, emojis: Iterable[Mapping] | None) -> Markup:
    """Plain text, escaped, with its shortcodes shown as images."""
    escaped = str(escape(text or ""))
    images = _images(emojis)
    return Markup(_replace(escaped, images) if images else escaped)  # noqa: S704 - escaped
