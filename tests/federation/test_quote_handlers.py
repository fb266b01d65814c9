"""Quote posts received from other servers (FEP-044f), handled as the inbox worker does: a
QuoteRequest for a post of ours is decided under its policy; only the quoted author's Accept
with a stamp on their own server authorizes our quote of their post; only they revoke it.
And how a post's `canQuote` is read and written."""

from __future__ import annotations

import sqlalchemy as sa

import factories
from pnyx.config import Settings
from pnyx.core import quotes as core_quotes
from pnyx.core import statuses as core_statuses
from pnyx.core.statuses import StatusInput
from pnyx.db.tables import jobs, notifications, quotes
from pnyx.federation import as2_to_internal as parse
from pnyx.federation import handlers, quote_stamps, resolve
from pnyx.federation import internal_to_as2 as out

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
R = "https://remote.example"
AP = {"Accept": "application/activity+json"}


def note(number: int, *, author: str = "rita", **extra) -> dict:
    return {
        "id": f"{R}/users/{author}/statuses/{number}",
        "type": "Note",
        "attributedTo": f"{R}/users/{author}",
        "content": f"<p>note {number}</p>",
        "to": [PUBLIC],
        "cc": [f"{R}/users/{author}/followers"],
        "published": "2026-11-20T10:00:00Z",
        **extra,
    }


def process(app, doc: dict, signer_id: int) -> None:
    handlers.process(app.state.db, app.state.settings, doc, signer_id)


def quote_rows(db) -> list:
    return db.run_sync(
        lambda tx: tx.rows(sa.select(quotes.c.state, quotes.c.approval_uri).order_by(quotes.c.id))
    )


def queued_events(db, name: str) -> list:
    payloads = db.run_sync(lambda tx: tx.scalars(sa.select(jobs.c.payload)))
    return [p for p in payloads if isinstance(p, dict) and p.get("event") == name]


def request(number: int, quoted_uri: str, instrument, actor: str = "rita") -> dict:
    return {
        "id": f"{R}/users/{actor}/statuses/{number}/quote_request",
        "type": "QuoteRequest",
        "actor": f"{R}/users/{actor}",
        "object": quoted_uri,
        "instrument": instrument,
    }


def test_a_quote_request_is_answered_under_the_posts_policy(app, client, make_user):
    db = app.state.db
    rita = factories.remote_account(db, "rita", "remote.example")
    alice = make_user("alice").account_id
    open_post = db.run_sync(core_statuses.create, alice, StatusInput(text="quote me"))
    closed = db.run_sync(
        core_statuses.create, alice, StatusInput(text="not me", quote_policy="nobody")
    )
    uri_of = db.run_sync(
        lambda tx: {s: core_statuses.get_row(tx, s).uri for s in (open_post, closed)}
    )

    process(app, request(1, uri_of[open_post], note(1, quote=uri_of[open_post])), rita)
    [(state, stamp)] = quote_rows(db)
    assert state == "accepted" and stamp.startswith("https://pnyx.test/users/alice/")

    def told():
        query = sa.select(notifications.c.type, notifications.c.from_account_id).where(
            notifications.c.account_id == alice
        )
        return [tuple(r) for r in db.run_sync(lambda tx: tx.rows(query))]

    assert told() == [("quote", rita)]
    assert len(queued_events(db, "QuoteAccepted")) == 1
    served = client.get(stamp.removeprefix("https://pnyx.test"), headers=AP)
    assert served.status_code == 200
    assert served.json()["interactingObject"] == f"{R}/users/rita/statuses/1"
    assert served.json()["interactionTarget"] == uri_of[open_post]

    # The same request again changes nothing; a request for the closed post is refused.
    process(app, request(1, uri_of[open_post], note(1, quote=uri_of[open_post])), rita)
    assert len(queued_events(db, "QuoteAccepted")) == 2  # answered again
    assert told() == [("quote", rita)]  # and told once
    process(app, request(2, uri_of[closed], note(2, quote=uri_of[closed])), rita)
    assert [r.state for r in quote_rows(db)] == ["accepted", "rejected"]
    # A request naming a post that quotes another post is ignored.
    process(app, request(1, uri_of[closed], f"{R}/users/rita/statuses/1"), rita)
    assert [r.state for r in quote_rows(db)] == ["accepted", "rejected"]
    assert len(queued_events(db, "QuoteRejected")) == 1
    # A request whose quoting post is not the sender's own is ignored.
    mallory = factories.remote_account(db, "mallory", "remote.example")
    process(
        app, request(3, uri_of[open_post], note(3, quote=uri_of[open_post]), "mallory"), mallory
    )
    assert len(quote_rows(db)) == 2


def test_only_the_quoted_authors_answer_and_revocation_count(app, make_user):
    db = app.state.db
    rita = factories.remote_account(db, "rita", "remote.example")
    mallory = factories.remote_account(db, "mallory", "evil.example")
    alice = make_user("alice").account_id
    factories.follow(db, alice, rita)
    doc = note(5, interactionPolicy={"canQuote": {"automaticApproval": [PUBLIC]}})
    process(
        app, {"id": f"{R}/a/5", "type": "Create", "actor": doc["attributedTo"], "object": doc}, rita
    )
    quoted = db.run_sync(lambda tx: tx.scalar(sa.select(quotes.c.id)))  # nothing yet
    assert quoted is None
    rita_post = db.run_sync(
        lambda tx: tx.scalar(
            sa.text("SELECT id FROM statuses WHERE uri = :u").bindparams(u=doc["id"])
        )
    )
    mine = db.run_sync(
        core_statuses.create, alice, StatusInput(text="quoting", quoted_status_id=rita_post)
    )
    [(state, _)] = quote_rows(db)
    assert state == "pending" and len(queued_events(db, "QuoteRequested")) == 1
    request_id = db.run_sync(lambda tx: core_quotes.of_status(tx, mine).request_uri)

    def accept(actor: str, stamp: str, number: int) -> dict:
        return {
            "id": f"{actor}#accepts/{number}",
            "type": "Accept",
            "actor": actor,
            "object": {"id": request_id, "type": "QuoteRequest"},
            "result": stamp,
        }

    evil = "https://evil.example/users/mallory"
    process(app, accept(evil, f"{evil}/stamps/1", 1), mallory)  # not the quoted author
    process(app, accept(f"{R}/users/rita", f"{evil}/stamps/2", 2), rita)  # a stamp elsewhere
    assert [r.state for r in quote_rows(db)] == ["pending"]
    stamp = f"{R}/users/rita/quote_authorizations/9"
    process(app, accept(f"{R}/users/rita", stamp, 3), rita)
    assert quote_rows(db)[0] == ("accepted", stamp)
    assert len(queued_events(db, "QuoteTermsChanged")) == 1  # goes out again, authorized

    delete = {"id": f"{stamp}#delete", "type": "Delete", "object": stamp}
    process(app, {**delete, "actor": evil}, mallory)
    assert quote_rows(db)[0].state == "accepted"
    process(app, {**delete, "actor": f"{R}/users/rita"}, rita)
    assert quote_rows(db)[0].state == "revoked"
    # Rita's post is still there: a Delete of a stamp deletes no post.
    assert db.run_sync(lambda tx: core_statuses.get_row(tx, rita_post)) is not None


def test_can_quote_is_read_and_written():
    author = f"{R}/users/rita"
    followers = f"{author}/followers"
    cases = [
        ({"canQuote": {"automaticApproval": [PUBLIC]}}, "public"),
        ({"canQuote": {"automaticApproval": "as:Public"}}, "public"),
        ({"canQuote": {"automaticApproval": [author, followers]}}, "followers"),
        ({"canQuote": {"automaticApproval": [author]}}, "nobody"),
        ({"canQuote": {"manualApproval": [PUBLIC]}}, "public"),
        ({"canQuote": {"automaticApproval": [], "manualApproval": []}}, "nobody"),
        ({"canQuote": {"automaticApproval": [f"{author}/following"]}}, None),  # ask
        ({"canReply": {"automaticApproval": [PUBLIC]}}, None),
        (None, None),
    ]
    for policy, expected in cases:
        doc = note(1) if policy is None else note(1, interactionPolicy=policy)
        approvers = parse.parse_object(doc).quote_approvers
        assert parse.quote_policy(approvers, author, followers) == expected, policy

    # The "RE:" paragraph a quote carries for older readers keeps its class, so apps hide it.
    inline = '<p class="quote-inline">RE: <a href="https://x.example/1">x</a></p><p>hi</p>'
    kept = parse.parse_object(note(1, content=inline, quote="https://x.example/1")).content_html
    assert kept.startswith('<p class="quote-inline">RE: ')
    dropped = parse.parse_object(note(1, content='<p class="evil">hi</p>')).content_html
    assert "evil" not in dropped and dropped.endswith(">hi</p>")

    settings = Settings(domain="pnyx.test")

    class Row:
        uri = "https://pnyx.test/users/a/statuses/1"
        url = None
        spoiler_text = ""
        in_reply_to_uri = None
        created_at = parse.parse_object(note(1)).published
        edited_at = None
        sensitive = False
        content = "<p>x</p>"
        language = None
        local = True
        visibility = "public"
        quote_policy = "followers"

    class Author:
        uri = "https://pnyx.test/users/a"
        followers_url = "https://pnyx.test/users/a/followers"

    doc = out.note(Row(), Author(), settings)
    assert doc["interactionPolicy"]["canQuote"]["automaticApproval"] == [
        Author.uri,
        Author.followers_url,
    ]
    Row.visibility = "private"
    closed = out.note(Row(), Author(), settings)
    assert closed["interactionPolicy"]["canQuote"]["automaticApproval"] == [Author.uri]


def test_a_quote_of_a_third_servers_post_is_accepted_once_its_stamp_says_so(
    local_db, peer, make_user
):
    """Rita (remote.example) quotes a post of Taka (the stand-in server): the stamp Rita's
    post names is fetched from Taka's server and must be Taka's, for this very quote."""
    db = local_db
    settings = db.settings
    rita = factories.remote_account(db, "rita", "remote.example")
    factories.follow(db, make_user("alice").account_id, rita)
    resolve.fetch_actor(db, settings, peer.actor)
    taka_post = f"{peer.actor}/statuses/1"
    resolve.store_object(
        db,
        settings,
        {
            "id": taka_post,
            "type": "Note",
            "attributedTo": peer.actor,
            "content": "<p>taka says</p>",
            "to": [PUBLIC],
        },
    )
    stamp = f"{peer.actor}/quote_authorizations/1"
    quoting = note(7, quote=taka_post, quoteAuthorization=stamp)
    create = {"id": f"{R}/a/7", "type": "Create", "actor": quoting["attributedTo"]}
    handlers.process(db, settings, {**create, "object": quoting}, rita)
    assert [r.state for r in quote_rows(db)] == ["pending"]
    payloads = db.run_sync(
        lambda tx: tx.scalars(
            sa.select(jobs.c.payload).where(jobs.c.kind == core_quotes.VERIFY_JOB)
        )
    )
    [payload] = payloads

    quote_stamps.verify(db, payload)  # not served: still pending
    assert [r.state for r in quote_rows(db)] == ["pending"]
    authorization = {
        "id": stamp,
        "type": "QuoteAuthorization",
        "attributedTo": peer.actor,
        "interactingObject": f"{R}/users/rita/statuses/8",  # another post
        "interactionTarget": taka_post,
    }
    peer.docs["/users/taka/quote_authorizations/1"] = authorization
    quote_stamps.verify(db, payload)
    assert [r.state for r in quote_rows(db)] == ["pending"]
    authorization["interactingObject"] = quoting["id"]
    quote_stamps.verify(db, payload)
    assert [r.state for r in quote_rows(db)] == ["accepted"]
