"""Languages a post can be marked with, and the compose form's list of them.

ISO 639-1 codes, each named in its own language (as Mastodon lists them): no translation is
needed, and each option says which language its name is in, for screen readers.
"""

from __future__ import annotations

import functools

from markupsafe import Markup, escape

POST_LANGUAGES = {
    "ar": "العربية",
    "bn": "বাংলা",
    "ca": "Català",
    "cs": "Čeština",
    "cy": "Cymraeg",
    "da": "Dansk",
    "de": "Deutsch",
    "el": "Ελληνικά",
    "en": "English",
    "eo": "Esperanto",
    "es": "Español",
    "et": "Eesti",
    "eu": "Euskara",
    "fa": "فارسی",
    "fi": "Suomi",
    "fr": "Français",
    "ga": "Gaeilge",
    "gl": "Galego",
    "he": "עברית",
    "hi": "हिन्दी",
    "hr": "Hrvatski",
    "hu": "Magyar",
    "id": "Bahasa Indonesia",
    "is": "Íslenska",
    "it": "Italiano",
    "ja": "日本語",
    "ko": "한국어",
    "lt": "Lietuvių",
    "lv": "Latviešu",
    "nb": "Norsk bokmål",
    "nl": "Nederlands",
    "nn": "Norsk nynorsk",
    "no": "Norsk",
    "oc": "Occitan",
    "pl": "Polski",
    "pt": "Português",
    "ro": "Română",
    "ru": "Русский",
    "sk": "Slovenčina",
    "sl": "Slovenščina",
    "sr": "Српски",
    "sv": "Svenska",
    "sw": "Kiswahili",
    "ta": "தமிழ்",
    "th": "ไทย",
    "tr": "Türkçe",
    "uk": "Українська",
    "vi": "Tiếng Việt",
    "zh": "中文",
}


@functools.lru_cache(maxsize=256)
def language_options(chosen: str) -> Markup:
    """The `<option>`s of the compose form's language menu with `chosen` selected (an unknown
    code keeps its own option, so editing a post never changes its language).

    The same few menus are rendered on every home page: they are built once each.
    """
    options = []
    if chosen and chosen not in POST_LANGUAGES:
        options.append(f'<option value="{escape(chosen)}" selected>{escape(chosen)}</option>')
    for code, name in POST_LANGUAGES.items():
        selected = " selected" if code == chosen else ""
        options.append(f'<option value="{code}" lang="{code}"{selected}>{escape(name)}</option>')
    return Markup("\n".join(options))
