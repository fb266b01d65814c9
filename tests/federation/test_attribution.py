"""Author attribution across servers: our actors carry `attributionDomains`, a remote actor's
list is kept (cleaned), and a link card credits the account a page names in its
`fediverse:creator` tag only when that account lists the page's domain. Pages and the other
server are real HTTP servers on loopback; the `cards.fetch` job resolves an unknown remote
creator through WebFinger with the safe client."""

from __future__ import annotations

import re

import sqlalchemy as sa

import factories
from pnyx import registry
from pnyx.core import trends
from pnyx.db.tables import accounts
from pnyx.db.tables import preview_cards as cards_table
from pnyx.federation import resolve

AP = "application/activity+json"


def _page(peer, path: str, creator: str | None, title: str = "Tide tables") -> str:
    tag = f'<meta name="fediverse:creator" content="{creator}">' if creator else ""
    decoy = '<meta name="fediverse:creator" content="@mallory@pnyx.test">'  # only the first counts
    html = f"<html><head><title>{title}</title>{tag}{decoy}</head><body></body></html>"
    return peer.serve_file(path, html.encode(), "text/html; charset=utf-8")


def _set_domains(client, user, domains: list[str]) -> None:
    answer = client.patch(
        "/api/v1/accounts/update_credentials",
        json={"attribution_domains": domains},
        headers=user.headers,
    )
    assert answer.status_code == 200, answer.text


def _card_of_post(client, user, url: str) -> dict:
    posted = client.post("/api/v1/statuses", headers=user.headers, json={"status": f"see {url}"})
    assert posted.status_code == 200, posted.text
    return posted.json()["id"]


def _card(client, user, status_id: str) -> dict:
    answer = client.get(f"/api/v1/statuses/{status_id}", headers=user.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["card"]


def _row(db, **where):
    column, value = next(iter(where.items()))
    return db.run_sync(
        lambda tx: tx.one_or_none(sa.select(accounts).where(accounts.c[column] == value)),
        write=False,
    )


def test_our_actor_document_carries_attribution_domains(client, make_user):
    alice = make_user("alice")
    doc = client.get("/users/alice", headers={"Accept": AP}).json()
    assert doc["attributionDomains"] == []
    _set_domains(client, alice, ["Example.com", "bücher.de"])
    doc = client.get("/users/alice", headers={"Accept": AP}).json()
    assert doc["attributionDomains"] == ["example.com", "xn--bcher-kva.de"]
    # The extension context (others, such as FEP-c390's terms, may sit beside it).
    [extension] = [c for c in doc["@context"] if isinstance(c, dict) and "toot" in c]
    assert extension["attributionDomains"] == {"@id": "toot:attributionDomains", "@type": "@id"}
    assert extension["toot"] == "http://joinmastodon.org/ns#"


def test_a_remote_actors_list_is_kept_cleaned(local_db, peer):
    document = peer.actor_document()
    document["attributionDomains"] = ["News.Example", "not a domain", 42, "news.example", "x.test"]
    peer.docs[f"/users/{peer.username}"] = document
    account_id = resolve.resolve_handle(local_db, local_db.settings, f"taka@{peer.domain}")
    row = _row(local_db, id=account_id)
    assert row.domain == peer.domain and row.attribution_domains == ["news.example", "x.test"]

    # A refreshed document without the term clears it.
    peer.docs[f"/users/{peer.username}"] = peer.actor_document()
    resolve.fetch_actor(local_db, local_db.settings, peer.actor)
    assert _row(local_db, id=account_id).attribution_domains is None


def test_a_card_credits_a_local_author_only_from_a_listed_domain(
    client, make_user, local_db, peer, app
):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    _set_domains(client, alice, ["127.0.0.1"])  # where the pages are served
    _set_domains(client, carol, ["example.com"])  # not there
    by_alice = _page(peer, "/alice/tides", "@alice@pnyx.test")
    by_carol = _page(peer, "/carol/waves", "@carol@pnyx.test", title="Waves")
    by_nobody = _page(peer, "/ghost/fog", "@ghost@pnyx.test", title="Fog")
    posts = {url: _card_of_post(client, bob, url) for url in (by_alice, by_carol, by_nobody)}
    registry.drain(local_db)

    card = _card(client, bob, posts[by_alice])
    [author] = card["authors"]
    assert author["account"]["id"] == str(alice.account_id)
    assert author["account"]["acct"] == "alice"
    assert author["name"] == "alice" and author["url"] == "https://pnyx.test/@alice"
    for url in (by_carol, by_nobody):  # a claim the account did not allow, or nobody
        assert _card(client, bob, posts[url])["authors"] == []
    stored = local_db.run_sync(
        lambda tx: {
            r.url: r.author_account_id for r in tx.execute(sa.select(cards_table)).fetchall()
        },
        write=False,
    )
    # The claim is kept; whether it is shown is decided when the card is shown.
    assert stored == {by_alice: alice.account_id, by_carol: carol.account_id, by_nobody: None}

    # The web page of the post offers the author's profile under the card.
    page = client.get(f"/@bob/{posts[by_alice]}", headers={"Accept": "text/html"}).text
    assert re.search(r'<a href="/@alice">More from @alice</a>', page)
    page = client.get(f"/@bob/{posts[by_carol]}", headers={"Accept": "text/html"}).text
    assert "preview-card-author" not in page

    # A trending link carries its author too.
    app.state.trends_cache = trends.Cache(seconds=0)
    for person in (alice, carol):
        _card_of_post(client, person, by_alice)
    registry.drain(local_db)
    [link] = client.get("/api/v1/trends/links").json()
    assert link["url"] == by_alice
    assert link["authors"][0]["account"]["id"] == str(alice.account_id)

    # Alice stops listing the site: her name leaves its cards at once, before any refetch;
    # Carol starts listing it: she is credited at once.
    _set_domains(client, alice, ["example.com"])
    _set_domains(client, carol, ["example.com", "127.0.0.1"])
    assert _card(client, bob, posts[by_alice])["authors"] == []
    [link] = client.get("/api/v1/trends/links").json()
    assert link["authors"] == []
    [author] = _card(client, bob, posts[by_carol])["authors"]
    assert author["account"]["id"] == str(carol.account_id)

    # A suspended account is credited by nobody.
    admin = make_user("staff", role="admin", scopes="admin:write:accounts")
    suspended = client.post(
        f"/api/v1/admin/accounts/{carol.account_id}/action",
        json={"type": "suspend", "text": "spam", "rule_id": str(factories.rule(app.state.db))},
        headers=admin.headers,
    )
    assert suspended.status_code == 200, suspended.text
    assert _card(client, bob, posts[by_carol])["authors"] == []


def test_a_card_credits_a_remote_author_found_through_webfinger(client, make_user, local_db, peer):
    reader = make_user("reader")
    document = peer.actor_document()
    document["attributionDomains"] = ["127.0.0.1"]
    peer.docs[f"/users/{peer.username}"] = document
    url = _page(peer, "/taka/essay", f"@taka@{peer.domain}")
    status_id = _card_of_post(client, reader, url)
    assert _row(local_db, username="taka") is None  # not known before the job
    registry.drain(local_db)

    [author] = _card(client, reader, status_id)["authors"]
    assert author["account"]["acct"] == f"taka@{peer.domain}"
    assert author["account"]["display_name"] == "Taka Elsewhere"
    assert author["name"] == "Taka Elsewhere" and author["url"] == f"{peer.base}/@taka"
