"""Every read route the apps call answers: none is a 404 or a 5xx for valid input.

The list is the endpoint table of docs/api.md (what Pnyx says it serves, the apps' main screens
included), so a route documented and not served, or removed and still documented, fails here.
Ids in the paths are those of real objects made first (a post, a list, a filter, a
notification, an upload ...); a path whose placeholder this test cannot fill fails too, so the
table and the test stay in step.
"""

from __future__ import annotations

import base64
import io
import re
from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from PIL import Image

import factories as f
from mastodon_archive import make_zip
from pnyx.core import instance_settings, preview_cards
from pnyx.core.lola import clients as lola_clients
from pnyx.core.lola import transfers as lola_transfers
from pnyx.db.tables import accounts
from pnyx.portability import archive as export_archive

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"
# Segments that name an action: in a table row that also lists GET, these paths are POSTs.
ACTIONS = {
    "authorize", "reject", "accept", "dismiss", "follow", "unfollow", "feature", "unfeature",
    "read", "pin", "unpin", "resolve", "reopen", "assign_to_self", "unassign", "approve",
}  # fmt: skip


def documented_get_paths() -> list[str]:
    paths = []
    for line in DOCS.read_text().splitlines():
        match = re.match(r"\|\s*([A-Z][A-Z ,()a-z]*?)\s*\|\s*(.*)\|\s*$", line)
        if not match or "GET" not in match.group(1).split(", ") and match.group(1) != "GET":
            continue
        for path in re.findall(r"`(/api/[^`\s]*)`", match.group(2)):
            if path.rstrip("/").rsplit("/", 1)[-1] in ACTIONS:
                continue
            if path.startswith("/api/v1/streaming") and not path.endswith("/health"):
                continue  # streams stay open: tests/e2e/test_streaming.py reads them
            paths.append(path)
    return list(dict.fromkeys(paths))


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def push_key() -> str:
    """A browser's P-256 public key, base64url, as a push subscription carries it."""
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return base64.urlsafe_b64encode(point).decode().rstrip("=")


def a_world(client, db, make_user) -> tuple[dict[str, str], dict[str, str]]:
    """Real objects for every placeholder, and the headers of the user who owns them."""
    me = make_user("me", role="admin", scopes="read write follow push admin:read admin:write")
    db.run_sync(instance_settings.set_override, "terms_of_service", "Be excellent.")
    other = make_user("other")
    client.post(f"/api/v1/accounts/{other.account_id}/follow", headers=me.headers)
    mine = client.post(
        "/api/v1/statuses",
        headers=me.headers,
        json={"status": "hello #cats", "poll": {"options": ["a", "b"], "expires_in": 3600}},
    ).json()
    client.post(f"/api/v1/statuses/{mine['id']}/favourite", headers=other.headers)
    theirs = f.status(db, other.account_id, "theirs")
    listed = client.post("/api/v1/lists", headers=me.headers, json={"title": "friends"}).json()
    made_filter = client.post(
        "/api/v2/filters",
        headers=me.headers,
        json={"title": "f", "context": ["home"], "keywords_attributes": [{"keyword": "zz"}]},
    ).json()
    filter_status = client.post(
        f"/api/v2/filters/{made_filter['id']}/statuses",
        headers=me.headers,
        json={"status_id": str(theirs)},
    ).json()
    media = client.post(
        "/api/v1/media", headers=me.headers, files={"file": ("a.png", png(), "image/png")}
    ).json()
    scheduled = client.post(
        "/api/v1/statuses",
        headers=me.headers,
        json={"status": "later", "scheduled_at": "2030-01-01T00:00:00Z"},
    ).json()
    client.patch(
        "/api/v2/notifications/policy", headers=me.headers, json={"for_not_following": "filter"}
    )
    stranger = make_user("stranger")
    client.post("/api/v1/statuses", headers=stranger.headers, json={"status": "@me hi"})
    [request] = client.get("/api/v1/notifications/requests", headers=me.headers).json()
    # (me is an admin: told of each sign-up too)
    [notification] = client.get(
        "/api/v1/notifications", params={"exclude_types[]": "admin.sign_up"}, headers=me.headers
    ).json()
    [group] = client.get(
        "/api/v2/notifications", params={"exclude_types[]": "admin.sign_up"}, headers=me.headers
    ).json()["notification_groups"]
    client.post(  # GET /api/v1/push/subscription names the token's subscription
        "/api/v1/push/subscription",
        headers=me.headers,
        json={
            "subscription": {
                "endpoint": "https://push.example/me",
                "keys": {"p256dh": push_key(), "auth": "AAAAAAAAAAAAAAAAAAAAAA"},
            }
        },
    )
    # A trending link: two accounts share it and its card is kept (as the fetch job keeps it).
    for person in (me, other):
        client.post("/api/v1/statuses", headers=person.headers, json={"status": LINK})
    preview_cards.save(db, LINK, preview_cards.CardData(title="A story"))
    # A labeler and a moderation list (Pnyx's routes name them by id).
    client.put(
        "/api/v1/pnyx/labeler",
        headers=other.headers,
        json={"definitions": [{"value": "disputed", "severity": "warn"}]},
    )
    made_list = client.post(
        "/api/v1/pnyx/moderation_lists", headers=me.headers, json={"title": "Spam"}
    ).json()
    # A community note on another's post (notes are written by accounts a week old).
    db.run_sync(
        lambda tx: tx.execute(
            accounts.update()
            .where(accounts.c.id == me.account_id)
            .values(created_at=tx.now - timedelta(days=30))
        )
    )
    note = client.post(
        "/api/v1/pnyx/notes",
        headers=me.headers,
        json={
            "status_id": str(theirs),
            "classification": "NOT_MISLEADING",
            "reasons": ["notMisleadingPersonalOpinion"],
            "summary": "An opinion, worded as one.",
        },
    ).json()
    made_import = client.post(  # a CSV import (GET /api/v1/pnyx/imports/:id)
        "/api/v1/pnyx/imports",
        headers=me.headers,
        data={"type": "domain_blocking"},
        files={"data": ("blocked_domains.csv", b"spam.example\n", "text/csv")},
    ).json()
    # An archive's posts to import (queued: its id is enough here).
    archive = make_zip(io.BytesIO()).getvalue()
    archive_import = client.post(
        "/api/v1/pnyx/imports/archive",
        headers=me.headers,
        files={"file": ("archive.zip", archive, "application/zip")},
    ).json()
    # An export of everything, built (its parts are numbered from 1).
    export = client.post("/api/v1/pnyx/exports", headers=me.headers).json()
    export_archive.build(db, int(export["id"]))
    # A live copy from another server (LOLA), waiting for its authorization there.
    copy_app = db.run_sync(
        lola_clients.keep, "https://old.example", "https://pnyx.test/cb", "c", None
    )
    copy_id, _state, _verifier = db.run_sync(
        lola_transfers.begin, me.account_id, "me@old.example", copy_app.id, {}
    )
    ids = {
        "pnyx/imports/archive": archive_import["id"],
        "pnyx/copies": str(copy_id),
        "pnyx/imports": made_import["id"],
        "pnyx/notes": note["id"],
        "pnyx/exports": export["id"],
        "pnyx/labelers": str(other.account_id),
        "pnyx/moderation_lists": made_list["id"],
        "accounts": str(other.account_id),
        "admin/accounts": str(other.account_id),
        "statuses": mine["id"],
        "polls": mine["poll"]["id"],
        "lists": listed["id"],
        "timelines/list": listed["id"],
        "v1/filters": made_filter["keywords"][0]["id"],
        "v2/filters": made_filter["id"],
        "filters/keywords": made_filter["keywords"][0]["id"],
        "filters/statuses": filter_status["id"],
        "media": media["id"],
        "notifications": notification["id"],
        "notifications/requests": request["id"],
        "scheduled_statuses": scheduled["id"],
        "pnyx/feeds": "diverse",
        ":name": "cats",
        ":hashtag": "cats",
        ":group_key": group["group_key"],
        ":kind": "following",
    }
    return ids, me.headers


# Routes that need a parameter to name anything (without it Mastodon answers 404 too).
LINK = "https://news.example/story"
QUERIES = {"/api/v1/accounts/lookup": "?acct=other", "/api/v1/timelines/link": f"?url={LINK}"}


def fill(path: str, ids: dict[str, str]) -> str | None:
    """The path with its placeholder filled from `ids` (by the resource before it), or None."""
    if ":" not in path:
        return path
    path = path.replace("/parts/:n", "/parts/1")  # an export's first part
    for placeholder in (":name", ":hashtag", ":group_key", ":kind"):
        if placeholder in path:
            return path.replace(placeholder, ids[placeholder])
    head = path.split("/:id")[0]
    for resource in sorted(ids, key=len, reverse=True):
        if not resource.startswith(":") and head.endswith(resource):
            return path.replace(":id", ids[resource])
    return None


def test_every_documented_read_route_answers(client, db, make_user):
    ids, headers = a_world(client, db, make_user)
    paths = documented_get_paths()
    assert len(paths) > 60, paths  # the table was read
    unfilled, failed = [], []
    for path in paths:
        url = fill(path, ids)
        if url is None:
            unfilled.append(path)
            continue
        answer = client.get(url + QUERIES.get(path, ""), headers=headers)
        if answer.status_code == 404 or answer.status_code >= 500:
            failed.append(f"{path} -> {url}: {answer.status_code} {answer.text[:120]}")
    assert unfilled == [], "give these placeholders a real object here"
    assert failed == [], "\n".join(failed)
