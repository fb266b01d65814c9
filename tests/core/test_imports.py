"""Imports of Mastodon's CSV files, every type in both modes, with Mastodon's own files
(tests/fixtures/mastodon_csv): the follows, blocks, mutes, server blocks, bookmarks and lists
they leave, the rows that fail and why, and a run that stops mid-way resuming without doing a
row twice. The accounts and posts the files name are stored first, as federation stores
them, so the job finds them without asking another server (tests/federation has that)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

import factories as f
from pnyx import registry
from pnyx.core import accounts as core_accounts
from pnyx.core import follows as core_follows
from pnyx.core import lists as core_lists
from pnyx.core.errors import Invalid, NotFound
from pnyx.core.imports import csv_files, csv_rows, overwrite, runs
from pnyx.db.ids import new_id
from pnyx.db.tables import (
    account_domain_blocks,
    account_import_rows,
    blocks,
    bookmarks,
    follow_requests,
    follows,
    list_accounts,
    lists,
    mutes,
    notifications,
    statuses,
)
from pnyx.federation import import_lookups

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mastodon_csv"
REMOTE = {
    "rita": "remote.example",
    "sam": "social.example",
    "troll": "remote.example",
    "spammer": "social.example",
    "loud": "remote.example",
    "chatty": "social.example",
    "old": "remote.example",
}


@dataclass
class World:
    db: object
    me: int
    bob: int
    carol: int
    ids: dict[str, int]


@pytest.fixture
def world(db) -> World:
    def local(tx, name):
        return core_accounts.create_local(tx, name, f"{name}@example.com", "correct horse")[0]

    me, bob, carol = (db.run_sync(local, name) for name in ("me", "bob", "carol"))
    ids = {name: f.remote_account(db, name, domain) for name, domain in REMOTE.items()}
    return World(db, me, bob, carol, {**ids, "bob": bob, "carol": carol})


def run(world: World, kind: str, content: bytes | str, mode: str = "merge") -> runs.ImportView:
    """Import a file as `me`: stored, then run by the job to the end."""
    data = (FIXTURES / content).read_bytes() if isinstance(content, str) else content
    rows = csv_files.parse(kind, data)
    import_id = world.db.run_sync(runs.create, world.me, kind, mode, rows, "file.csv")
    import_lookups.run_to_the_end(world.db, import_id)
    return world.db.run_sync(runs.get, world.me, import_id)


def pairs(world: World, table: sa.Table, **where) -> set[int]:
    query = sa.select(table.c.target_account_id).where(table.c.account_id == world.me)
    for name, value in where.items():
        query = query.where(table.c[name] == value)
    return set(world.db.run_sync(lambda tx: tx.scalars(query)))


def finished(view: runs.ImportView, total: int, imported: int | None = None) -> None:
    assert (view.state, view.total, view.processed) == ("finished", total, total), view
    assert view.imported == (total if imported is None else imported), view.failures
    assert view.finished_at is not None


# --- following ----------------------------------------------------------------------------------


def test_following_merge_asks_remote_accounts_follows_local_ones_with_the_file_s_options(world):
    world.db.run_sync(core_follows.follow, world.me, world.carol)
    view = run(world, "following", "following_accounts.csv")
    finished(view, 3)
    assert (view.type, view.mode, view.failures) == ("following", "merge", [])
    # Remote accounts: requests their servers answer; the local bob is followed at once.
    assert pairs(world, follow_requests) == {world.ids["rita"], world.ids["sam"]}
    assert pairs(world, follows) == {world.bob, world.carol}  # merge keeps carol
    sam = world.db.run_sync(
        lambda tx: tx.one_or_none(
            sa.select(follow_requests).where(
                follow_requests.c.target_account_id == world.ids["sam"]
            )
        )
    )
    assert (sam.show_reblogs, sam.notify, sam.languages) == (False, True, ["en", "fr"])
    # As any follow: bob is told, and the requests are queued for their servers.
    told = world.db.run_sync(
        lambda tx: tx.scalars(
            sa.select(notifications.c.type).where(notifications.c.account_id == world.bob)
        )
    )
    assert told == ["follow"]


def test_the_older_header_less_following_file(world):
    view = run(world, "following", "following_accounts_headerless.csv")
    finished(view, 3)
    assert pairs(world, follow_requests) | pairs(world, follows) == {
        world.ids["rita"], world.ids["sam"], world.bob
    }  # fmt: skip


def test_following_overwrite_unfollows_what_the_file_does_not_name_and_keeps_the_rest(world):
    db = world.db
    db.run_sync(core_follows.follow, world.me, world.bob, reblogs=False)
    db.run_sync(core_follows.follow, world.me, world.carol)
    db.run_sync(core_follows.follow, world.me, world.ids["old"])  # a pending request
    kept_follow = pairs(world, follows)
    view = run(world, "following", "following_accounts.csv", mode="overwrite")
    finished(view, 3)
    assert pairs(world, follows) == {world.bob}
    assert pairs(world, follow_requests) == {world.ids["rita"], world.ids["sam"]}
    # bob's follow was kept (not undone and made again), with the file's options.
    assert pairs(world, follows, show_reblogs=True) == {world.bob} and world.bob in kept_follow
    bob_told = db.run_sync(
        lambda tx: tx.scalar(
            sa.select(sa.func.count()).where(
                notifications.c.account_id == world.bob, notifications.c.type == "follow"
            )
        )
    )
    assert bob_told == 1


def test_an_empty_following_file_in_overwrite_mode_unfollows_everyone(world):
    world.db.run_sync(core_follows.follow, world.me, world.carol)
    view = run(
        world,
        "following",
        b"Account address,Show boosts,Notify on new posts,Languages\n",
        "overwrite",
    )
    finished(view, 0)
    assert pairs(world, follows) == set()


# --- blocks, mutes, servers -------------------------------------------------------------------------


def test_blocking_merge_and_overwrite(world):
    db = world.db
    db.run_sync(core_follows.follow, world.me, world.ids["troll"])
    f.block(db, world.me, world.carol)
    listed = f.block(db, world.me, world.bob)  # made by a block list: not the file's business
    db.run_sync(
        lambda tx: tx.execute(
            blocks.update().where(blocks.c.id == listed).values(source_list_id=new_id())
        )
    )
    finished(run(world, "blocking", "blocked_accounts.csv"), 2)
    both = {world.ids["troll"], world.ids["spammer"]}
    assert pairs(world, blocks) == both | {world.carol, world.bob}
    assert pairs(world, follow_requests) == set()  # a block ends the request
    finished(run(world, "blocking", "blocked_accounts.csv", "overwrite"), 2)
    assert pairs(world, blocks) == both | {world.bob}


def test_muting_merge_and_overwrite_with_hide_notifications(world):
    db = world.db
    f.mute(db, world.me, world.carol)
    finished(run(world, "muting", "muted_accounts.csv"), 2)
    assert pairs(world, mutes, hide_notifications=True) == {world.ids["loud"], world.carol}
    assert pairs(world, mutes, hide_notifications=False) == {world.ids["chatty"]}
    finished(run(world, "muting", "muted_accounts.csv", "overwrite"), 2)
    assert pairs(world, mutes) == {world.ids["loud"], world.ids["chatty"]}


def test_domain_blocking_merge_and_overwrite(world):
    db = world.db
    f.domain_block(db, world.me, "old.example")
    domains = lambda: set(  # noqa: E731
        db.run_sync(
            lambda tx: tx.scalars(
                sa.select(account_domain_blocks.c.domain).where(account_domain_blocks.c.account_id == world.me)
            )
        )
    )  # fmt: skip
    finished(run(world, "domain_blocking", "blocked_domains.csv"), 2)
    assert domains() == {"spam.example", "ads.example", "old.example"}
    finished(run(world, "domain_blocking", "blocked_domains.csv", "overwrite"), 2)
    assert domains() == {"spam.example", "ads.example"}


# --- bookmarks ----------------------------------------------------------------------------------------


def _remote_post(db, author: int, uri: str) -> int:
    status_id = f.status(db, author, "a post", local=False)
    db.run_sync(
        lambda tx: tx.execute(statuses.update().where(statuses.c.id == status_id).values(uri=uri))
    )
    return status_id


def test_bookmarks_merge_and_overwrite(world):
    db = world.db
    rita_post = _remote_post(
        db, world.ids["rita"], "https://remote.example/users/rita/statuses/101"
    )
    sam_post = _remote_post(db, world.ids["sam"], "https://social.example/users/sam/statuses/202")
    mine_before = f.status(db, world.carol, "kept by merge only")
    f.bookmark(db, world.me, mine_before)
    marked = lambda: set(  # noqa: E731
        db.run_sync(lambda tx: tx.scalars(sa.select(bookmarks.c.status_id).where(bookmarks.c.account_id == world.me)))
    )  # fmt: skip
    finished(run(world, "bookmarks", "bookmarks.csv"), 2)
    assert marked() == {rita_post, sam_post, mine_before}
    finished(run(world, "bookmarks", "bookmarks.csv", "overwrite"), 2)
    assert marked() == {rita_post, sam_post}


def test_a_bookmark_of_a_post_not_here_or_not_visible_fails(world):
    db = world.db
    private = f.status(db, world.carol, "followers only", visibility="private")
    content = f"https://pnyx.test/statuses/{private}\nhttps://pnyx.test/statuses/404\nnot a url\n"
    view = run(world, "bookmarks", content.encode())
    finished(view, 3, imported=0)
    assert [(x.row, x.reason) for x in view.failures] == [
        (1, csv_rows.POST_NOT_FOUND),
        (2, csv_rows.POST_NOT_FOUND),
        (3, csv_rows.NO_POST_ADDRESS),
    ]


# --- lists -------------------------------------------------------------------------------------------


def _members(db, owner: int) -> dict[str, set[int]]:
    rows = db.run_sync(
        lambda tx: tx.rows(
            sa.select(lists.c.title, list_accounts.c.account_id)
            .select_from(lists.outerjoin(list_accounts, list_accounts.c.list_id == lists.c.id))
            .where(lists.c.account_id == owner)
        )
    )
    found: dict[str, set[int]] = {}
    for title, member in rows:
        found.setdefault(title, set())
        if member is not None:
            found[title].add(member)
    return found


def test_lists_merge_follows_members_and_remote_ones_join_once_accepted(world):
    db = world.db
    view = run(world, "lists", "lists.csv")
    finished(view, 3)
    # bob (local, open) is followed and a member; the remote ones wait for their servers.
    assert _members(db, world.me) == {"Friends": {world.bob}, "Work": set()}
    assert pairs(world, follow_requests) == {world.ids["rita"], world.ids["sam"]}
    # rita's server accepts (as the inbox does on Accept): she joins Friends.
    db.run_sync(core_follows.authorize_request, world.ids["rita"], world.me)
    assert _members(db, world.me) == {"Friends": {world.bob, world.ids["rita"]}, "Work": set()}
    db.run_sync(core_follows.authorize_request, world.ids["sam"], world.me)
    assert _members(db, world.me)["Work"] == {world.ids["sam"]}
    waiting = db.run_sync(
        lambda tx: tx.scalar(
            sa.select(sa.func.count()).where(account_import_rows.c.state == runs.WAITING)
        )
    )
    assert waiting == 0


def test_lists_overwrite_deletes_other_lists_and_replaces_members(world):
    db = world.db
    db.run_sync(core_follows.follow, world.me, world.carol)
    for title in ("Friends", "Old"):
        made = db.run_sync(core_lists.create, world.me, title)
        db.run_sync(core_lists.add_members, world.me, made.id, [world.carol])
    finished(run(world, "lists", "lists.csv", "overwrite"), 3)
    assert _members(db, world.me) == {"Friends": {world.bob}, "Work": set()}
    assert pairs(world, follows) == {world.bob, world.carol}  # the follow stays, as Mastodon


# --- failures, limits, ownership -------------------------------------------------------------------


def test_each_failed_row_is_reported_with_its_value_and_reason(world):
    db = world.db
    f.block(db, world.carol, world.me)  # carol blocks me: no follow
    content = (
        "Account address,Show boosts,Notify on new posts,Languages\n"
        "bob@pnyx.test,true,false,\n"
        "nobody@pnyx.test,true,false,\n"
        "https://remote.example/@rita,true,false,\n"
        "carol,true,false,\n"
        "me@pnyx.test,true,false,\n"
        ",true,false,\n"
    )
    view = run(world, "following", content.encode())
    finished(view, 6, imported=1)
    assert view.failed == 5
    assert [(x.row, x.value, x.reason) for x in view.failures] == [
        (3, "nobody@pnyx.test", csv_rows.ACCOUNT_NOT_FOUND),
        (4, "https://remote.example/@rita", csv_rows.NOT_AN_ADDRESS),
        (5, "carol", csv_rows.BLOCKED_BETWEEN),
        (6, "me@pnyx.test", "You cannot follow yourself"),
        (7, "", csv_rows.NO_ADDRESS),
    ]
    assert pairs(world, follows) == {world.bob}


def test_a_run_that_stopped_resumes_where_it_stopped_and_does_no_row_twice(world):
    """A worker that dies after two rows leaves its job; run again, it does the other rows.
    A second runner of the same row (the command line beside a worker) changes nothing."""
    db = world.db
    content = "".join(f"{name}@pnyx.test\n" for name in ("bob", "carol", "nobody")).encode()
    rows = csv_files.parse("following", content)
    import_id = db.run_sync(runs.create, world.me, "following", "merge", rows)
    assert import_lookups.run_batch(db, import_id, batch=2) is True  # ... and the worker died
    half = db.run_sync(runs.get, world.me, import_id)
    assert (half.state, half.processed, half.imported) == ("in_progress", 2, 2)
    done_rows = db.run_sync(
        lambda tx: tx.scalars(
            sa.select(account_import_rows.c.id).where(account_import_rows.c.state == runs.DONE)
        )
    )
    assert db.run_sync(csv_rows.apply, done_rows[0], world.bob) is False  # done already
    assert db.run_sync(csv_rows.fail, done_rows[0], "late") is False
    registry.drain(db)  # the import's job runs again
    view = db.run_sync(runs.get, world.me, import_id)
    finished(view, 3, imported=2)
    assert [(x.row, x.reason) for x in view.failures] == [(3, csv_rows.ACCOUNT_NOT_FOUND)]
    assert pairs(world, follows) == {world.bob, world.carol}
    told = db.run_sync(
        lambda tx: tx.scalar(
            sa.select(sa.func.count()).where(
                notifications.c.type == "follow", notifications.c.from_account_id == world.me
            )
        )
    )
    assert told == 2  # one follow notification each, not one per run
    assert db.run_sync(runs.start, import_id) is None  # finished: a late job does nothing


def test_overwrite_s_removals_run_in_steps_and_may_be_repeated(world, monkeypatch):
    db = world.db
    for name in ("bob", "carol"):
        db.run_sync(core_follows.follow, world.me, world.ids[name])
    rows = csv_files.parse("following", b"nobody@pnyx.test\n")
    import_id = db.run_sync(runs.create, world.me, "following", "overwrite", rows)
    monkeypatch.setattr(overwrite, "STEP", 1)
    assert db.run_sync(overwrite.prepare_step, import_id) is False  # one of two removed
    assert len(pairs(world, follows)) == 1
    assert db.run_sync(overwrite.prepare_step, import_id) is True
    assert db.run_sync(overwrite.prepare_step, import_id) is True  # prepared: nothing more
    assert pairs(world, follows) == set()


def test_the_follow_limit_and_bad_choices_refuse_the_import(world):
    rows = [csv_files.Row(i + 1, {"acct": f"u{i}@x.example"}) for i in range(7_501)]
    with pytest.raises(Invalid, match="You cannot follow more than 7500 people"):
        world.db.run_sync(runs.create, world.me, "following", "merge", rows)
    with pytest.raises(Invalid, match="Mode is not included"):
        world.db.run_sync(runs.create, world.me, "blocking", "replace", rows[:1])


def test_an_import_is_its_owner_s_alone(world):
    view = run(world, "domain_blocking", "blocked_domains.csv")
    with pytest.raises(NotFound):
        world.db.run_sync(runs.get, world.bob, view.id)
    from pnyx.core.paging import Page

    assert world.db.run_sync(runs.page, world.bob, Page()) == []
    assert [v.id for v in world.db.run_sync(runs.page, world.me, Page())] == [view.id]
