"""Checking a quote's authorization (FEP-044f) when it comes from a third server.

A post from elsewhere that quotes a post of yet another server names the stamp the quoted
author's server issued (`quoteAuthorization`). Core keeps that quote pending and schedules
this job (`core.quotes.VERIFY_JOB`); here the stamp is fetched through the safe client (signed
by the instance actor, and only a document served at its own id counts) and must say what the
quote claims: a QuoteAuthorization on the quoted author's server, by that author, for this
quoting post and this quoted post. Only then is the quote accepted (`core.quotes.verified`).
A stamp that cannot be fetched or says otherwise leaves the quote pending.
"""

from __future__ import annotations

import logging

from pnyx.core import quotes
from pnyx.db.engine import Database
from pnyx.federation import as2_to_internal as parse
from pnyx.federation import resolve

log = logging.getLogger("pnyx.federation.quote_stamps")


def says_so(doc: dict, check: quotes.StampCheck) -> bool:
    """Whether a fetched stamp allows the quote `check` describes."""
    return (
        parse.type_of(doc) == "QuoteAuthorization"
        and parse.id_of(doc.get("id")) == check.approval_uri
        and parse.same_origin(check.approval_uri, check.quoted_author_uri)
        and parse.id_of(doc.get("attributedTo")) == check.quoted_author_uri
        and parse.id_of(doc.get("interactingObject")) == check.quoting_uri
        and parse.id_of(doc.get("interactionTarget")) == check.quoted_uri
    )


def verify(db: Database, payload: dict) -> None:
    """The `quotes.verify` job."""
    try:
        quote_id = int(payload["quote_id"])
        approval_uri = str(payload["approval_uri"])
    except (KeyError, TypeError, ValueError):
        return
    check = db.run_sync(quotes.stamp_to_check, quote_id, approval_uri, write=False)
    if check is None:
        return
    if not parse.same_origin(approval_uri, check.quoted_author_uri):
        log.info("stamp %s is not on the quoted author's server", approval_uri)
        return
    try:
        doc = resolve.fetch_document(db, db.settings, approval_uri)
    except resolve.ResolveError as exc:
        log.info("stamp %s not fetched: %s", approval_uri, exc.reason)
        return
    if says_so(doc, check):
        db.run_sync(quotes.verified, quote_id, approval_uri)
    else:
        log.info("stamp %s does not allow quote %s", approval_uri, quote_id)
