"""The compose form: what it sends, turned into core's StatusInput / EditInput, and back into
the values that refill it when core refuses a post.

Field names follow the Mastodon API (`status`, `spoiler_text`, `visibility`, `language`,
`in_reply_to_id`) so that the form reads like the API call it stands for. The poll editor
always sends `poll_options` several times (four inputs without JavaScript); empty ones are
ignored, and a poll with no option at all is no poll.

The edit form lists the media the post carries (`AttachedMedia`): each sends its id
(`media_id`, in order), a `media_keep` checkbox and its description (`media_alt_<id>`), which
become the edit's `media_ids` and `media_attributes`, as Mastodon's API takes them; an
unticked one leaves the post (and goes back to its owner unattached, as core does).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from pnyx.core import media as core_media
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
MAX_ATTACHED = 16  # ids an edit form may list: more than any post carries


@dataclass
class AttachedMedia:
    """One medium an edited post carries, as its edit form shows it: from the post's entity
    (type and preview), then as the form sent it back (kept? its description)."""

    id: str
    description: str = ""
    keep: bool = True
    type: str = ""
    preview_url: str | None = None


def attached_of(entity_media: list[dict]) -> list[AttachedMedia]:
    """The edit form's media, from a post's Mastodon entity (`media_attachments`)."""
    return [
        AttachedMedia(
            id=m["id"],
            description=m.get("description") or "",
            type=m.get("type") or "",
            preview_url=m.get("preview_url"),
        )
        for m in entity_media
    ]


def _attached_from_form(form: dict) -> list[AttachedMedia]:
    listed = [i.strip() for i in form_list(form, "media_id")[:MAX_ATTACHED]]
    kept = {i.strip() for i in form_list(form, "media_keep")}
    return [
        AttachedMedia(
            id=i,
            description=form_str(form, f"media_alt_{i}")[:MAX_TEXT],
            keep=i in kept,
        )
        for i in dict.fromkeys(listed)
        if parse_id(i) is not None
    ]


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
    # An edit: the media the post carries, as listed in the form (empty: the form had none).
    attached: list[AttachedMedia] = field(default_factory=list)

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
            attached=_attached_from_form(form),
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
        """The edit; with media listed in the form, those ticked stay, with their
        descriptions (an empty one removes it), in the form's order."""
        data = EditInput(**self.content())
        if self.attached:
            kept = [m for m in self.attached if m.keep]
            data.media_ids = [m.id for m in kept]
            data.media_attributes = [
                (int(m.id), core_media.Attributes(description=m.description)) for m in kept
            ]
        return data

    def show_attached(self, entity_media: list[dict]) -> None:
        """Give the media the form sent back their type and preview again (an edit refused:
        the page shows the form as it was sent), from the post's entity; those the post no
        longer carries are left out."""
        known = {m.id: m for m in attached_of(entity_media)}
        self.attached = [
            AttachedMedia(m.id, m.description, m.keep, known[m.id].type, known[m.id].preview_url)
            for m in self.attached
            if m.id in known
        ]


def new_key() -> str:
    """A fresh Idempotency-Key for a form: sending it twice (a double click, a reload) makes
    one post, as Mastodon's apps do with the header."""
    return secrets.token_urlsafe(18)


def from_status(row, poll, now, entity_media: list[dict] | None = None) -> ComposeForm:
    """The form that edits a post: its source text, warning, language, poll and media (from
    its entity's `media_attachments`). A poll still running offers to keep its end
    (`KEEP_END`), which core keeps as it is: the time left, sent as a duration, would move the
    end by as long as the editing took."""
    form = ComposeForm(
        text=row.text or "",
        spoiler_text=row.spoiler_text or "",
        visibility=row.visibility,
        language=row.language or "",
        attached=attached_of(entity_media or []),
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
