"""Scheduled statuses, announcements, trends, suggestions, several statuses at once, domain
blocks and endorsements, driven by Mastodon.py against a real `pnyx serve`, as apps call them.

Jobs due in the server's database are run from here with `registry.drain`, after moving the
scheduled time to now (the server's own worker may run them too: either way, once)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from mastodon import Mastodon, MastodonAPIError, MastodonNotFoundError

import factories as f
import mastodon_apps
from pnyx import registry
from pnyx.config import Settings
from pnyx.core import announcements, moderation
from pnyx.db.engine import Database
from pnyx.db.tables import jobs, scheduled_statuses
from server import PnyxServer


@pytest.fixture(scope="module")
def db(server: PnyxServer):
    database = Database(
        Settings(domain=server.domain, scheme="http", database_url=server.database_url)
    )
    yield database
    database.dispose()


@pytest.fixture(scope="module")
def people(server: PnyxServer) -> dict[str, Mastodon]:
    return mastodon_apps.people(server, ("gina", "hugo", "ines"), ratelimit_method="throw")


def _id(api: Mastodon) -> str:
    return str(api.account_verify_credentials()["id"])


def test_scheduled_status_with_mastodon_py(people, db):
    gina = people["gina"]
    word = f"w{uuid.uuid4().hex[:8]}"
    when = datetime.now(UTC) + timedelta(hours=2)
    scheduled = gina.status_post(
        f"later {word}",
        scheduled_at=when,
        poll=gina.make_poll(["yes", "no"], expires_in=3600),
    )
    assert scheduled.params.text == f"later {word}"
    assert [str(s.id) for s in gina.scheduled_statuses()] == [str(scheduled.id)]
    moved = gina.scheduled_status_update(scheduled.id, when + timedelta(days=1))
    assert moved.scheduled_at > scheduled.scheduled_at
    with pytest.raises(MastodonAPIError):
        gina.status_post("too soon", scheduled_at=datetime.now(UTC) + timedelta(minutes=1))
    other = gina.status_post(f"cancelled {word}", scheduled_at=when)
    gina.scheduled_status_delete(other.id)
    with pytest.raises(MastodonNotFoundError):
        gina.scheduled_status(other.id)

    def due(tx):
        tx.execute(scheduled_statuses.update().values(scheduled_at=tx.now))
        tx.execute(
            jobs.update().where(jobs.c.kind == "scheduled_status.publish").values(run_at=tx.now)
        )

    db.run_sync(due)
    registry.drain(db)
    mine = [s for s in gina.account_statuses(_id(gina)) if word in s.content]
    assert len(mine) == 1 and mine[0].poll is not None
    assert [o.title for o in mine[0].poll.options] == ["yes", "no"]
    assert list(gina.scheduled_statuses()) == []


def test_announcements_with_mastodon_py(people, db):
    hugo = people["hugo"]
    made = db.run_sync(
        announcements.create, moderation.OPERATOR, announcements.Draft("Welcome, everyone")
    )
    [item] = [a for a in hugo.announcements() if str(a.id) == str(made)]
    assert item.read is False and "Welcome" in item.content
    hugo.announcement_dismiss(made)
    hugo.announcement_reaction_create(made, "🎉")
    [item] = [a for a in hugo.announcements() if str(a.id) == str(made)]
    assert item.read is True
    assert [(r.name, r.count, r.me) for r in item.reactions] == [("🎉", 1, True)]
    hugo.announcement_reaction_delete(made, "🎉")
    [item] = [a for a in hugo.announcements() if str(a.id) == str(made)]
    assert item.reactions == []


def test_trends_suggestions_and_several_statuses(people, db):
    gina, hugo, ines = people["gina"], people["hugo"], people["ines"]
    tag = f"t{uuid.uuid4().hex[:8]}"
    posts = [api.status_post(f"#{tag}") for api in (gina, hugo)]
    assert tag in [t.name for t in ines.trending_tags()]
    assert list(ines.trending_links()) == []
    ines.status_favourite(posts[0].id)
    assert str(posts[0].id) in [str(s.id) for s in ines.trending_statuses()]

    private = gina.status_post("only followers", visibility="private")
    both = ines.statuses([posts[0].id, private.id, posts[1].id, "404"])
    assert [str(s.id) for s in both] == [str(posts[0].id), str(posts[1].id)]

    ines.account_follow(_id(gina))
    gina.account_follow(_id(hugo))
    suggested = {str(a.id) for a in ines.suggestions()}
    assert _id(hugo) in suggested
    ines.suggestion_delete(_id(hugo))
    assert _id(hugo) not in {str(a.id) for a in ines.suggestions()}
    ines.account_unfollow(_id(gina))
    gina.account_unfollow(_id(hugo))


def test_domain_blocks_and_endorsements_with_mastodon_py(people, db):
    gina, hugo = people["gina"], people["hugo"]
    far = f.remote_account(db, f"far{uuid.uuid4().hex[:6]}", "far.example")
    post = f.status(db, far, "from far away", local=False)
    assert str(post) in [str(s.id) for s in gina.timeline_public(remote=True)]
    gina.domain_block("far.example")
    assert list(gina.domain_blocks()) == ["far.example"]
    assert str(post) not in [str(s.id) for s in gina.timeline_public(remote=True)]
    gina.domain_unblock("far.example")
    assert list(gina.domain_blocks()) == []

    gina.account_follow(_id(hugo))
    assert gina.account_pin(_id(hugo)).endorsed is True
    assert [str(a.id) for a in gina.endorsements()] == [_id(hugo)]
    assert gina.account_unpin(_id(hugo)).endorsed is False
    gina.account_unfollow(_id(hugo))
