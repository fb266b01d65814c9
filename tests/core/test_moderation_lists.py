"""core.moderation_lists on one server: blocking or muting by a list makes ordinary blocks and
mutes that say which list made them; the list's changes follow; what a person did by hand is
never undone by a list; an exempted account is kept out; unsubscribing undoes what the list
made, unless another list of theirs still holds the account."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from pnyx.core import accounts, blocks_mutes, moderation_lists
from pnyx.core.errors import Invalid
from pnyx.db.tables import blocks, mutes

PASSWORD = "correct horse battery"


@pytest.fixture
def people(db):
    def work(tx):
        return {
            name: accounts.create_local(tx, name, f"{name}@example.com", PASSWORD)[0]
            for name in ("keeper", "other", "reader", "spam1", "spam2", "friend")
        }

    return db.run_sync(work)


def rows(db, table, who: int) -> dict[int, int | None]:
    """target -> the list that made it (None: by hand)."""
    return {
        r.target_account_id: r.source_list_id
        for r in db.run_sync(lambda tx: tx.rows(sa.select(table).where(table.c.account_id == who)))
    }


def test_blocking_by_a_list_follows_its_changes(db, people):
    p = people
    spam = db.run_sync(moderation_lists.create, p["keeper"], "Spam", "Known spammers")
    db.run_sync(moderation_lists.add_member, p["keeper"], spam, p["spam1"])
    db.run_sync(moderation_lists.subscribe, p["reader"], spam, "block")
    assert rows(db, blocks, p["reader"]) == {p["spam1"]: spam}

    db.run_sync(moderation_lists.add_member, p["keeper"], spam, p["spam2"])
    assert rows(db, blocks, p["reader"]) == {p["spam1"]: spam, p["spam2"]: spam}
    db.run_sync(moderation_lists.remove_member, p["keeper"], spam, p["spam1"])
    assert rows(db, blocks, p["reader"]) == {p["spam2"]: spam}

    # A block by hand is the person's own: the list no longer undoes it.
    db.run_sync(blocks_mutes.block, p["reader"], p["spam2"])
    assert rows(db, blocks, p["reader"]) == {p["spam2"]: None}
    db.run_sync(moderation_lists.remove_member, p["keeper"], spam, p["spam2"])
    assert rows(db, blocks, p["reader"]) == {p["spam2"]: None}


def test_exemptions_other_lists_and_unsubscribing(db, people):
    p = people
    spam = db.run_sync(moderation_lists.create, p["keeper"], "Spam")
    loud = db.run_sync(moderation_lists.create, p["other"], "Loud")
    for target in (p["spam1"], p["friend"]):
        db.run_sync(moderation_lists.add_member, p["keeper"], spam, target)
    db.run_sync(moderation_lists.add_member, p["other"], loud, p["spam1"])
    db.run_sync(moderation_lists.subscribe, p["reader"], spam, "block")
    db.run_sync(moderation_lists.subscribe, p["reader"], loud, "mute")
    # The reader keeps a friend out of every list.
    db.run_sync(moderation_lists.exempt, p["reader"], p["friend"])
    assert rows(db, blocks, p["reader"]) == {p["spam1"]: spam}
    [first, second] = db.run_sync(moderation_lists.subscriptions, p["reader"])
    assert (first.list.title, first.action, first.caused) == ("Spam", "block", (p["spam1"],))
    # Leaving the block list lifts its block; the mute list still holds the account.
    db.run_sync(moderation_lists.unsubscribe, p["reader"], spam)
    assert rows(db, blocks, p["reader"]) == {}
    assert rows(db, mutes, p["reader"]) == {p["spam1"]: loud}
    db.run_sync(moderation_lists.unsubscribe, p["reader"], loud)
    assert rows(db, mutes, p["reader"]) == {}


def test_lists_are_checked(db, people):
    p = people
    spam = db.run_sync(moderation_lists.create, p["keeper"], "Spam")
    with pytest.raises(Invalid):
        db.run_sync(moderation_lists.create, p["keeper"], "  ")
    with pytest.raises(Invalid):
        db.run_sync(moderation_lists.subscribe, p["reader"], spam, "report")
    with pytest.raises(Invalid):
        db.run_sync(moderation_lists.subscribe, p["keeper"], spam, "block")
    with pytest.raises(Invalid):
        db.run_sync(moderation_lists.add_member, p["keeper"], spam, p["keeper"])
    from pnyx.core.errors import NotFound

    with pytest.raises(NotFound):  # only its keeper changes a list
        db.run_sync(moderation_lists.add_member, p["other"], spam, p["spam1"])
