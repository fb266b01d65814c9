"""A Move sent by the new actor (FEP-7628's second sub-type): accepted without the old server.

`{actor: new, object: old, target: new}` says "I am the old actor, now here". Mastodon's Move
is signed by the old actor instead (`handlers.on_move` keeps taking that one as before); this
one is what a person sends when their old server is gone or will not let them leave. It is
believed only when the two actors are *linked* (FEP-7628), which is checked with what this
server knew of the old actor before its server died (`core.identity_links`):

1. the new actor's document is read again from its server (never a kept copy): the keys its
   FEP-c390 identity statements prove, each signed by the key itself;
2. the old actor as known here: the keys it announced (`assertionMethod`, the key of its
   posts' proofs) and its own statements' subjects. An old actor never seen here is read from
   its server if it answers (without it there is nothing to check against);
3. linked when the new actor proves a key the old one is known by. If not, the old server,
   when it answers, is the one other witness: read fresh, the two actors must name each
   other in `alsoKnownAs` (Mastodon's aliases, both ways since the old one did not sign).

Then the effects are a Mastodon-style move's: `remote_store.record_move` (the old account
shows where it went, `AccountMoved`: its followers here follow the new account, `core.moves`;
its posts held here are mapped to the new ones, `core.moved_posts`). Anything else is refused
and logged (the inbox answered 202 already, as for every activity it processes later): a Move
from a third actor, about an account of this server, with no statement, a statement for
another key, or a forged one (its proof does not hold: `identity_proofs.verified_subject`
drops it when the actor is stored).
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from pnyx.core import federation_reads, identity_links
from pnyx.core import remote_store as received
from pnyx.db.engine import Tx
from pnyx.federation import as2_to_internal as parse
from pnyx.federation.as2_common import http_url, same_origin

log = logging.getLogger("pnyx.federation.moves")


class Needs(Protocol):
    """What a handler's context offers (`handlers.Context`): fetch first, and what was found."""

    @property
    def signer(self) -> Any: ...

    def needs(self, uri: str, what: str, **kwargs: Any) -> None: ...

    def found(self, uri: str) -> bool: ...


def _refuse(activity: parse.Activity, why: str) -> None:
    log.warning("Move %s from %s refused: %s", activity.id, activity.actor, why)


def receive(tx: Tx, activity: parse.Activity, ctx: Needs, actor_kind: str) -> None:
    """Process a Move whose actor is not its object. Raises NeedsFetch (`ctx.needs`) to read
    the new actor fresh, and the old one when it is unknown or not linked by proofs."""
    new = ctx.signer
    old_uri = activity.object_id
    if activity.target != new.uri:
        _refuse(activity, "sent by neither the old actor nor the new one")
        return
    if not old_uri or old_uri == new.uri or http_url(old_uri) is None:
        _refuse(activity, "it names no old actor")
        return
    if same_origin(old_uri, tx.settings.base_url):
        _refuse(activity, "the old actor is an account of this server")
        return
    ctx.needs(new.uri, actor_kind)  # the new actor as it is now: its statements
    if not ctx.found(new.uri):
        _refuse(activity, "the new actor could not be read again")
        return
    old = received.account_by_uri(tx, old_uri)
    if old is None:
        ctx.needs(old_uri, actor_kind)  # never seen here: its server is the only witness
        old = received.account_by_uri(tx, old_uri)
    if old is None:
        _refuse(activity, f"the old actor {old_uri} is unknown here and could not be read")
        return
    new = federation_reads.account(tx, new.id)
    if old.suspended_at is not None or new is None or new.suspended_at is not None:
        _refuse(activity, "one of the accounts is suspended here")
        return
    if not identity_links.linked(tx, old.id, new.id):
        ctx.needs(old_uri, actor_kind)  # not linked by proofs: does the old server vouch?
        old = received.account_by_uri(tx, old_uri)
        if old is None or not _linked_or_aliased(tx, old, new, ctx.found(old_uri)):
            _refuse(activity, "the new actor proves no key the old actor is known by")
            return
    received.record_move(tx, old.id, new.id)
    log.info("Move of %s to %s accepted (sent by the new actor)", old.uri, new.uri)


def _linked_or_aliased(tx: Tx, old: Any, new: Any, old_answered: bool) -> bool:
    """After the old actor was read again: linked by proofs now, or (when its server
    answered) the two actors name each other in alsoKnownAs."""
    if identity_links.linked(tx, old.id, new.id):
        return True
    if not old_answered:
        return False
    return new.uri in (old.also_known_as or []) and old.uri in (new.also_known_as or [])
