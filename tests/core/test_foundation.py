"""The foundation: ids sort by time, migrations build the schema, accounts and tokens work."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from pnyx.api.auth import lookup_viewer
from pnyx.core import accounts
from pnyx.core.errors import Invalid
from pnyx.db.ids import new_id, parse_id


def test_ids_sort_by_time():
    earlier = new_id(datetime(2024, 1, 1, tzinfo=UTC))
    later = new_id(datetime(2024, 1, 1, tzinfo=UTC) + timedelta(milliseconds=1))
    assert earlier < later
    now = [new_id() for _ in range(1000)]
    assert len(set(now)) == 1000
    assert now == sorted(now)


def test_parse_id_rejects_junk():
    assert parse_id("123") == 123
    for junk in ("abc", "-1", "0", "9" * 30, None, ""):
        assert parse_id(junk) is None


def test_account_and_token_roundtrip(db, make_user):
    user = make_user("alice")
    viewer = db.run_sync(lookup_viewer, user.token)
    assert viewer is not None and viewer.account_id == user.account_id
    assert db.run_sync(lookup_viewer, "not-a-token") is None


def test_usernames_are_unique_case_insensitively(db):
    db.run_sync(accounts.create_local, "Bob", "bob@example.com", "long enough pw")
    with pytest.raises(Invalid):
        db.run_sync(accounts.create_local, "bob", "bob2@example.com", "long enough pw")


def test_password_change_revokes_other_tokens(db, make_user):
    user = make_user("carol")
    db.run_sync(accounts.change_password, user.user_id, "another long password")
    assert db.run_sync(lookup_viewer, user.token) is None


def test_ids_keep_growing_past_a_full_millisecond(monkeypatch):
    # More ids than one millisecond's sequence holds, all made "in the same millisecond": they
    # must still grow (an earlier version wrapped the sequence around and went backwards).
    import pnyx.db.ids as ids

    frozen = int(time.time() * 1000)  # now, so that later ids in this process stay current
    monkeypatch.setattr(ids.time, "time", lambda: frozen / 1000)
    made = [new_id() for _ in range(70_000)]
    assert made == sorted(made) and len(set(made)) == len(made)
    assert made[-1] >> 16 > frozen  # borrowed the next millisecond(s)
