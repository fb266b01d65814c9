"""A label's page for people (`/labels/:id`; servers asking for ActivityPub get the signed
object at the same address, `federation.label_pages`, app.py choosing between the two).

It says who labeled what, with which label (its name and description in the page's language
when the labeler gave them), why, since when and until when, whether it is still in force, and
— for a signed-in person — what the label does for them, with a link to change it. A label of
another server is shown the same way from the copy kept here (its local id is the one the post
badges link to). Labels are public statements: anyone may read this page; a suspended
labeler's are not shown.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from pnyx.core import accounts, labels, viewer_rules
from pnyx.core.errors import NotFound
from pnyx.db.ids import parse_id
from pnyx.web.i18n import gettext_for
from pnyx.web.label_badges import localized, pick
from pnyx.web.message_pages import not_found_page
from pnyx.web.post_views import acct_path, status_path
from pnyx.web.session import Visitor, respond, visit


def _subject(tx, row) -> dict:
    """Where the label's subject is read: its page here when it is known here (the post's page
    applies its own visibility), else its address elsewhere."""
    if row.status_id is not None:
        return {"kind": "post", "href": status_path(tx, row.status_id), "local": True}
    if row.account_id is not None:
        try:
            who = accounts.get_public(tx, row.account_id)
        except NotFound:
            who = None
        if who is not None:
            handle = who.username if who.domain is None else f"{who.username}@{who.domain}"
            return {
                "kind": "account",
                "href": acct_path(who.username, who.domain),
                "local": True,
                "handle": handle,
            }
    return {"kind": "other", "href": row.subject_uri, "local": False}


def _setting_for(tx, viewer_id: int | None, row, definition) -> str | None:
    """What the label does for this signed-in viewer, or None when they do not apply its
    labeler (or nobody is signed in)."""
    if viewer_id is None or definition is None:
        return None
    rules = viewer_rules.of(tx, viewer_id).labels
    if row.labeler_account_id not in rules.labelers:
        return None
    return rules.settings.get((row.labeler_account_id, row.value), definition.default_setting)


def _found(tx, who: Visitor, label_id: int | None):
    if label_id is None:
        return None
    try:
        row = labels.get(tx, label_id)
        labeler = accounts.get_public(tx, row.labeler_account_id)
    except NotFound:
        return None
    if labeler.suspended_at is not None:
        return None
    definition = next(
        (d for d in labels.definitions_of(tx, labeler.id) if d.value == row.value), None
    )
    names, name, descriptions, description = localized(
        definition.locales if definition is not None else (), row.value
    )
    return {
        "label": row,
        "labeler": labeler,
        "labeler_handle": labeler.username
        if labeler.domain is None
        else f"{labeler.username}@{labeler.domain}",
        "labeler_path": acct_path(labeler.username, labeler.domain),
        "definition": definition,
        "name": pick(names, name, who.language),
        "description": pick(descriptions, description, who.language),
        "subject": _subject(tx, row),
        "in_force": not row.neg and (row.expires_at is None or row.expires_at > tx.now),
        "expired": not row.neg and row.expires_at is not None and row.expires_at <= tx.now,
        "setting": _setting_for(tx, who.account_id, row, definition),
    }


async def label_page(request: Request) -> Response:
    label_id = parse_id(request.path_params.get("id"))
    who, found = await visit(request, lambda tx, who: _found(tx, who, label_id))
    if found is None:
        return not_found_page(request, who)
    _ = gettext_for(who.language)
    return respond(
        request,
        who,
        "site/label.html",
        heading=_("Label “%(name)s”", name=found["name"]),
        **found,
    )
