"""Community notes in the words people read (issue 13): X's names of classifications, reasons,
answers, tags and statuses (`core.notes.vocabulary`) as the web shows them, translated; a
note's text as HTML; the note a post is shown with; core's refusals in the page's language.

The names are X's own wording, from its rating and writing forms, so a reader of both sees the
same questions. A note's text is plain text: everything is escaped, and only its web addresses
become links (rel="nofollow noopener": a note's sources are not endorsed by this server).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from markupsafe import Markup, escape

from pnyx.core.notes import shown, vocabulary
from pnyx.web import i18n

Gettext = Callable[[str], str]


def N_(text: str) -> str:
    """Marks a string for translation where it is defined; it is translated where it is used."""
    return text


CLASSIFICATIONS = {
    vocabulary.MISLEADING: N_("Misinformed or potentially misleading"),
    vocabulary.NOT_MISLEADING: N_("Not misleading"),
}
REASONS = {
    "misleadingOther": N_("Other"),
    "misleadingFactualError": N_("It contains a factual error"),
    "misleadingManipulatedMedia": N_("It contains a digitally altered photo or video"),
    "misleadingOutdatedInformation": N_("It contains outdated information that may be misleading"),
    "misleadingMissingImportantContext": N_(
        "It is a misrepresentation or missing important context"
    ),
    "misleadingUnverifiedClaimAsFact": N_("It presents an unverified claim as a fact"),
    "misleadingSatire": N_("It is a joke or satire that might be misinterpreted as a fact"),
    "notMisleadingOther": N_("Other"),
    "notMisleadingFactuallyCorrect": N_("It expresses a factually correct claim"),
    "notMisleadingOutdatedButNotWhenWritten": N_(
        "It was correct when it was written, but is out of date now"
    ),
    "notMisleadingClearlySatire": N_("It is clearly satirical or a joke"),
    "notMisleadingPersonalOpinion": N_("It expresses a personal opinion"),
}
LEVELS = {
    vocabulary.HELPFUL: N_("Yes"),
    vocabulary.SOMEWHAT_HELPFUL: N_("Somewhat"),
    vocabulary.NOT_HELPFUL: N_("No"),
}
# Every tag, the retired ones too: a note's explanation may name one a remote rating gave.
TAGS = {
    "helpfulOther": N_("Other"),
    "helpfulInformative": N_("Informative"),
    "helpfulClear": N_("Easy to understand"),
    "helpfulEmpathetic": N_("Empathetic"),
    "helpfulGoodSources": N_("Cites high-quality sources"),
    "helpfulUniqueContext": N_("Provides unique context"),
    "helpfulAddressesClaim": N_("Directly addresses the post's claim"),
    "helpfulImportantContext": N_("Provides important context"),
    "helpfulUnbiasedLanguage": N_("Neutral or unbiased language"),
    "notHelpfulOther": N_("Other"),
    "notHelpfulIncorrect": N_("Incorrect information"),
    "notHelpfulSourcesMissingOrUnreliable": N_("Sources not included or unreliable"),
    "notHelpfulOpinionSpeculationOrBias": N_("Opinion, speculation or bias"),
    "notHelpfulMissingKeyPoints": N_("Misses key points or irrelevant"),
    "notHelpfulOutdated": N_("Outdated"),
    "notHelpfulHardToUnderstand": N_("Hard to understand"),
    "notHelpfulArgumentativeOrBiased": N_("Argumentative or biased language"),
    "notHelpfulOffTopic": N_("Off topic"),
    "notHelpfulSpamHarassmentOrAbuse": N_("Spam, harassment or abuse"),
    "notHelpfulIrrelevantSources": N_("Sources do not support note"),
    "notHelpfulOpinionSpeculation": N_("Opinion or speculation"),
    "notHelpfulNoteNotNeeded": N_("Note not needed on this post"),
}
# By the short names of the API (`vocabulary.SHORT_STATUS`) and by X's.
STATUSES = {
    "helpful": N_("Rated helpful"),
    "needs_more_ratings": N_("Needs more ratings"),
    "not_helpful": N_("Rated not helpful"),
}
STATUSES.update({long: STATUSES[short] for long, short in vocabulary.SHORT_STATUS.items()})


def names(gettext: Gettext) -> dict[str, dict[str, str]]:
    """Every name above in one language (`note_names` in the templates: each page language's
    environment makes them once)."""
    return {
        name: {key: gettext(text) for key, text in table.items()}
        for name, table in (
            ("classifications", CLASSIFICATIONS),
            ("reasons", REASONS),
            ("levels", LEVELS),
            ("tags", TAGS),
            ("statuses", STATUSES),
        )
    }


# --- A note's text -------------------------------------------------------------------------

_LINK = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_TRAILING = ".,;:!?"


def _split_link(found: str) -> tuple[str, str]:
    """(the address, what follows it in the sentence): a final full stop or an unmatched
    closing bracket belongs to the sentence, not to the address."""
    end = len(found)
    while end > 0:
        last = found[end - 1]
        if last in _TRAILING or (last == ")" and found[:end].count("(") < found[:end].count(")")):
            end -= 1
            continue
        break
    return found[:end], found[end:]


def note_html(text: str | None) -> Markup:
    """A note's plain text as HTML: escaped, its web addresses made links."""
    if not text:
        return Markup("")
    parts: list[str] = []
    position = 0
    for match in _LINK.finditer(text):
        address, rest = _split_link(match.group(0))
        parts.append(escape(text[position : match.start()]))
        if not address.partition("://")[2]:
            parts.append(escape(match.group(0)))  # "https://" alone is no address
        else:
            href = escape(address)
            parts.append(Markup(f'<a href="{href}" rel="nofollow noopener">{href}</a>'))
            parts.append(escape(rest))
        position = match.end()
    parts.append(escape(text[position:]))
    return Markup("").join(parts)


# --- The note a post is shown with ---------------------------------------------------------


def context_of(status: dict) -> dict | None:
    """The note shown under a post (its Note entity), or None.

    The post's card is that note (`presenters.notes.card`, from `core.notes.shown`'s choice),
    so the note is the one of `pnyx.notes` the card links to.
    """
    card = status.get("card")
    if not card or card.get("title") != shown.CARD_TITLE:
        return None
    for note in (status.get("pnyx") or {}).get("notes", ()):
        if note.get("shown") and note.get("url") == card.get("url"):
            return note
    return None


def waiting_notes(status: dict) -> list[dict]:
    """The notes of a post that still need ratings."""
    return [
        note
        for note in (status.get("pnyx") or {}).get("notes", ())
        if note.get("status") == "needs_more_ratings"
    ]


# --- Core's refusals, translated -----------------------------------------------------------

_MESSAGES: tuple[tuple[re.Pattern, str, str], ...] = tuple(
    (re.compile(pattern + "$"), text, field)
    for pattern, text, field in (
        (r"Classification must be .*", N_("Say whether the post is misleading."), "classification"),
        (
            r"Reasons .* do not fit the classification",
            N_("Choose reasons that fit your answer to “Is this post misleading?”."),
            "reasons",
        ),
        (r"Reasons must name at least one reason", N_("Choose at least one reason."), "reasons"),
        (r"Summary can't be blank", N_("Write the note."), "summary"),
        (
            r"Summary is too long \(maximum is (?P<n>\d+) characters\)",
            N_("The note is too long (at most %(n)s characters)."),
            "summary",
        ),
        (
            r"Summary must link at least one source for a misleading post",
            N_("A note on a misleading post must link at least one source (https://…)."),
            "summary",
        ),
        (r"Summary must not mention anyone", N_("A note must not mention anyone."), "summary"),
        (
            r"Notes are written on public and unlisted posts only",
            N_("Notes are written on public and unlisted posts only."),
            "",
        ),
        (
            r"Helpfulness level must be .*",
            N_("Answer “Is this note helpful?”."),
            "helpfulness_level",
        ),
        (r"Unknown tags: .*", N_("Choose among the reasons offered."), "tags"),
        (
            r"A helpful rating takes helpful tags only",
            N_("With “Yes”, choose only what was helpful."),
            "tags",
        ),
        (
            r"A not helpful rating takes not-helpful tags only",
            N_("With “No”, choose only what was not helpful."),
            "tags",
        ),
        (r"Nobody rates their own note", N_("You cannot rate your own note."), ""),
        (
            r"Only people of this server write and rate its notes",
            N_("Only people of this server write and rate its notes."),
            "",
        ),
        (
            r"A suspended account cannot write or rate notes",
            N_("A suspended account cannot write or rate notes."),
            "",
        ),
    )
)
_TOO_YOUNG = re.compile(r"An account must be at least (?P<n>\d+) days old to write and rate notes$")


def explain(language: str, message: str) -> tuple[str, str]:
    """(field, text in `language`) for one of core's messages about notes ("" for the form
    as a whole); a message this table does not know is shown as it is."""
    catalog = i18n.translations(language)
    text = message.removeprefix("Validation failed: ")
    young = _TOO_YOUNG.match(text)
    if young:
        days = int(young.group("n"))
        return "", catalog.ngettext(
            "An account must be at least %(num)s day old to write and rate notes.",
            "An account must be at least %(num)s days old to write and rate notes.",
            days,
        ) % {"num": days}
    for pattern, msgid, field in _MESSAGES:
        found = pattern.match(text)
        if found:
            return field, catalog.gettext(msgid) % found.groupdict()
    return "", text
