"""Quote posts, as Mastodon 4.5 has them (and FEP-044f between servers): who may quote what,
the state of each quote, and what happens when it changes.

A quote shows the quoted post to the quoter's audience, so it needs the quoted author's
consent, given by the post's quote policy (`public`, `followers`, `nobody`) or, for a post of
another server, by that server (a QuoteRequest answered by an Accept carrying a
QuoteAuthorization stamp). One row of `quotes` per quoting post holds its state:

    pending   asked, not answered yet (a post elsewhere)
    accepted  allowed; shown as `deleted` once the quoted post is gone
    rejected  refused by the quoted post's server
    revoked   allowed, then withdrawn by the quoted author

Followers-only and direct posts are never quoted by others (the rule of boosts,
`visibility.may_quote`); their policy is always `nobody`. A post of this server quoting
another post here is decided at once, as Mastodon does; a refusal there is a 422. The same
functions serve the API, and the federation handlers for what other servers send.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Row

from pnyx.core import events, visibility
from pnyx.core.errors import Invalid, NotFound
from pnyx.core.rows import AccountRow, StatusRow
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.tables import accounts, follows, quotes, statuses
from pnyx.jobs.queue import enqueue

POLICIES = ("public", "followers", "nobody")
DEFAULT_POLICY = "public"  # Mastodon 4.5's default for a new account
NOT_QUOTABLE = "Quoted status is not allowed to be quoted"
BAD_POLICY = "Quote approval policy is not included in the list"
QUOTED_NOT_FOUND = "The post you are trying to quote does not appear to exist."
# A quote of a third server's post names the quoted author's stamp: a job fetches and checks
# it (the federation layer runs it) and hands the result to `verified`.
VERIFY_JOB = "quotes.verify"
PRIVATE = ("private", "direct")
PRIVATE_MENTION = "Quoted status must be mentioned in a private mention quoting it"


@dataclass(frozen=True)
class Approval:
    """The Status entity's `quote_approval`: who is approved automatically, who by hand
    (nobody here: manual review is not offered), and what the viewer would get."""

    automatic: tuple[str, ...]
    manual: tuple[str, ...]
    current_user: str  # automatic, manual, denied or unknown (not signed in)


def effective_policy(status: StatusRow) -> str:
    """The policy that holds: followers-only and direct posts, and posts that never said
    (made before quotes, or from a server that does not tell), are quotable by nobody else."""
    if status.visibility in PRIVATE:
        return "nobody"
    policy = status.quote_policy
    return policy if policy in POLICIES else "nobody"


def policy_for_new(visibility_name: str, asked: str | None) -> str:
    """The policy a new post gets: as asked, or the default; never wider than `nobody` for a
    post that may not be quoted at all."""
    if asked is not None and asked not in POLICIES:
        raise Invalid(BAD_POLICY)
    if visibility_name in PRIVATE:
        return "nobody"
    return asked or DEFAULT_POLICY


def allowed_by_policy(status: StatusRow, quoter_id: int | None, follows_author: bool) -> bool:
    """Whether the quoted post's own policy lets `quoter_id` quote it without asking."""
    if quoter_id is None or not visibility.may_quote(quoter_id, status):
        return False
    if status.account_id == quoter_id:
        return True
    policy = effective_policy(status)
    return policy == "public" or (policy == "followers" and follows_author)


def approval(status: StatusRow, viewer_id: int | None, follows_author: bool) -> Approval:
    """`quote_approval` of a post for one viewer."""
    policy = effective_policy(status)
    automatic = () if policy == "nobody" else (policy,)
    if viewer_id is None:
        current = "unknown"
    elif allowed_by_policy(status, viewer_id, follows_author):
        current = "automatic"
    elif not status.local and status.quote_policy is None and status.visibility not in PRIVATE:
        current = "unknown"  # its server never said: it may answer a request
    else:
        current = "denied"
    return Approval(automatic, (), current)


def _follows(tx: Tx, follower_id: int, target_id: int) -> bool:
    return bool(
        tx.scalar(
            sa.select(sa.literal(1)).where(
                follows.c.account_id == follower_id, follows.c.target_account_id == target_id
            )
        )
    )


def _row(tx: Tx, status_id: int) -> StatusRow | None:
    return tx.one_or_none(sa.select(statuses).where(statuses.c.id == status_id))


def stamp_uri(quoted_author_uri: str, quote_id: int) -> str:
    """Where the QuoteAuthorization a local author gave for one quote is served."""
    return f"{quoted_author_uri}/quote_authorizations/{quote_id}"


def get(tx: Tx, quote_id: int) -> Row | None:
    """A row of `quotes`, or None."""
    return tx.one_or_none(sa.select(quotes).where(quotes.c.id == quote_id))


def of_status(tx: Tx, status_id: int) -> Row | None:
    """The quote a post makes, or None."""
    return tx.one_or_none(sa.select(quotes).where(quotes.c.status_id == status_id))


# --- Quoting -------------------------------------------------------------------------------


def quotable_for(tx: Tx, quoter_id: int, quoted_status_id: int) -> tuple[StatusRow, str]:
    """The post a new post of `quoter_id` may quote, and the state its quote starts in.
    404 when the quoter may not see it; 422 when they may not quote it. A boost stands for the
    post it boosts."""
    quoted = _row(tx, quoted_status_id)
    if quoted is not None and quoted.reblog_of_id is not None:
        quoted = _row(tx, quoted.reblog_of_id)
    if quoted is None or not visibility.may_see_one(tx, quoter_id, quoted):
        raise NotFound(QUOTED_NOT_FOUND)
    if not visibility.may_quote(quoter_id, quoted):
        raise Invalid(NOT_QUOTABLE)
    follows_author = _follows(tx, quoter_id, quoted.account_id)
    if allowed_by_policy(quoted, quoter_id, follows_author):
        return quoted, "accepted" if quoted.local else "pending"
    if not quoted.local and quoted.quote_policy is None:
        return quoted, "pending"  # its server never said: ask it
    raise Invalid(NOT_QUOTABLE)


def quote_visibility(quoted: StatusRow, chosen: str) -> str:
    """A quote of a followers-only post (its author's own: nobody else may quote it) is
    followers-only too, or narrower: quoting does not widen who sees a post."""
    if quoted.visibility == "private" and chosen in ("public", "unlisted"):
        return "private"
    return chosen


def check_private_mention(
    author_id: int, quoted: StatusRow, chosen: str, mentioned: Sequence[AccountRow]
) -> None:
    """A private mention may quote someone else's post only when it names them, as in
    Mastodon: the quoted author would otherwise not know where their post is shown."""
    if chosen != "direct" or quoted.account_id == author_id:
        return
    if all(account.id != quoted.account_id for account in mentioned):
        raise Invalid(PRIVATE_MENTION)


def attach(tx: Tx, status: StatusRow, quoted: StatusRow, state: str) -> int:
    """Record that `status` (local, just made) quotes `quoted` in `state` (from
    `quotable_for`), and what follows: the quoted author told, or the other server asked."""
    quote_id = new_id()
    author_uri = tx.scalar(sa.select(accounts.c.uri).where(accounts.c.id == quoted.account_id))
    accepted_here = state == "accepted" and quoted.local
    tx.execute(
        quotes.insert().values(
            id=quote_id,
            status_id=status.id,
            account_id=status.account_id,
            quoted_status_id=quoted.id,
            quoted_account_id=quoted.account_id,
            quoted_uri=quoted.uri,
            state=state,
            approval_uri=stamp_uri(author_uri, quote_id) if accepted_here else None,
            request_uri=None if quoted.local else f"{status.uri}/quote_request",
            created_at=tx.now,
        )
    )
    if accepted_here:
        events.record(tx, events.QuoteAccepted(quote_id, tell_other_servers=False))
    elif state == "pending":
        events.record(tx, events.QuoteRequested(quote_id))
    return quote_id


def revoke(tx: Tx, account_id: int, quoted_status_id: int, quoting_status_id: int) -> int:
    """The quoted author withdraws a quote of their post; returns the quoting post's id."""
    quote = tx.one_or_none(
        sa.select(quotes).where(
            quotes.c.status_id == quoting_status_id,
            quotes.c.quoted_status_id == quoted_status_id,
            quotes.c.quoted_account_id == account_id,
        )
    )
    if quote is None:
        raise NotFound()
    if quote.state == "accepted":
        _set_state(tx, quote.id, "revoked")
        quoting = _row(tx, quote.status_id)
        remote = quoting is not None and not quoting.local
        events.record(tx, events.QuoteRevoked(quote.id, tell_other_servers=remote))
    return quote.status_id


def set_policy(tx: Tx, account_id: int, status_id: int, policy: str | None) -> None:
    """Change who may quote one's post (PUT /api/v1/statuses/:id/interaction_policy). Quotes
    already made stay as they are, as in Mastodon."""
    status = _row(tx, status_id)
    if status is None or status.account_id != account_id or status.reblog_of_id is not None:
        raise NotFound()
    chosen = policy_for_new(status.visibility, policy)
    if chosen == status.quote_policy:
        return
    tx.execute(statuses.update().where(statuses.c.id == status_id).values(quote_policy=chosen))
    events.record(
        tx,
        events.QuoteTermsChanged(
            status_id, tell_other_servers=bool(status.local) and status.visibility != "direct"
        ),
    )


def quoting_ids_query(
    tx: Tx, account_id: int, status_id: int
) -> tuple[sa.Select, sa.ColumnElement[int]]:
    """GET /api/v1/statuses/:id/quotes: the accepted quotes of one's own post, and the column
    pages go by (the quote's id). Only its author may list them (404 for anyone else)."""
    status = _row(tx, status_id)
    if status is None or status.account_id != account_id:
        raise NotFound()
    query = sa.select(quotes.c.status_id, quotes.c.id.label("cursor_id")).where(
        quotes.c.quoted_status_id == status_id, quotes.c.state == "accepted"
    )
    return query, quotes.c.id


def _set_state(tx: Tx, quote_id: int, state: str, **values: str | None) -> None:
    tx.execute(quotes.update().where(quotes.c.id == quote_id).values(state=state, **values))


def quoters_of(tx: Tx, quoted_status_id: int) -> list:
    """(quoting status id, its author) of the accepted quotes of a post by accounts here:
    who hears that it was edited (`quoted_update`)."""
    return tx.rows(
        sa.select(quotes.c.status_id, quotes.c.account_id)
        .join(accounts, accounts.c.id == quotes.c.account_id)
        .where(
            quotes.c.quoted_status_id == quoted_status_id,
            quotes.c.state == "accepted",
            accounts.c.domain.is_(None),
        )
        .order_by(quotes.c.id)
    )


# --- What other servers tell us ------------------------------------------------------------


def requested(tx: Tx, quoting: StatusRow, quoted: StatusRow, request_uri: str) -> int | None:
    """A QuoteRequest from elsewhere for a local post: decided under its policy at once (this
    server offers no manual review), then answered (an Accept with the stamp, or a Reject).
    Asked again, the same answer goes out again (its author is told once). Returns the
    quote's id, or None when the request is not for a post the quoting post quotes."""
    if not quoted.local or quoting.account_id == quoted.account_id:
        return None
    existing = of_status(tx, quoting.id)  # stored with the quoting post (`received`)
    if existing is None or existing.quoted_uri != quoted.uri:
        return None  # the post it names does not quote this one
    allowed = visibility.may_see_one(tx, quoting.account_id, quoted) and allowed_by_policy(
        quoted, quoting.account_id, _follows(tx, quoting.account_id, quoted.account_id)
    )
    if existing.state == "revoked":
        allowed = False  # withdrawn once: asking again changes nothing
    state = "accepted" if allowed else "rejected"
    author_uri = tx.scalar(sa.select(accounts.c.uri).where(accounts.c.id == quoted.account_id))
    quote_id = existing.id
    stamp = stamp_uri(author_uri, quote_id) if allowed else None
    _set_state(tx, quote_id, state, request_uri=request_uri, approval_uri=stamp)
    if allowed:
        events.record(tx, events.QuoteAccepted(quote_id))
    else:
        events.record(tx, events.QuoteRejected(quote_id))
    return quote_id


def answered(tx: Tx, request_uri: str, signer_id: int, approval_uri: str | None) -> bool:
    """The quoted post's server answered our QuoteRequest: accepted with `approval_uri` (the
    stamp), or rejected (None). Only the quoted author's answer counts. The quoting post
    goes out again with its authorization. Whether `request_uri` was one of our requests."""
    quote = tx.one_or_none(
        sa.select(quotes).where(
            quotes.c.request_uri == request_uri, quotes.c.quoted_account_id == signer_id
        )
    )
    if quote is None:
        return False
    if quote.state not in ("pending", "accepted", "rejected"):
        return True
    if approval_uri is not None:
        _set_state(tx, quote.id, "accepted", approval_uri=approval_uri)
    else:
        _set_state(tx, quote.id, "rejected", approval_uri=None)
    events.record(tx, events.QuoteTermsChanged(quote.status_id))
    return True


def authorization_withdrawn(tx: Tx, approval_uri: str, signer_id: int) -> bool:
    """A Delete of a QuoteAuthorization stamp by the quoted author: the quote is revoked.
    Whether `approval_uri` was such a stamp."""
    quote = tx.one_or_none(
        sa.select(quotes).where(
            quotes.c.approval_uri == approval_uri, quotes.c.quoted_account_id == signer_id
        )
    )
    if quote is None:
        return False
    if quote.state == "accepted":
        _set_state(tx, quote.id, "revoked")
        quoting = _row(tx, quote.status_id)
        if quoting is not None and quoting.local:
            events.record(tx, events.QuoteTermsChanged(quoting.id))
    return True


def received(tx: Tx, status: StatusRow, quoted_uri: str | None, approval_uri: str | None) -> None:
    """A post from elsewhere (stored or updated) says it quotes `quoted_uri`, authorized by
    `approval_uri`. Accepted when this server authorized it (its author's QuoteRequest was
    answered here), or the post quotes its own author. A quote of another server's post
    naming a stamp stays pending until a job has fetched the stamp and found it says so
    (`VERIFY_JOB`, then `verified`). A quote the post no longer carries is dropped."""
    existing = of_status(tx, status.id)
    if not quoted_uri:
        if existing is not None:
            tx.execute(quotes.delete().where(quotes.c.id == existing.id))
        return
    quoted = tx.one_or_none(sa.select(statuses).where(statuses.c.uri == quoted_uri))
    state = "pending"
    if quoted is not None and quoted.account_id == status.account_id:
        state = "accepted"
    elif existing is not None and existing.quoted_uri == quoted_uri:
        if existing.state in ("revoked", "rejected"):
            state = existing.state
        elif existing.approval_uri and existing.approval_uri == approval_uri:
            state = "accepted"
        elif quoted is not None and quoted.local:
            state = existing.state  # decided here, when its server asked
    values = {
        "quoted_status_id": quoted.id if quoted is not None else None,
        "quoted_account_id": quoted.account_id if quoted is not None else None,
        "quoted_uri": quoted_uri,
        "state": state,
    }
    if quoted is None or not quoted.local:
        values["approval_uri"] = approval_uri
    if existing is None:
        quote_id = new_id()
        tx.execute(
            quotes.insert().values(
                id=quote_id,
                status_id=status.id,
                account_id=status.account_id,
                created_at=tx.now,
                **values,
            )
        )
    else:
        quote_id = existing.id
        tx.execute(quotes.update().where(quotes.c.id == quote_id).values(**values))
    if state == "pending" and approval_uri and quoted is not None and not quoted.local:
        enqueue(
            tx,
            VERIFY_JOB,
            {"quote_id": quote_id, "approval_uri": approval_uri},
            unique_key=f"{VERIFY_JOB}:{quote_id}:{approval_uri}"[:255],
        )


@dataclass(frozen=True)
class StampCheck:
    """What a QuoteAuthorization must say to allow one quote: its id, its author (the quoted
    post's), the quoting post and the quoted post."""

    approval_uri: str
    quoted_author_uri: str
    quoting_uri: str
    quoted_uri: str


def stamp_to_check(tx: Tx, quote_id: int, approval_uri: str) -> StampCheck | None:
    """The check the verification job makes, or None when there is nothing to check any more
    (the quote is gone, decided, or names another stamp now)."""
    row = tx.one_or_none(
        sa.select(quotes.c.quoted_uri, accounts.c.uri.label("author_uri"), statuses.c.uri)
        .join(statuses, statuses.c.id == quotes.c.status_id)
        .join(accounts, accounts.c.id == quotes.c.quoted_account_id)
        .where(
            quotes.c.id == quote_id,
            quotes.c.state == "pending",
            quotes.c.approval_uri == approval_uri,
        )
    )
    if row is None:
        return None
    return StampCheck(approval_uri, row.author_uri, row.uri, row.quoted_uri)


def verified(tx: Tx, quote_id: int, approval_uri: str) -> None:
    """The stamp was fetched from the quoted author's server and allows the quote."""
    tx.execute(
        quotes.update()
        .where(
            quotes.c.id == quote_id,
            quotes.c.state == "pending",
            quotes.c.approval_uri == approval_uri,
        )
        .values(state="accepted")
    )
