"""Rendering web pages: one Jinja environment per language, and the headers every page carries.

Everything is escaped by default (autoescape); the only HTML inserted as is comes from posts
and profiles, which is sanitized when it is stored (`core.text`), and is marked `|safe` in the
templates in those few places only. Pages carry a Content Security Policy without inline
scripts or styles: the little JavaScript there is lives in /static/app.js and only enhances
pages that work without it.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import jinja2
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from starlette.requests import Request
from starlette.responses import HTMLResponse

from pnyx.core import visibility
from pnyx.web import emoji_html, i18n, languages, note_words

HERE = Path(__file__).parent

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
    "media-src 'self' https:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _ago(moment: str | datetime | None, now: datetime | None = None) -> str:
    """A short relative time ("5m", "3h", "2d") for timelines; the full date is in a title."""
    if moment is None:
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    seconds = max(0, int(((now or datetime.now(UTC)) - moment).total_seconds()))
    for size, unit in ((86400 * 365, "y"), (86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _date(moment: str | datetime | None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def N_(text: str) -> str:
    """Marks a string for translation where it is defined; it is translated where it is used."""
    return text


# Words every post on a page repeats (its actions, its visibility): translated once per
# language here, not once per post (~15 gettext calls per post were a quarter of rendering).
POST_LABELS = {
    "reply": N_("Reply"),
    "boost": N_("Boost"),
    "quote": N_("Quote"),
    "favourite": N_("Favourite"),
    "bookmark": N_("Bookmark"),
    "edit_history": N_("Edit history"),
    "edit": N_("Edit"),
    "delete": N_("Delete"),
    "show_more": N_("Show more"),
    "attachment": N_("Attachment"),
    "no_description": N_("Image without a description"),
    "open_image": N_("Open the full image"),
    "no_description_video": N_("Video without a description"),
    "no_description_gifv": N_("Animation without a description"),
    "no_description_audio": N_("Audio without a description"),
    "play_animation": N_("Play animation"),
    "pause_animation": N_("Pause animation"),
    "public": N_("Public"),
    "unlisted": N_("Unlisted"),
    "private": N_("Followers only"),
    "direct": N_("Direct"),
}


class PageEnvironment(jinja2.Environment):
    """Templates read Mastodon entities, which are dicts: `s.account` looks the key up first.

    Jinja's own order (attribute, then key) raises and catches an AttributeError for every
    dotted name on a dict, ~50 per post: a tenth of rendering a timeline.
    """

    def getattr(self, obj, attribute):
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


class ConstantTranslations(Extension):
    """Translates `_("literal")` when a template is compiled, not each time it is rendered.

    Each language has its own environment, so a message without variables has one
    translation there: it becomes a string constant, which Jinja escapes and joins with the
    HTML around it at compile time. A page has ~60 such calls and each cost two context calls
    and a Markup at run time. Calls with variables (`_("%(n)s left", n=...)`) and `ngettext`
    are left to the i18n extension.
    """

    def filter_stream(self, stream: TokenStream):
        gettext = self.environment.pnyx_gettext  # type: ignore[attr-defined]
        tokens = list(stream)
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if (
                token.type == "name"
                and token.value == "_"
                and i + 3 < len(tokens)
                and tokens[i + 1].type == "lparen"
                and tokens[i + 2].type == "string"
                and tokens[i + 3].type == "rparen"
                and (i == 0 or tokens[i - 1].type != "dot")
            ):
                try:  # the i18n extension's newstyle gettext formats with no variables too
                    text = gettext(tokens[i + 2].value) % {}
                except (TypeError, ValueError, KeyError):
                    text = None
                if text is not None:
                    yield Token(token.lineno, "string", text)
                    i += 4
                    continue
            yield token
            i += 1


@functools.cache
def environment(language: str) -> jinja2.Environment:
    env = PageEnvironment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=True,
        extensions=["jinja2.ext.i18n", ConstantTranslations],
        trim_blocks=True,
        lstrip_blocks=True,
        # Templates ship with the code: checking their files on every render costs ~5%.
        auto_reload=False,
    )
    env.install_gettext_translations(i18n.translations(language), newstyle=True)
    env.pnyx_gettext = i18n.translations(language).gettext  # type: ignore[attr-defined]
    env.filters["ago"] = _ago
    env.filters["date"] = _date
    env.filters["emojify"] = emoji_html.emojify
    env.filters["emojify_text"] = emoji_html.emojify_text
    env.globals["languages"] = i18n.LANGUAGES
    env.globals["language_options"] = languages.language_options
    gettext = i18n.translations(language).gettext
    env.globals["post_labels"] = {key: gettext(text) for key, text in POST_LABELS.items()}
    env.globals["post_counts"] = _post_counts(i18n.translations(language).ngettext)
    env.globals["may_boost"] = _may_boost
    # Community notes (web/note_words.py): the note under a post, a note's text, the names.
    env.filters["note_html"] = note_words.note_html
    env.globals["context_note"] = note_words.context_of
    env.globals["waiting_notes"] = note_words.waiting_notes
    env.globals["note_names"] = note_words.names(gettext)
    return env


class _Shown(NamedTuple):
    id: int
    account_id: int
    visibility: str


def _may_boost(viewer, shown: dict) -> bool:
    """Whether the page offers a Boost button: core's rule, read from the post's entity."""
    post = _Shown(int(shown["id"]), int(shown["account"]["id"]), shown["visibility"])
    return visibility.may_boost(viewer.account_id, post)


def _post_counts(ngettext):
    """`post_counts(status)`: "3 replies · 1 boost · 0 favourites" in one language.

    Most posts share a few small counts, so each distinct triple is translated once.
    """

    @functools.lru_cache(maxsize=2048)
    def counts(replies: int, boosts: int, favourites: int) -> str:
        return " · ".join(
            ngettext(singular, plural, n) % {"num": n}
            for singular, plural, n in (
                ("%(num)s reply", "%(num)s replies", replies),
                ("%(num)s boost", "%(num)s boosts", boosts),
                ("%(num)s favourite", "%(num)s favourites", favourites),
            )
        )

    def post_counts(status: dict) -> str:
        return counts(status["replies_count"], status["reblogs_count"], status["favourites_count"])

    return post_counts


def render(template: str, *, language: str, base_url: str, path: str, **context) -> str:
    """The HTML of `template` in `language`; `page` adds the request's part and the headers
    (bench/render.py times this alone)."""
    return (
        environment(language)
        .get_template(template)
        .render(base_url=base_url, language=language, path=path, **context)
    )


def page(
    request: Request,
    template: str,
    *,
    status: int = 200,
    language: str = i18n.DEFAULT,
    headers: dict[str, str] | None = None,
    **context,
) -> HTMLResponse:
    """Render `template` in `language` with the common context of every page."""
    settings = request.app.state.settings
    context.setdefault("instance_title", settings.instance_title)
    html = render(
        template, language=language, base_url=settings.base_url, path=request.url.path, **context
    )
    return HTMLResponse(html, status_code=status, headers={**PAGE_HEADERS, **(headers or {})})
