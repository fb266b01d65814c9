"""An export reads and signs every post of an account once: it passes through the server's
caches of rows and proofs without filling them (`core.cache_bypass`), so the posts a running
server keeps there for its readers stay, and so does its memory (BENCHMARKS.md,
"Portability"). The same reads outside an export keep what they read, as before."""

from __future__ import annotations

import threading

import pytest

from pnyx.core import cache_bypass, federation_reads, row_cache
from pnyx.core.exports import records
from pnyx.federation import object_proofs
from pnyx.portability import archive
from portability.export_world import make_world


@pytest.fixture
def world(client, app, make_user):
    return make_world(client, app.state.db, make_user)


def test_an_export_keeps_nothing_new_in_the_caches_and_leaves_what_they_held(app, client, world):
    db = app.state.db
    public = world.statuses["public"]
    answer = client.get(f"/api/v1/statuses/{public}", headers=world.bob.headers)
    assert answer.status_code == 200
    served = client.get(
        f"/users/alice/statuses/{public}", headers={"Accept": "application/activity+json"}
    )
    assert served.status_code == 200 and "proof" in served.json()
    posts_kept, proofs_kept = len(row_cache.posts), dict(object_proofs._cache)
    assert posts_kept >= 1 and proofs_kept  # what a server keeps for its readers

    export = db.run_sync(records.request, world.alice.account_id)
    done = archive.build(db, export.id)
    assert done is not None and done.state == records.DONE

    assert len(row_cache.posts) == posts_kept
    assert object_proofs._cache == proofs_kept  # the post served before is still there
    # Outside an export, the same reads keep what they read.
    ids = [int(i) for i in world.statuses.values()]
    db.run_sync(federation_reads.published, ids, write=False)
    assert len(row_cache.posts) > posts_kept


def test_a_proof_made_while_passing_is_not_kept_but_a_kept_one_is_used(db, make_user):
    object_proofs._cache.clear()
    alice = make_user("alice")
    key = db.run_sync(object_proofs.key_of, alice.account_id)
    note = {"id": "https://pnyx.test/users/alice/statuses/1", "type": "Note", "content": "hi"}
    when = db.run_sync(lambda tx: tx.now)
    with cache_bypass.passing():
        passed = object_proofs.sign_with(key, note, when)
    assert len(object_proofs._cache) == 0
    kept = object_proofs.sign_with(key, note, when)
    assert kept == passed and len(object_proofs._cache) == 1
    with cache_bypass.passing():
        again = object_proofs.sign_with(key, {**note}, when)
    assert again["proof"] == kept["proof"] and len(object_proofs._cache) == 1


def test_passing_holds_for_the_code_in_its_block_only():
    seen: list[bool] = []
    with cache_bypass.passing():
        assert not cache_bypass.keeping()
        other = threading.Thread(target=lambda: seen.append(cache_bypass.keeping()))
        other.start()
        other.join()
    assert seen == [True]  # a request served meanwhile by another thread keeps its reads
    assert cache_bypass.keeping()
