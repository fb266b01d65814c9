"""Web Push subscriptions through the API: the entity, validation, scope, one per token, what
revoking a token does, the VAPID key where apps read it, and which notifications become
push jobs (the delivery itself, over real HTTP, is tests/e2e/test_web_push.py)."""

from __future__ import annotations

import base64
import os

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from pnyx.core import accounts as core_accounts
from pnyx.core import oauth as core_oauth
from pnyx.core import web_push
from pnyx.db.tables import jobs, oauth_apps, oauth_tokens, web_push_subscriptions
from pnyx.db.tables import mutes as mutes_table

ENDPOINT = "https://push.example/send/abc"


def client_keys() -> tuple[str, str]:
    """What a browser hands an app: its P-256 public key and a 16-byte secret, base64url."""
    key = ec.generate_private_key(ec.SECP256R1())
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    enc = lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")  # noqa: E731
    return enc(point), enc(os.urandom(16))


def form(endpoint=ENDPOINT, **alerts) -> dict:
    p256dh, auth = client_keys()
    data = {
        "subscription[endpoint]": endpoint,
        "subscription[keys][p256dh]": p256dh,
        "subscription[keys][auth]": auth,
    }
    data.update({f"data[alerts][{k}]": str(v).lower() for k, v in alerts.items()})
    return data


def test_subscribe_show_change_delete(client, make_user):
    alice = make_user("alice")
    made = client.post(
        "/api/v1/push/subscription",
        data={**form(mention=True, favourite=True), "data[policy]": "followed"},
        headers=alice.headers,
    )
    assert made.status_code == 200, made.text
    sub = made.json()
    assert sub["endpoint"] == ENDPOINT
    assert sub["policy"] == "followed"
    assert sub["standard"] is False
    assert sub["alerts"]["mention"] is True and sub["alerts"]["favourite"] is True
    assert sub["alerts"]["follow"] is False
    assert sub["alerts"]["admin.report"] is False
    instance_key = client.get("/api/v2/instance").json()["configuration"]["vapid"]["public_key"]
    assert sub["server_key"] == instance_key
    point = base64.urlsafe_b64decode(instance_key + "=" * (-len(instance_key) % 4))
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)  # a P-256 key
    assert client.get("/api/v1/push/subscription", headers=alice.headers).json() == sub

    changed = client.put(
        "/api/v1/push/subscription",
        data={"data[alerts][follow]": "true", "data[alerts][favourite]": "false"},
        headers=alice.headers,
    ).json()
    assert changed["id"] == sub["id"]
    assert changed["alerts"]["follow"] is True
    assert changed["alerts"]["favourite"] is False
    assert changed["alerts"]["mention"] is True  # not named: kept
    assert changed["policy"] == "followed"

    again = client.post(
        "/api/v1/push/subscription",
        json={
            "subscription": {
                "endpoint": ENDPOINT + "2",
                "keys": dict(zip(("p256dh", "auth"), client_keys(), strict=True)),
                "standard": True,
            },
            "data": {"alerts": {"reblog": True}},
        },
        headers=alice.headers,
    ).json()
    assert again["id"] != sub["id"]  # a new subscription replaces the token's old one
    assert again["standard"] is True and again["policy"] == "all"
    assert [k for k, v in again["alerts"].items() if v] == ["reblog"]

    assert client.delete("/api/v1/push/subscription", headers=alice.headers).json() == {}
    gone = client.get("/api/v1/push/subscription", headers=alice.headers)
    assert gone.status_code == 404 and "error" in gone.json()
    assert client.put("/api/v1/push/subscription", headers=alice.headers).status_code == 404


def test_validation_and_scope(client, make_user):
    alice = make_user("alice")
    url = "/api/v1/push/subscription"
    for bad in (
        {**form(), "subscription[endpoint]": ""},
        {**form(), "subscription[endpoint]": "ftp://push.example/x"},
        {**form(), "subscription[endpoint]": "http://push.example/x"},  # https only here
        {**form(), "subscription[endpoint]": "https://127.0.0.1:8080/x"},
        {**form(), "subscription[endpoint]": "https://[::1]/x"},
        {**form(), "subscription[endpoint]": "https://10.1.2.3/x"},
        {**form(), "subscription[endpoint]": "https://localhost/x"},
        {**form(), "subscription[endpoint]": "https://push.example:99999/x"},
        {**form(), "subscription[keys][p256dh]": "bm90IGEga2V5"},
        {**form(), "subscription[keys][auth]": "c2hvcnQ"},
        {**form(), "subscription[keys][auth]": "!!!"},
        {**form(), "data[policy]": "everyone"},
    ):
        answer = client.post(url, data=bad, headers=alice.headers)
        assert answer.status_code == 422, (bad, answer.text)
        assert answer.json()["error"].startswith("Validation failed")
    reader = make_user("reader", scopes="read write")
    assert client.post(url, data=form(), headers=reader.headers).status_code == 403
    assert client.get(url).status_code == 401
    # Staff alerts are only for staff.
    made = client.post(url, data=form(**{"admin.report": True}), headers=alice.headers).json()
    assert made["alerts"]["admin.report"] is False
    admin = make_user("dora", role="admin")
    made = client.post(url, data=form(**{"admin.report": True}), headers=admin.headers).json()
    assert made["alerts"]["admin.report"] is True


def test_one_subscription_per_token_and_revoking_removes_it(client, make_user, app):
    alice = make_user("alice")
    db = app.state.db

    def second_token(tx):
        app_row = core_oauth.create_app(tx, "second", [core_oauth.OOB], ["read", "push"])
        token, _ = core_oauth.issue_token(tx, app_row.id, alice.user_id, ["read", "push"])
        return token, app_row

    token2, app2 = db.run_sync(second_token)
    headers2 = {"Authorization": f"Bearer {token2}"}
    first = client.post("/api/v1/push/subscription", data=form(), headers=alice.headers).json()
    second = client.post("/api/v1/push/subscription", data=form(), headers=headers2).json()
    assert first["id"] != second["id"]
    assert client.get("/api/v1/push/subscription", headers=headers2).json()["id"] == second["id"]

    revoked = client.post(
        "/oauth/revoke",
        data={"client_id": app2.client_id, "client_secret": app2.client_secret, "token": token2},
    )
    assert revoked.status_code == 200

    def left(tx):
        return tx.scalars(sa.select(web_push_subscriptions.c.id))

    assert [str(i) for i in db.run_sync(left)] == [first["id"]]
    # Changing the password ends every other token: their subscriptions go with them.
    db.run_sync(core_accounts.revoke_credentials, alice.user_id)
    assert db.run_sync(left) == []
    assert db.run_sync(lambda tx: tx.scalar(sa.select(sa.func.count()).select_from(oauth_apps)))
    assert db.run_sync(
        lambda tx: tx.scalar(
            sa.select(sa.func.count())
            .select_from(oauth_tokens)
            .where(oauth_tokens.c.revoked_at.is_not(None))
        )
    )


def test_vapid_key_on_the_application_entity(client):
    made = client.post(
        "/api/v1/apps", data={"client_name": "pushy", "redirect_uris": core_oauth.OOB}
    ).json()
    instance_key = client.get("/api/v2/instance").json()["configuration"]["vapid"]["public_key"]
    assert made["vapid_key"] == instance_key != ""


def _push_jobs(db) -> list[dict]:
    def work(tx):
        return [
            row.payload
            for row in tx.rows(sa.select(jobs.c.payload).where(jobs.c.kind == "web_push.deliver"))
        ]

    return db.run_sync(work)


def test_which_notifications_become_push_jobs(client, make_user, app):
    db = app.state.db
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    client.post(
        "/api/v1/push/subscription",
        data={**form(mention=True, follow=True), "data[policy]": "followed"},
        headers=alice.headers,
    )
    # Bob is not followed by Alice: policy "followed" keeps his mention from her phone.
    client.post("/api/v1/statuses", data={"status": "@alice hi"}, headers=bob.headers)
    assert _push_jobs(db) == []
    client.post(f"/api/v1/accounts/{bob.account_id}/follow", headers=alice.headers)
    posted = client.post("/api/v1/statuses", data={"status": "@alice again"}, headers=bob.headers)
    assert posted.status_code == 200
    queued = _push_jobs(db)
    assert len(queued) == 1
    # A favourite is not among the alerts.
    client.post(f"/api/v1/statuses/{posted.json()['id']}/favourite", headers=alice.headers)
    mine = client.post("/api/v1/statuses", data={"status": "mine"}, headers=alice.headers)
    client.post(f"/api/v1/statuses/{mine.json()['id']}/favourite", headers=bob.headers)
    assert len(_push_jobs(db)) == 1
    # A muted account (even one whose notifications are still listed) rings no phone.
    client.post(
        f"/api/v1/accounts/{bob.account_id}/mute",
        data={"notifications": "false"},
        headers=alice.headers,
    )
    assert db.run_sync(lambda tx: tx.scalar(sa.select(sa.func.count()).select_from(mutes_table)))
    client.post("/api/v1/statuses", data={"status": "@alice muted?"}, headers=bob.headers)
    assert len(_push_jobs(db)) == 1
    # Policy "all": Carol, whom Alice does not follow, gets through; a follow too.
    client.put("/api/v1/push/subscription", data={"data[policy]": "all"}, headers=alice.headers)
    client.post(f"/api/v1/accounts/{alice.account_id}/follow", headers=carol.headers)
    assert len(_push_jobs(db)) == 2


def test_what_a_push_carries_is_decided_when_it_is_sent(client, make_user, app):
    db = app.state.db
    alice, bob = make_user("alice"), make_user("bob")
    client.post("/api/v1/push/subscription", data=form(favourite=True), headers=alice.headers)
    post = client.post(
        "/api/v1/statuses", data={"status": "a <b>fine</b> day"}, headers=alice.headers
    ).json()
    client.post(f"/api/v1/statuses/{post['id']}/favourite", headers=bob.headers)
    [job] = _push_jobs(db)
    push = db.run_sync(web_push.delivery, job["subscription"], job["notification"])
    assert push is not None
    assert push.payload["notification_type"] == "favourite"
    assert push.payload["notification_id"] == str(job["notification"])
    assert push.payload["access_token"] == alice.token
    assert push.payload["body"] == "a <b>fine</b> day"
    assert "bob" in push.payload["title"]
    assert push.urgency == "low"
    # Unfavourited before the job ran: the notification is gone, nothing is sent.
    client.post(f"/api/v1/statuses/{post['id']}/unfavourite", headers=bob.headers)
    assert db.run_sync(web_push.delivery, job["subscription"], job["notification"]) is None
    # Favourited again, then Alice blocks Bob before the job runs.
    client.post(f"/api/v1/statuses/{post['id']}/favourite", headers=bob.headers)
    job = _push_jobs(db)[-1]
    assert db.run_sync(web_push.delivery, job["subscription"], job["notification"]) is not None
    client.post(f"/api/v1/accounts/{bob.account_id}/block", headers=alice.headers)
    assert db.run_sync(web_push.delivery, job["subscription"], job["notification"]) is None


def test_a_quote_is_pushed_to_those_who_asked(client, make_user, app):
    """Mastodon 4.5's `quote` and `quoted_update` alerts."""
    db = app.state.db
    alice, bob = make_user("alice"), make_user("bob")
    made = client.post(
        "/api/v1/push/subscription", data=form(quote=True), headers=alice.headers
    ).json()
    assert made["alerts"]["quote"] is True and made["alerts"]["quoted_update"] is False
    original = client.post("/api/v1/statuses", data={"status": "hi"}, headers=alice.headers)
    quote = client.post(
        "/api/v1/statuses",
        data={"status": "so true", "quoted_status_id": original.json()["id"]},
        headers=bob.headers,
    )
    assert quote.status_code == 200, quote.text
    [job] = _push_jobs(db)
    push = db.run_sync(web_push.delivery, job["subscription"], job["notification"])
    assert push is not None
    assert push.payload["notification_type"] == "quote"
    assert "quoted your post" in push.payload["title"]
