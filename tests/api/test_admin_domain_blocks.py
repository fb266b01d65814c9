"""The admin API for domain blocks, and what a block does: suspended servers' accounts hidden
(and brought back when the block is lifted), limited servers' posts off the public timelines,
media and reports refused, the public list, the moderation log. (Refused inbox POSTs and
stopped deliveries on a real server: tests/federation/test_domain_blocks_served.py.)"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import factories
from pnyx.core import remote_store
from pnyx.db.tables import accounts, media_attachments, moderation_log, reports
from pnyx.federation.authentication import Unauthenticated, known_signer

ADMIN_SCOPES = "read write follow admin:read admin:write"
PATH = "/api/v1/admin/domain_blocks"


def remote(app, name: str, domain: str, **extra) -> int:
    incoming = remote_store.IncomingAccount(
        uri=f"https://{domain}/users/{name}",
        username=name,
        domain=domain,
        inbox_url=f"https://{domain}/users/{name}/inbox",
        **extra,
    )
    return app.state.db.run_sync(remote_store.store_account, incoming)


def remote_post(app, author_id: int, domain: str, n: int, **extra) -> int:
    incoming = remote_store.IncomingStatus(
        uri=f"https://{domain}/statuses/{n}", content="<p>hello</p>", visibility="public", **extra
    )
    return app.state.db.run_sync(remote_store.store_status, author_id, incoming)


def suspended(app, account_id: int) -> bool:
    return app.state.db.run_sync(
        lambda tx: (
            tx.scalar(sa.select(accounts.c.suspended_at).where(accounts.c.id == account_id))
            is not None
        )
    )


@pytest.fixture
def admin(make_user):
    return make_user("boss", role="admin", scopes=ADMIN_SCOPES)


def block(client, admin, domain: str, **fields) -> dict:
    answer = client.post(PATH, json={"domain": domain, **fields}, headers=admin.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_domain_blocks_are_for_admins(client, make_user):
    mod = make_user("mod", role="moderator", scopes=ADMIN_SCOPES)
    user = make_user("someone", scopes=ADMIN_SCOPES)
    for who in (mod, user):
        assert client.get(PATH, headers=who.headers).status_code == 403
        answer = client.post(PATH, json={"domain": "bad.example"}, headers=who.headers)
        assert answer.status_code == 403


def test_create_show_change_remove_with_the_log(app, client, admin):
    made = block(
        client,
        admin,
        "Bad.Example",
        severity="suspend",
        reject_media=True,
        private_comment="spam wave",
        public_comment="Spam",
    )
    assert set(made) == {
        "id", "domain", "digest", "created_at", "severity", "reject_media", "reject_reports",
        "private_comment", "public_comment", "obfuscate",
    }  # fmt: skip
    assert made["domain"] == "bad.example" and made["severity"] == "suspend"
    assert made["reject_media"] is True and made["reject_reports"] is False
    again = client.post(PATH, json={"domain": "bad.example"}, headers=admin.headers)
    assert again.status_code == 422
    wrong = client.post(
        PATH, json={"domain": "x.example", "severity": "nuke"}, headers=admin.headers
    )
    assert wrong.status_code == 422
    assert [b["id"] for b in client.get(PATH, headers=admin.headers).json()] == [made["id"]]
    one = client.get(f"{PATH}/{made['id']}", headers=admin.headers).json()
    assert one == made
    changed = client.put(
        f"{PATH}/{made['id']}", json={"severity": "silence"}, headers=admin.headers
    ).json()
    assert changed["severity"] == "silence" and changed["reject_media"] is True
    assert client.delete(f"{PATH}/{made['id']}", headers=admin.headers).status_code == 200
    assert client.get(f"{PATH}/{made['id']}", headers=admin.headers).status_code == 404
    logged = app.state.db.run_sync(
        lambda tx: [
            (r.action, r.target_domain, r.reason, r.private_note, r.actor_account_id)
            for r in tx.rows(sa.select(moderation_log).order_by(moderation_log.c.id))
        ]
    )
    # The public comment is the entry's reason (the log is public); the private one is kept
    # with it for the staff.
    assert logged == [
        ("domain_block:suspend", "bad.example", "Spam", "spam wave", admin.account_id),
        ("domain_block_update:silence", "bad.example", "Spam", "spam wave", admin.account_id),
        ("domain_unblock", "bad.example", "Spam", "spam wave", admin.account_id),
    ]


def test_the_public_list_and_the_about_page(client, admin):
    block(client, admin, "bad.example", severity="suspend", public_comment="Spam")
    block(client, admin, "slurs.example", obfuscate=True)
    block(client, admin, "quiet.example", severity="noop", reject_media=True)
    listed = client.get("/api/v1/instance/domain_blocks").json()
    assert [(b["domain"], b["severity"], b["comment"]) for b in listed] == [
        ("bad.example", "suspend", "Spam"),
        ("s**r*.e**m**e", "silence", ""),
    ]
    assert all(len(b["digest"]) == 64 for b in listed)
    page = client.get("/about").text
    assert "bad.example" in page and "Spam" in page and "slurs.example" not in page


def test_a_suspended_domain_and_its_subdomains_are_hidden_until_lifted(app, client, admin):
    dana = remote(app, "dana", "bad.example")
    eve = remote(app, "eve", "social.bad.example")
    fred = remote(app, "fred", "good.example")
    made = block(client, admin, "bad.example", severity="suspend")
    assert suspended(app, dana) and suspended(app, eve) and not suspended(app, fred)
    later = remote(app, "gail", "bad.example")  # met after the block: suspended too
    assert suspended(app, later)
    assert client.get(f"/api/v1/accounts/{dana}").json().get("suspended") is True
    # A key of the blocked server is refused before it is looked up or fetched.
    with pytest.raises(Unauthenticated) as refused:
        app.state.db.run_sync(
            known_signer, "https://bad.example/users/dana#main-key", "POST", "/inbox", {}, b""
        )
    assert refused.value.status == 403
    client.delete(f"{PATH}/{made['id']}", headers=admin.headers)
    assert not suspended(app, dana) and not suspended(app, later)


def test_lifting_a_block_keeps_suspensions_made_by_hand(app, client, admin):
    dana = remote(app, "dana", "bad.example")
    client.post(
        f"/api/v1/admin/accounts/{dana}/action",
        json={"type": "suspend", "text": "abuse", "rule_id": str(factories.rule(app.state.db))},
        headers=admin.headers,
    )
    made = block(client, admin, "bad.example", severity="suspend")
    client.delete(f"{PATH}/{made['id']}", headers=admin.headers)
    assert suspended(app, dana)


def test_a_limited_domain_stays_off_the_public_timelines(app, client, admin, make_user):
    loud = remote(app, "loud", "loud.example")
    calm = remote(app, "calm", "calm.example")
    loud_post = str(remote_post(app, loud, "loud.example", 1))
    calm_post = str(remote_post(app, calm, "calm.example", 1))
    public = lambda: {s["id"] for s in client.get("/api/v1/timelines/public").json()}  # noqa: E731
    assert {loud_post, calm_post} <= public()
    block(client, admin, "loud.example")  # silence is the default severity
    assert calm_post in public() and loud_post not in public()
    remote_only = client.get("/api/v1/timelines/public", params={"remote": "true"}).json()
    assert loud_post not in {s["id"] for s in remote_only}


def test_rejected_media_stays_a_link_and_rejected_reports_are_dropped(app, client, admin):
    block(client, admin, "pics.example", severity="noop", reject_media=True, reject_reports=True)
    pics = remote(app, "pics", "pics.example", avatar_url="https://pics.example/a.png")
    stored_avatar = app.state.db.run_sync(
        lambda tx: tx.scalar(sa.select(accounts.c.avatar_url).where(accounts.c.id == pics))
    )
    assert stored_avatar is None
    attachment = remote_store.IncomingAttachment(
        kind="image", remote_url="https://pics.example/p.png", description="a cat"
    )
    status_id = remote_post(app, pics, "pics.example", 2, attachments=[attachment])
    kinds = app.state.db.run_sync(
        lambda tx: list(
            tx.scalars(
                sa.select(media_attachments.c.type).where(
                    media_attachments.c.status_id == status_id
                )
            )
        )
    )
    assert kinds == ["unknown"]
    target = remote(app, "someone", "elsewhere.example")
    stored = app.state.db.run_sync(
        remote_store.store_report, pics, target, [], "you are bad", "https://pics.example/flag/1"
    )
    assert stored is None
    assert (
        app.state.db.run_sync(lambda tx: tx.scalar(sa.select(sa.func.count()).select_from(reports)))
        == 0
    )


def test_the_admin_page_log_names_the_domain(app, client, admin):
    from pnyx.core import staff

    block(client, admin, "bad.example", private_comment="spam wave")
    entry = app.state.db.run_sync(staff.recent_actions)[0]
    assert (entry.action, entry.target, entry.target_domain) == (
        "domain_block:silence",
        None,
        "bad.example",
    )
    assert (
        client.post(PATH, json={"domain": "a%b.example"}, headers=admin.headers).status_code == 422
    )
