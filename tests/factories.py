"""Rows inserted straight into the tables, for tests of the reading side (timelines,
notifications, search) that must not wait on the posting and following code paths.

Each helper is a plain function taking the `Database`; ids come from `new_id()`, so rows made
later sort later, as real ones do.
"""

from __future__ import annotations

from pnyx.core import search_index
from pnyx.db.engine import Database
from pnyx.db.ids import new_id
from pnyx.db.tables import (
    account_domain_blocks,
    accounts,
    blocks,
    bookmarks,
    conversation_mutes,
    favourites,
    follows,
    mentions,
    mutes,
    notifications,
    status_pins,
    status_tags,
    statuses,
    tags,
)


def status(
    db: Database,
    account_id: int,
    text: str = "hello",
    *,
    visibility: str = "public",
    reply_to: int | None = None,
    reblog_of: int | None = None,
    mention: list[int] = (),
    tag_names: list[str] = (),
    local: bool = True,
    has_media: bool = False,
    language: str | None = None,
) -> int:
    """Insert a status (a boost when `reblog_of` is given) and return its id."""

    def work(tx):
        sid = new_id()
        parent = None
        if reply_to is not None:
            parent = tx.one_or_none(statuses.select().where(statuses.c.id == reply_to))
        tx.execute(
            statuses.insert().values(
                id=sid,
                uri=f"https://pnyx.test/statuses/{sid}",
                url=f"https://pnyx.test/@x/{sid}",
                account_id=account_id,
                local=local,
                text="" if reblog_of else text,
                content="" if reblog_of else f"<p>{text}</p>",
                visibility=visibility,
                in_reply_to_id=reply_to,
                in_reply_to_account_id=parent.account_id if parent else None,
                reblog_of_id=reblog_of,
                conversation_id=(parent.conversation_id if parent else sid),
                has_media=has_media,
                language=language,
                created_at=tx.now,
            )
        )
        for target in mention:
            tx.execute(
                mentions.insert().values(
                    id=new_id(),
                    status_id=sid,
                    account_id=target,
                    private=visibility in ("private", "direct"),
                )
            )
        for name in tag_names:
            tag_id = tx.scalar(
                tags.select().with_only_columns(tags.c.id).where(tags.c.name == name.lower())
            )
            if tag_id is None:
                tag_id = new_id()
                tx.execute(
                    tags.insert().values(
                        id=tag_id, name=name.lower(), display_name=name, created_at=tx.now
                    )
                )
            tx.execute(status_tags.insert().values(status_id=sid, tag_id=tag_id))
        search_index.refresh(tx, sid)  # as the write paths of core do
        return sid

    return db.run_sync(work)


def _pair(table, **extra):
    def insert(db: Database, account_id: int, target_id: int) -> int:
        def work(tx):
            row_id = new_id()
            tx.execute(
                table.insert().values(
                    id=row_id,
                    account_id=account_id,
                    target_account_id=target_id,
                    created_at=tx.now,
                    **extra,
                )
            )
            return row_id

        return db.run_sync(work)

    return insert


block = _pair(blocks)


def mute(db: Database, account_id: int, target_id: int, *, hide_notifications: bool = True):
    def work(tx):
        row_id = new_id()
        tx.execute(
            mutes.insert().values(
                id=row_id,
                account_id=account_id,
                target_account_id=target_id,
                hide_notifications=hide_notifications,
                created_at=tx.now,
            )
        )
        return row_id

    return db.run_sync(work)


def follow(
    db: Database,
    account_id: int,
    target_id: int,
    *,
    show_reblogs: bool = True,
    languages: list[str] | None = None,
) -> int:
    def work(tx):
        row_id = new_id()
        tx.execute(
            follows.insert().values(
                id=row_id,
                account_id=account_id,
                target_account_id=target_id,
                show_reblogs=show_reblogs,
                languages=languages,
                created_at=tx.now,
            )
        )
        return row_id

    return db.run_sync(work)


def mute_thread(db: Database, account_id: int, conversation_id: int) -> None:
    db.run_sync(
        lambda tx: tx.execute(
            conversation_mutes.insert().values(
                account_id=account_id, conversation_id=conversation_id
            )
        )
    )


def _mark(table):
    def insert(db: Database, account_id: int, status_id: int) -> int:
        def work(tx):
            row_id = new_id()
            tx.execute(
                table.insert().values(
                    id=row_id, account_id=account_id, status_id=status_id, created_at=tx.now
                )
            )
            return row_id

        return db.run_sync(work)

    return insert


favourite = _mark(favourites)
bookmark = _mark(bookmarks)
pin = _mark(status_pins)


def notification(
    db: Database, recipient_id: int, from_id: int, kind: str, status_id: int | None = None
) -> int:
    def work(tx):
        row_id = new_id()
        tx.execute(
            notifications.insert().values(
                id=row_id,
                account_id=recipient_id,
                from_account_id=from_id,
                type=kind,
                status_id=status_id,
                created_at=tx.now,
            )
        )
        return row_id

    return db.run_sync(work)


def remote_account(db: Database, username: str, domain: str, display_name: str = "") -> int:
    def work(tx):
        account_id = new_id()
        tx.execute(
            accounts.insert().values(
                id=account_id,
                username=username,
                domain=domain,
                display_name=display_name,
                uri=f"https://{domain}/users/{username}",
                url=f"https://{domain}/@{username}",
                fields=[],
                also_known_as=[],
                created_at=tx.now,
                updated_at=tx.now,
            )
        )
        return account_id

    return db.run_sync(work)


def suspend(db: Database, account_id: int) -> None:
    db.run_sync(
        lambda tx: tx.execute(
            accounts.update().where(accounts.c.id == account_id).values(suspended_at=tx.now)
        )
    )


def domain_block(db: Database, account_id: int, domain: str) -> int:
    """`account_id` blocks the server `domain` (a user domain block)."""

    def work(tx):
        row_id = new_id()
        tx.execute(
            account_domain_blocks.insert().values(
                id=row_id, account_id=account_id, domain=domain, created_at=tx.now
            )
        )
        return row_id

    return db.run_sync(work)


def rule(db: Database, text: str = "No spam") -> int:
    """One of the instance's rules (a suspension cites one), written as set-up: not an
    action of the staff, so the moderation log has no entry for it."""
    from pnyx.db.ids import new_id
    from pnyx.db.tables import rules

    def add(tx):
        rule_id = new_id()
        tx.execute(
            rules.insert().values(id=rule_id, text=text, hint="", position=0, created_at=tx.now)
        )
        return rule_id

    return db.run_sync(add)
