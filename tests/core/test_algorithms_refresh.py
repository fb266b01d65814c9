"""The periodic `algorithms.refresh` job (bridging fit, snapshot pruning) and
`pnyx feeds fit-bridging`."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from click.testing import CliRunner

import factories as f
from pnyx import registry
from pnyx.cli import main
from pnyx.core import accounts
from pnyx.core.algorithms import bridging_fit, catalog, feeds, refresh, serving, snapshots
from pnyx.core.paging import Page
from pnyx.db.tables import feed_scores, feed_snapshots, jobs, statuses


def _world(db):
    def work(tx):
        return [
            accounts.create_local(tx, n, f"{n}@example.com", "correct horse battery")[0]
            for n in ("poster", "a", "b", "c")
        ]

    poster, *people = db.run_sync(work)
    for person in people:
        f.follow(db, person, poster)
    posts = [f.status(db, poster, f"post {i}") for i in range(3)]
    for person in people:
        f.favourite(db, person, posts[0])
    f.favourite(db, people[0], posts[1])
    return people, posts


def _scores(db):
    return db.run_sync(
        lambda tx: tx.rows(sa.select(feed_scores).order_by(feed_scores.c.status_id)),
        write=False,
    )


def test_the_job_fits_prunes_and_schedules_its_next_run(db, app):
    people, posts = _world(db)
    feed = feeds.algorithm_feed(catalog.ALGORITHMS["diverse"])
    db.run_sync(lambda tx: serving.serve(tx, people[0], feed, Page()))
    db.run_sync(
        lambda tx: tx.execute(
            feed_snapshots.update().values(created_at=tx.now - snapshots.RETENTION - timedelta(1))
        )
    )
    db.run_sync(refresh.schedule)
    db.run_sync(refresh.schedule)  # a second process starting: still one run
    assert registry.drain(db) == 1
    rows = _scores(db)
    version = catalog.ALGORITHMS["bridging"].version
    # A post nobody favourited or boosted is not fitted (it has no rating at all).
    assert [r.status_id for r in rows] == posts[:2] and {r.version for r in rows} == {version}
    assert [r.ratings for r in rows] == [3, 1]
    assert db.run_sync(lambda tx: tx.rows(sa.select(feed_snapshots))) == []
    waiting = db.run_sync(
        lambda tx: tx.rows(sa.select(jobs).where(jobs.c.kind == refresh.REFRESH_JOB)),
        write=False,
    )
    assert len(waiting) == 1


def test_the_cli_fits_by_hand(db, app, database_url, tmp_path):
    _people, posts = _world(db)
    env = {
        "PNYX_DATABASE_URL": database_url,
        "PNYX_DOMAIN": "pnyx.test",
        "PNYX_DATA_DIR": db.settings.data_dir,
        "PNYX_CONFIG": str(tmp_path / "absent.toml"),
    }
    result = CliRunner().invoke(main, ["feeds", "fit-bridging"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    version = catalog.ALGORITHMS["bridging"].version
    assert f"Fitted 2 post(s) with bridging@{version}." in result.output
    assert [r.status_id for r in _scores(db)] == posts[:2]


def test_the_published_rating_rule(db):
    """1 for a favourite or boost; 0 for a follower who saw a rankable post and did neither,
    when that follower rates something at all; nothing for the silent follower."""
    people, posts = _world(db)
    a, b, c = people
    (silent,) = db.run_sync(
        lambda tx: [
            accounts.create_local(tx, "silent", "s@example.com", "correct horse battery")[0]
        ]
    )
    poster = db.run_sync(lambda tx: tx.scalar(sa.select(statuses.c.account_id).limit(1)))
    f.follow(db, silent, poster)
    rankable = f.status(db, poster, "liked by two")  # posted after `silent` followed
    f.favourite(db, a, rankable)
    f.status(db, b, reblog_of=rankable)
    ratings = db.run_sync(bridging_fit.read_ratings, write=False)
    got = {(u, n): v for u, n, v in zip(ratings.raters, ratings.posts, ratings.values, strict=True)}
    assert got[(a, rankable)] == 1.0 and got[(b, rankable)] == 1.0
    assert got[(c, rankable)] == 0.0  # rates other posts, saw this one, did nothing
    assert (silent, rankable) not in got  # never rates anything: no zeros
    assert got[(a, posts[1])] == 1.0
    assert (b, posts[1]) not in got  # one favourite only: not rankable, no zeros
