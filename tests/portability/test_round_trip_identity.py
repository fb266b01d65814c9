"""A Pnyx export imported here: the posts come with their origin, and the person's key comes
with its FEP-c390 statement, so the new account can show it is the old one."""

from __future__ import annotations

import pytest

from pnyx.core import integrity_keys
from pnyx.core.archive_import import runs
from pnyx.core.exports import records
from pnyx.federation import archive_import, data_integrity, identity_proofs
from pnyx.portability import archive
from portability.archives import part_bytes
from portability.export_world import make_world


@pytest.fixture
def world(client, app, make_user):
    return make_world(client, app.state.db, make_user)


def test_an_export_imported_carries_the_key_and_the_posts(app, world, make_user, tmp_path):
    db = app.state.db
    export = db.run_sync(records.request, world.alice.account_id)
    done = archive.build(db, export.id)
    paths = []
    for part in done.parts:
        path = tmp_path / f"part-{part.number}.zip"
        path.write_bytes(part_bytes(db, part))
        paths.append(path)
    newcomer = make_user("alice2")
    import_id = runs.receive(db, newcomer.account_id, paths)
    result = archive_import.run(db, import_id)
    assert result.state == "finished", result
    assert result.imported > 0

    alice_key = db.run_sync(integrity_keys.local_public, world.alice.account_id)
    [carried] = db.run_sync(integrity_keys.carried, newcomer.account_id)
    assert carried.key_id == identity_proofs.did_key(alice_key.public_key)
    assert carried.public_key == alice_key.public_key
    statement = identity_proofs.statement(
        "https://pnyx.test/users/alice2", carried.private_key, done.created_at
    )
    assert identity_proofs.verified_subject(statement, "https://pnyx.test/users/alice2") == (
        carried.key_id
    )
    assert data_integrity.public_key_of(carried.private_key) == alice_key.public_key
