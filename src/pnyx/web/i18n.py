"""The web UI's languages: English (the source strings) and French, through gettext.

Translations live as `.po` files under `web/locale/<lang>/LC_MESSAGES/` (one per area of the
site; they are merged) and are compiled in memory at start-up (Babel), so no binary `.mo` file
is kept in the repository.
The language of a page is the signed-in user's preference, else the best match of the
browser's Accept-Language, else English.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT = "en"
LANGUAGES = {"en": "English", "fr": "Français"}


@functools.cache
def translations(language: str) -> NullTranslations:
    files = sorted((LOCALE_DIR / language / "LC_MESSAGES").glob("*.po"))
    if language == DEFAULT or not files:
        return NullTranslations()
    merged: Translations | None = None
    for po in files:
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=language)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        part = Translations(buffer)
        if merged is None:
            merged = part
        else:
            merged.merge(part)
    return merged


def gettext_for(language: str) -> Callable[..., str]:
    """`_` for strings made in Python (headings, error texts) in `language`:
    `_("Post by %(name)s", name=...)` fills the values in after translating."""
    translate = translations(language).gettext

    def _(message: str, **values) -> str:
        text = translate(message)
        return text % values if values else text

    return _


def negotiate(accept_language: str | None, preferred: str | None = None) -> str:
    """The page language: the user's choice if we have it, else the browser's best match."""
    if preferred and preferred.split("-")[0].lower() in LANGUAGES:
        return preferred.split("-")[0].lower()
    choices: list[tuple[float, str]] = []
    for part in (accept_language or "").split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        language = tag.strip().split("-")[0].lower()
        if language in LANGUAGES:
            choices.append((quality, language))
    if not choices:
        return DEFAULT
    return max(choices, key=lambda c: c[0])[1]
