"""Reach limits through the admin API, as moderation apps set them: an account limited
(`silence`) or its media made sensitive (`sensitive`), a post taken out of the trends and let
back in; each logged in public, told to its owner as a `moderation_warning` whose
AccountWarning carries its appeal once there is one, and lifted again."""

from __future__ import annotations

import pytest

from images import png
from pnyx.core import accounts as core_accounts
from pnyx.core import appeals, moderation, trends

STAFF_SCOPES = "read write follow admin:read admin:write"
LOG = "/api/v1/pnyx/moderation_log"
TELL = {"send_email_notification": "true"}


def staff(make_user, name: str, role: str = "moderator"):
    return make_user(name, role=role, scopes=STAFF_SCOPES)


def ids(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [s["id"] for s in response.json()]


def post(client, user, text: str, **fields) -> str:
    answer = client.post("/api/v1/statuses", json={"status": text, **fields}, headers=user.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["id"]


def post_with_media(client, user, text: str) -> str:
    upload = client.post(
        "/api/v1/media", files={"file": ("photo.png", png(), "image/png")}, headers=user.headers
    )
    assert upload.status_code == 200, upload.text
    return post(client, user, text, media_ids=[upload.json()["id"]])


def act(client, mod, account_id: int, kind: str, text: str, **fields):
    answer = client.post(
        f"/api/v1/admin/accounts/{account_id}/action",
        json={"type": kind, "text": text, **fields},
        headers=mod.headers,
    )
    assert answer.status_code == 200, answer.text
    return answer


def admin_account(client, mod, account_id: int) -> dict:
    answer = client.get(f"/api/v1/admin/accounts/{account_id}", headers=mod.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def warnings(client, user) -> list[dict]:
    """The AccountWarnings of the user's moderation_warning notifications, newest first."""
    answer = client.get(
        "/api/v1/notifications",
        params={"types[]": "moderation_warning"},
        headers=user.headers,
    )
    assert answer.status_code == 200, answer.text
    return [n["moderation_warning"] for n in answer.json()]


def logged(client, action: str) -> list[dict]:
    answer = client.get(LOG, params={"action": action})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_limited_account_stays_off_the_public_timelines_but_not_off_its_followers(
    app, client, make_user
):
    mod = staff(make_user, "mod")
    loud, fan = make_user("loud"), make_user("fan")
    follow = client.post(f"/api/v1/accounts/{loud.account_id}/follow", headers=fan.headers)
    assert follow.status_code == 200, follow.text
    shout = post(client, loud, "LISTEN TO ME")
    assert shout in ids(client.get("/api/v1/timelines/public"))
    assert admin_account(client, mod, loud.account_id)["silenced"] is False

    act(client, mod, loud.account_id, "silence", "Shouting in the public timeline", **TELL)
    assert admin_account(client, mod, loud.account_id)["silenced"] is True
    again = post(client, loud, "STILL HERE")  # what it posts while limited, too
    for path in ("/api/v1/timelines/public", "/api/v1/timelines/public?local=true"):
        shown = ids(client.get(path, headers=fan.headers))
        assert shout not in shown and again not in shown, path
    home = ids(client.get("/api/v1/timelines/home", headers=fan.headers))
    assert shout in home and again in home
    # The staff find it by its state.
    listed = client.get(
        "/api/v2/admin/accounts", params={"status": "silenced"}, headers=mod.headers
    )
    assert [a["username"] for a in listed.json()] == ["loud"]

    # In the public log, and told to its owner.
    [entry] = logged(client, "silence")
    assert entry["reason"] == "Shouting in the public timeline"
    assert entry["target"]["account"]["id"] == str(loud.account_id)
    assert entry["actor_role"] == "moderator"
    [warning] = warnings(client, loud)
    assert warning["action"] == "silence"
    assert warning["text"] == "Shouting in the public timeline"
    assert warning["target_account"]["id"] == str(loud.account_id)
    assert warning["appeal"] is None and warning["status_ids"] is None
    assert list(warning) == [
        "id", "action", "text", "status_ids", "target_account", "appeal", "created_at",
    ]  # fmt: skip

    lifted = client.post(
        f"/api/v1/admin/accounts/{loud.account_id}/unsilence",
        json={"text": "Calmer now"},
        headers=mod.headers,
    )
    assert lifted.status_code == 200, lifted.text
    assert lifted.json()["silenced"] is False
    public = ids(client.get("/api/v1/timelines/public"))
    assert shout in public and again in public
    assert [e["reason"] for e in logged(client, "unsilence")] == ["Calmer now"]


def test_without_being_asked_to_tell_the_owner_is_not_told(client, make_user):
    mod = staff(make_user, "mod")
    quiet = make_user("quiet")
    act(client, mod, quiet.account_id, "silence", "Limited quietly")
    assert admin_account(client, mod, quiet.account_id)["silenced"] is True
    assert warnings(client, quiet) == []
    assert len(logged(client, "silence")) == 1  # the public log has it all the same


def test_sensitive_media_marks_the_posts_with_media_and_unsensitive_unmarks_them(client, make_user):
    mod = staff(make_user, "mod")
    artist = make_user("artist")
    with_media = post_with_media(client, artist, "my drawing")
    plain = post(client, artist, "words only")
    behind_a_warning = post(client, artist, "spoilers", spoiler_text="the ending")

    def sensitive(status_id: str) -> bool:
        answer = client.get(f"/api/v1/statuses/{status_id}")
        assert answer.status_code == 200, answer.text
        return answer.json()["sensitive"]

    assert sensitive(with_media) is False and sensitive(behind_a_warning) is True

    act(client, mod, artist.account_id, "sensitive", "Graphic images without a warning", **TELL)
    assert admin_account(client, mod, artist.account_id)["sensitized"] is True
    assert sensitive(with_media) is True
    assert sensitive(plain) is False  # no media: nothing to hide
    later = post_with_media(client, artist, "another drawing")
    assert sensitive(later) is True  # new posts with media are marked when made
    [warning] = warnings(client, artist)
    assert warning["action"] == "sensitive"
    assert warning["status_ids"] == [with_media]  # the posts it marked
    assert warning["appeal"] is None
    [entry] = logged(client, "sensitive")
    assert entry["reason"] == "Graphic images without a warning"

    lifted = client.post(
        f"/api/v1/admin/accounts/{artist.account_id}/unsensitive", headers=mod.headers
    )
    assert lifted.status_code == 200, lifted.text
    assert lifted.json()["sensitized"] is False
    assert sensitive(with_media) is False
    assert sensitive(behind_a_warning) is True  # its author's own warning stays
    assert len(logged(client, "unsensitive")) == 1


def test_reach_states_are_for_staff_with_an_admin_scope(client, make_user):
    plain = make_user("plain", scopes=STAFF_SCOPES)  # asks for admin scopes, is not staff
    target = make_user("target")
    for kind in ("silence", "sensitive"):
        answer = client.post(
            f"/api/v1/admin/accounts/{target.account_id}/action",
            json={"type": kind, "text": "x"},
            headers=plain.headers,
        )
        assert answer.status_code == 403, kind
    mod = staff(make_user, "mod")
    answer = client.post(
        f"/api/v1/admin/accounts/{target.account_id}/action",
        json={"type": "silence"},  # no reason
        headers=mod.headers,
    )
    assert answer.status_code == 422
    assert admin_account(client, mod, target.account_id)["silenced"] is False


@pytest.fixture
def trending(app, client, make_user):
    """A post that trends (two people favourited it), by `author`; trends computed afresh on
    every request."""
    app.state.trends_cache = trends.Cache(seconds=0)
    author = make_user("author")
    status_id = post(client, author, "Something everyone likes")
    for name in ("fan1", "fan2"):
        fan = make_user(name)
        liked = client.post(f"/api/v1/statuses/{status_id}/favourite", headers=fan.headers)
        assert liked.status_code == 200, liked.text
    assert status_id in ids(client.get("/api/v1/trends/statuses"))
    return author, status_id


def test_a_post_rejected_from_the_trends_leaves_them_and_its_author_is_told(
    client, make_user, trending
):
    author, status_id = trending
    mod = staff(make_user, "mod")
    path = f"/api/v1/admin/trends/statuses/{status_id}"
    answer = client.post(f"{path}/reject", json={"text": "Not news"}, headers=mod.headers)
    assert answer.status_code == 200, answer.text
    entity = answer.json()
    assert entity["id"] == status_id and entity["account"]["id"] == str(author.account_id)
    assert entity["content"] == "<p>Something everyone likes</p>"
    assert entity["requires_review"] is False
    assert status_id not in ids(client.get("/api/v1/trends/statuses"))
    assert status_id in ids(client.get("/api/v1/timelines/public"))  # only out of the trends

    [warning] = warnings(client, author)
    assert warning["action"] == "remove_from_trends"
    assert warning["text"] == "Not news" and warning["status_ids"] == [status_id]
    [entry] = logged(client, "remove_from_trends")
    assert entry["reason"] == "Not news"
    assert entry["target"]["account"]["id"] == str(author.account_id)
    # Rejecting again changes nothing and tells nobody twice.
    assert client.post(f"{path}/reject", headers=mod.headers).status_code == 200
    assert len(warnings(client, author)) == 1 and len(logged(client, "remove_from_trends")) == 1

    answer = client.post(f"{path}/approve", headers=mod.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["id"] == status_id
    assert status_id in ids(client.get("/api/v1/trends/statuses"))
    assert len(logged(client, "restore_to_trends")) == 1


def test_trends_moderation_needs_staff_admin_write_and_a_post(client, make_user, trending):
    _author, status_id = trending
    path = f"/api/v1/admin/trends/statuses/{status_id}/reject"
    nosy = make_user("nosy", scopes=STAFF_SCOPES)  # not staff
    assert client.post(path, headers=nosy.headers).status_code == 403
    narrow = make_user("narrow", role="moderator", scopes="admin:write:accounts")
    assert client.post(path, headers=narrow.headers).status_code == 403  # not admin:write
    assert client.post(path).status_code == 401
    assert status_id in ids(client.get("/api/v1/trends/statuses"))
    mod = staff(make_user, "mod")
    for verb in ("reject", "approve"):
        missing = client.post(f"/api/v1/admin/trends/statuses/1234567/{verb}", headers=mod.headers)
        assert missing.status_code == 404
        assert missing.json() == {"error": "Record not found"}
    assert logged(client, "remove_from_trends") == []


def test_the_account_warning_carries_its_appeal(app, client, make_user):
    db = app.state.db
    mod, other = staff(make_user, "mod"), staff(make_user, "othermod")
    loud = make_user("loud")
    act(client, mod, loud.account_id, "silence", "Shouting", **TELL)
    [warning] = warnings(client, loud)
    assert warning["appeal"] is None
    strike_id = int(warning["id"])

    appeal_id = db.run_sync(appeals.submit, loud.account_id, strike_id, "I was quoting someone")
    [warning] = warnings(client, loud)
    assert warning["appeal"] == {"text": "I was quoting someone", "state": "pending"}
    grouped = client.get(
        "/api/v2/notifications", params={"types[]": "moderation_warning"}, headers=loud.headers
    )
    assert grouped.status_code == 200, grouped.text
    [group] = grouped.json()["notification_groups"]
    assert group["moderation_warning"]["appeal"]["state"] == "pending"

    def decide_as(account_id: int):
        def work(tx):
            by = moderation.staff_member(core_accounts.user_for_account(tx, account_id))
            appeals.decide(tx, by, appeal_id, approve=True)

        return work

    db.run_sync(decide_as(other.account_id))
    # Told of the outcome: every notification of the strike shows it.
    told = warnings(client, loud)
    assert told and {w["id"] for w in told} == {str(strike_id)}
    assert [w["appeal"] for w in told] == [
        {"text": "I was quoting someone", "state": "approved"}
    ] * len(told)
    assert admin_account(client, mod, loud.account_id)["silenced"] is False  # reversed
