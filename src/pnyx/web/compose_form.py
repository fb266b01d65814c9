"""The compose form: what it sends, turned into core's StatusInput / EditInput, and back into
the values that refill it when core refuses a post.

Field names follow the Mastodon API (`status`, `spoiler_text`, `visibility`, `language`,
`in_reply_to_id`) so that the form reads like the API call it stands for. The poll editor
always sends `poll_options` several times (four inputs without JavaScript); empty ones are
ignored, and a poll with no option at all is no poll.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from pnyx.core import polls as core_polls
from pnyx.core import statuses as core
from pnyx.core.oauth import SessionUser
from pnyx.core.status_edits import EditInput
from pnyx.db.ids import parse_id
from pnyx.web.forms import form_list, form_str, safe_return

DEFAULT_POLL_SECONDS = 86400
KEEP_END = "keep"  # the poll duration that keeps a running poll's end (see from_status)
MAX_TEXT = 20_000  # far above any post length: only keeps absurd bodies out of the parser
MEDIA_SLOTS = range(1, 5)  # the compose form's image inputs, media_1 ... media_4
MEDIA_FIELDS = tuple(f"media_{n}" for n in MEDIA_SLOTS)


def _file(form: dict, key: str) -> bytes | None:
    value = form.get(key)
    return value if isinstance(value, bytes) and value else None


@dataclass
class ComposeForm:
    """The values of one compose form, as typed (so an error can show them again)."""

    text: str = ""
    spoiler_text: str = ""
    visibility: str = ""
    language: str = ""
    poll_options: list[str] = field(default_factory=list)
    poll_expires_in: str = str(DEFAULT_POLL_SECONDS)
    poll_multiple: bool = False
    in_reply_to_id: str = ""
    quoted_status_id: str = ""  # the post this one quotes (core.quotes)
    return_to: str = ""
    idempotency_key: str = ""
    # Images sent with a new post (bytes, by slot 1-4) and their descriptions (alt text).
    media_files: list[bytes | None] = field(default_factory=list)
    media_descriptions: list[str] = field(default_factory=list)

    @classmethod
    def from_form(cls, form: dict) -> ComposeForm:
        return cls(
            text=form_str(form, "status")[:MAX_TEXT],
            spoiler_text=form_str(form, "spoiler_text")[:MAX_TEXT],
            visibility=form_str(form, "visibility").strip(),
            language=form_str(form, "language").strip()[:16],
            poll_options=[o[:500] for o in form_list(form, "poll_options")[:10]],
            poll_expires_in=form_str(form, "poll_expires_in").strip()[:12],
            poll_multiple=form_str(form, "poll_multiple") in ("1", "on", "true"),
            in_reply_to_id=form_str(form, "in_reply_to_id").strip()[:30],
            quoted_status_id=form_str(form, "quoted_status_id").strip()[:30],
            return_to=safe_return(form_str(form, "return_to")) or "",
            idempotency_key=form_str(form, "idempotency_key").strip()[:64],
            media_files=[_file(form, f"media_{n}") for n in MEDIA_SLOTS],
            media_descriptions=[
                form_str(form, f"media_description_{n}")[:MAX_TEXT] for n in MEDIA_SLOTS
            ],
        )

    def images(self) -> list[tuple[bytes, str]]:
        """The images chosen, in slot order, each with its description."""
        descriptions = self.media_descriptions + [""] * len(self.media_files)
        return [(data, descriptions[i]) for i, data in enumerate(self.media_files) if data]

    def padded_options(self, count: int) -> list[str]:
        """Exactly `count` inputs for the poll editor, filled in order."""
        kept = [o for o in self.poll_options if o.strip()][:count]
        return kept + [""] * (count - len(kept))

    def poll(self) -> core.PollInput | None:
        options = [o for o in self.poll_options if o.strip()]
        if not options:
            return None
        keep_end = self.poll_expires_in == KEEP_END
        try:
            expires_in: int | None = int(self.poll_expires_in)
        except ValueError:
            expires_in = None
        return core.PollInput(
            options=options, expires_in=expires_in, multiple=self.poll_multiple, keep_end=keep_end
        )

    def reply_id(self) -> int | None:
        return parse_id(self.in_reply_to_id) if self.in_reply_to_id else None

    def quoted_id(self) -> int | None:
        return parse_id(self.quoted_status_id) if self.quoted_status_id else None

    def content(self) -> dict:
        return {
            "text": self.text,
            "spoiler_text": self.spoiler_text,
            "language": self.language or None,
            "poll": self.poll(),
        }

    def status_input(self, media_ids: list[int] | None = None) -> core.StatusInput:
        return core.StatusInput(
            **self.content(),
            visibility=self.visibility or None,
            in_reply_to_id=self.reply_id(),
            quoted_status_id=self.quoted_id(),
            idempotency_key=self.idempotency_key or None,
            media_ids=[str(i) for i in media_ids or []],
        )

    def edit_input(self) -> EditInput:
        return EditInput(**self.content())


def new_key() -> str:
    """A fresh Idempotency-Key for a form: sending it twice (a double click, a reload) makes
    one post, as Mastodon's apps do with the header."""
    return secrets.token_urlsafe(18)


def from_status(row, poll, now) -> ComposeForm:
    """The form that edits a post: its source text, warning, language and poll. A poll still
    running offers to keep its end (`KEEP_END`), which core keeps as it is: the time left, sent
    as a duration, would move the end by as long as the editing took."""
    form = ComposeForm(
        text=row.text or "",
        spoiler_text=row.spoiler_text or "",
        visibility=row.visibility,
        language=row.language or "",
    )
    if poll is not None:
        form.poll_options = list(poll.options)
        form.poll_multiple = bool(poll.multiple)
        if poll.expires_at is not None and not core_polls.is_expired(poll, now):
            form.poll_expires_in = KEEP_END
    return form


def poll_of(tx, status_id: int):
    return core_polls.for_status(tx, status_id)


def compose_context(
    tx, user: SessionUser, form: ComposeForm | None = None, *, ui_language: str = "", **extra
) -> dict:
    """Everything `site/_compose.html` needs, for a page that shows the compose form.

    A new post starts with the user's default visibility, and their default language or else
    the language of the page (as Mastodon's web app does). The home timeline can pass
    `compose=compose_context(tx, who.user, ui_language=..., return_to="/home")` to get these
    selected; without it the form still works and the server applies the user's defaults.
    """
    visibility = user.default_visibility
    language = user.default_language or ui_language
    if form is None:
        form = ComposeForm(visibility=visibility, language=language, idempotency_key=new_key())
        if extra.get("return_to"):
            form.return_to = extra["return_to"]
    settings = tx.settings
    return {
        "form": form,
        "action": extra.get("action", "/statuses"),
        "mode": extra.get("mode", "new"),
        "max_chars": settings.max_status_chars,
        "max_options": settings.max_poll_options,
        "default_language": language,
        "error": extra.get("error"),
    }
