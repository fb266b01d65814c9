"""A local post naming an account this server has never seen (`@taka@elsewhere`).

The account is looked up (WebFinger and actor, through the safe client) by a job before the
post goes out, and the post then names it: linked in its HTML, in its mentions, and delivered
to its server. The other server is a stand-in on loopback (tests/federation/peer.py).
"""

from __future__ import annotations

import sqlalchemy as sa

from pnyx import registry
from pnyx.core import events, remote_mentions, status_edits, statuses
from pnyx.core.status_edits import EditInput
from pnyx.core.statuses import StatusInput
from pnyx.db.engine import Database
from pnyx.db.tables import jobs, mentions, notifications


def queued(db: Database, kind: str) -> list[dict]:
    return db.run_sync(lambda tx: tx.scalars(sa.select(jobs.c.payload).where(jobs.c.kind == kind)))


def test_a_never_seen_account_is_looked_up_then_receives_the_post(local_db, peer, make_user):
    alice = make_user("alice").account_id
    status_id = local_db.run_sync(
        statuses.create, alice, StatusInput(text=f"@taka@{peer.domain} hi", visibility="public")
    )
    # Nothing goes out before the lookup: the post would not name Taka yet.
    assert queued(local_db, events.EVENT_JOB) == []
    assert queued(local_db, statuses.MENTION_LOOKUP) == [
        {"status_id": status_id, "handles": [f"taka@{peer.domain}"], "kind": "create"}
    ]

    registry.drain(local_db)

    [create] = peer.of_type("Create")
    note = create["object"]
    assert {"type": "Mention", "href": peer.actor, "name": f"@taka@{peer.domain}"} in note["tag"]
    assert peer.actor in note["cc"]
    assert f'href="{peer.base}/@taka" class="u-url mention"' in note["content"]
    named = local_db.run_sync(
        lambda tx: tx.scalars(
            sa.select(mentions.c.account_id).where(mentions.c.status_id == status_id)
        )
    )
    assert len(named) == 1


def test_lookups_are_bounded_and_a_missing_account_does_not_hold_the_post(local_db, make_user):
    alice = make_user("alice").account_id
    names = " ".join(f"@n{i}@127.0.0.1:9" for i in range(12))
    status_id = local_db.run_sync(statuses.create, alice, StatusInput(text=f"{names} hello"))
    [lookup] = queued(local_db, statuses.MENTION_LOOKUP)
    assert len(lookup["handles"]) == statuses.MAX_MENTION_LOOKUPS
    # Nobody answers on port 9: the post goes out anyway, naming nobody.
    registry.drain(local_db, max_jobs=1)
    creates = queued(local_db, events.EVENT_JOB)
    assert creates == [events.encode(events.MentionsResolved(status_id))]


def test_an_edit_naming_a_never_seen_account_waits_for_the_lookup(local_db, peer, make_user):
    alice = make_user("alice").account_id
    status_id = local_db.run_sync(statuses.create, alice, StatusInput(text="hello"))
    registry.drain(local_db)
    local_db.run_sync(
        status_edits.edit, alice, status_id, EditInput(text=f"hello @taka@{peer.domain}")
    )
    assert queued(local_db, events.EVENT_JOB) == []

    registry.drain(local_db)

    [update] = peer.of_type("Update")
    assert {"type": "Mention", "href": peer.actor, "name": f"@taka@{peer.domain}"} in update[
        "object"
    ]["tag"]
    versions = local_db.run_sync(status_edits.history, alice, status_id)
    assert "u-url mention" in versions[-1].content and "mention" not in versions[0].content


def test_a_handle_that_turns_out_to_be_ours_is_notified_when_resolved(local_db, make_user):
    """The lookup may find an account of this server (an alias, a sign-up approved since):
    that person is told when the post goes out, as they would have been at once."""
    alice, bob = make_user("alice").account_id, make_user("bob").account_id
    status_id = local_db.run_sync(
        statuses.create, alice, StatusInput(text="hi @bob@alias.example", visibility="public")
    )
    told = lambda: local_db.run_sync(  # noqa: E731
        lambda tx: tx.scalars(
            sa.select(notifications.c.account_id).where(notifications.c.status_id == status_id)
        )
    )
    assert told() == []
    local_db.run_sync(remote_mentions.complete, status_id, {"bob@alias.example": bob})
    assert told() == [bob]
