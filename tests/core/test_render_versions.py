"""The render versions the database keeps (migration 0031): every change to what a post or an
account is shown with moves its version, whoever writes it, so rows kept in memory are never
shown stale (`core.row_cache`). Checked on both databases, trigger by trigger."""

from __future__ import annotations

import sqlalchemy as sa

import factories as f
from pnyx.core import accounts as core_accounts
from pnyx.db.ids import new_id
from pnyx.db.tables import (
    accounts,
    media_attachments,
    mentions,
    polls,
    preview_card_statuses,
    preview_cards,
    quotes,
    status_tags,
    statuses,
    tags,
    users,
)


def _version(db, table, row_id: int) -> int:
    return db.run_sync(
        lambda tx: tx.scalar(sa.select(table.c.render_version).where(table.c.id == row_id))
    )


def _changes(db, table, row_id: int, change) -> bool:
    """Whether `change` (a statement, or a function of the transaction) moves the row's
    render version."""
    before = _version(db, table, row_id)
    db.run_sync(change if callable(change) else lambda tx: tx.execute(change))
    return _version(db, table, row_id) != before


def _inserting(table, **values):
    return lambda tx: _insert(tx, table, **values)


def _insert(tx, table, **values):
    """A row as the code that writes it would: with its creation time when it has one."""
    if "created_at" in table.c and "created_at" not in values:
        values["created_at"] = tx.now
    for column in ("updated_at", "fetched_at"):
        if column in table.c and column not in values:
            values[column] = tx.now
    tx.execute(table.insert().values(**values))


def _people(db):
    return db.run_sync(
        lambda tx: [
            core_accounts.create_local(tx, n, f"{n}@example.com", "correct horse battery")[0]
            for n in ("alice", "bob")
        ]
    )


def test_a_post_moves_with_its_own_row_and_everything_it_is_shown_with(db):
    alice, bob = _people(db)
    post = f.status(db, alice, "hello")
    other = f.status(db, bob, "quoted")

    def moves(change) -> bool:
        return _changes(db, statuses, post, change)

    def update(**values):
        return statuses.update().where(statuses.c.id == post).values(**values)

    assert moves(update(content="<p>edited</p>"))
    assert moves(update(favourites_count=3))
    # Its parts: added, changed and removed.
    mention_id = new_id()
    assert moves(_inserting(mentions, id=mention_id, status_id=post, account_id=bob))
    assert moves(mentions.update().where(mentions.c.id == mention_id).values(silent=True))
    assert moves(mentions.delete().where(mentions.c.id == mention_id))
    tag_id = new_id()
    db.run_sync(_inserting(tags, id=tag_id, name="agora", display_name="agora"))
    assert moves(_inserting(status_tags, status_id=post, tag_id=tag_id))
    assert moves(tags.update().where(tags.c.id == tag_id).values(display_name="Agora"))
    media_id = new_id()
    assert moves(
        _inserting(
            media_attachments,
            id=media_id,
            status_id=post,
            account_id=alice,
            type="image",
            position=0,
        )
    )
    assert moves(
        media_attachments.update()
        .where(media_attachments.c.id == media_id)
        .values(description="a hill"),
    )
    card_id = new_id()
    db.run_sync(_inserting(preview_cards, id=card_id, url="https://example.com/", title="Then"))
    assert moves(
        _inserting(
            preview_card_statuses,
            status_id=post,
            preview_card_id=card_id,
            url="https://example.com/",
        )
    )
    assert moves(preview_cards.update().where(preview_cards.c.id == card_id).values(title="Now"))
    poll_id = new_id()
    assert moves(
        _inserting(
            polls,
            id=poll_id,
            status_id=post,
            account_id=alice,
            options=["a", "b"],
            tallies=[0, 0],
        )
    )
    assert moves(polls.update().where(polls.c.id == poll_id).values(tallies=[1, 0]))
    # A quote changes the quoting post and the quoted one (its quotes count).
    quote_id = new_id()
    before_other = _version(db, statuses, other)
    assert moves(
        _inserting(
            quotes,
            id=quote_id,
            status_id=post,
            account_id=alice,
            quoted_status_id=other,
            quoted_account_id=bob,
            quoted_uri="https://pnyx.test/q",
            state="pending",
        )
    )
    assert _version(db, statuses, other) != before_other
    assert _changes(
        db,
        statuses,
        other,
        quotes.update().where(quotes.c.id == quote_id).values(state="accepted"),
    )


def test_a_mention_moves_when_the_mentioned_account_is_renamed(db):
    alice, bob = _people(db)
    post = f.status(db, alice, "hi bob", mention=[bob])
    assert _changes(
        db, statuses, post, accounts.update().where(accounts.c.id == bob).values(username="robert")
    )
    # What a mention does not show leaves the post alone.
    assert not _changes(
        db, statuses, post, accounts.update().where(accounts.c.id == bob).values(bot=True)
    )


def test_an_account_moves_with_its_row_and_its_role(db):
    alice, _ = _people(db)
    assert _changes(
        db,
        accounts,
        alice,
        accounts.update().where(accounts.c.id == alice).values(followers_count=1),
    )
    assert _changes(
        db,
        accounts,
        alice,
        users.update().where(users.c.account_id == alice).values(role="admin"),
    )
    # An unrelated post's version stays.
    post = f.status(db, alice, "still")
    assert not _changes(
        db, statuses, post, accounts.update().where(accounts.c.id == alice).values(bot=True)
    )
