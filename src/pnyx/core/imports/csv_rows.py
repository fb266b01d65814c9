"""One row of an import, applied through the rules every other way of doing it goes through.

A follow is `follows.follow` (a request to a locked or remote account, which federates and
notifies as any other), a block `blocks_mutes.block` (ending follows both ways), a mute
`blocks_mutes.mute`, a server block `user_domain_blocks.block`, a bookmark
`interactions.bookmark` (only of a post the person may see), a list member
`lists.add_members` after a follow, as Mastodon's BulkImportRowService does.

`apply` first moves the row from pending to done, in the same transaction as its effect: a
row done by another run (a job run again after a crash, the command line beside a worker)
changes nothing the second time. A rule that says no rolls the whole transaction back; the
caller then records the row as failed (`fail`) with the reason, in words a person can act on
(`explain`).

A list member must be followed. When the follow is a request (a locked or remote account),
the row waits (`WAITING`); the acceptance, whenever it comes, adds the member
(`on_follow_accepted`, subscribed to `FollowAccepted` in the registry).
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa

from pnyx.core import blocks_mutes, events, follows, interactions, lists, user_domain_blocks
from pnyx.core.errors import CoreError, Forbidden, NotFound
from pnyx.core.imports.runs import DONE, FAILED, PENDING, WAITING
from pnyx.db.engine import Tx
from pnyx.db.tables import account_import_rows, account_imports
from pnyx.db.tables import lists as lists_table

log = logging.getLogger("pnyx.imports")

MAX_REASON_CHARS = 500
# Reasons a row failed. The text before ": " is one of these (the web translates it); what
# follows is the detail another server gave.
NO_ADDRESS = "No account address"
NOT_AN_ADDRESS = "Not an account address"
ACCOUNT_NOT_FOUND = "Account not found"
NO_POST_ADDRESS = "No post address"
POST_NOT_FOUND = "Post not found, or not visible to you"
BLOCKED_BETWEEN = "A block between you and this account prevents it"
ACCOUNT_KINDS = ("following", "blocking", "muting", "lists")


def reason(text: str, detail: str | None = None) -> str:
    full = f"{text}: {detail}" if detail else text
    return full[:MAX_REASON_CHARS]


def explain(kind: str, exc: CoreError) -> str:
    """Why a rule refused a row, said for the person who imported it."""
    if isinstance(exc, NotFound):
        return POST_NOT_FOUND if kind == "bookmarks" else ACCOUNT_NOT_FOUND
    if isinstance(exc, Forbidden):
        return BLOCKED_BETWEEN
    return reason(exc.message.removeprefix("Validation failed: "))


def _owner(tx: Tx, row_id: int) -> Any:
    return tx.one_or_none(
        sa.select(account_imports.c.id, account_imports.c.account_id, account_imports.c.type)
        .select_from(
            account_import_rows.join(
                account_imports, account_imports.c.id == account_import_rows.c.import_id
            )
        )
        .where(account_import_rows.c.id == row_id)
    )


def _claim(tx: Tx, row_id: int, state: str, **values: Any) -> bool:
    """Pending -> `state`; False when the row is no longer pending (done by another run)."""
    result = tx.execute(
        account_import_rows.update()
        .where(account_import_rows.c.id == row_id, account_import_rows.c.state == PENDING)
        .values(state=state, **values)
    )
    return result.rowcount == 1


def _count(tx: Tx, import_id: int, *, imported: bool) -> None:
    table = account_imports
    column = "imported" if imported else "failed"
    tx.execute(
        table.update()
        .where(table.c.id == import_id)
        .values({"processed": table.c.processed + 1, column: table.c[column] + 1})
    )


def apply(tx: Tx, row_id: int, target_id: int | None) -> bool:
    """Apply a pending row to its owner, `target_id` being the account or post it names
    (None for a server block). False when the row was not pending any more; CoreError when
    a rule refuses it (nothing is then changed)."""
    owner = _owner(tx, row_id)
    data = tx.scalar(
        sa.select(account_import_rows.c.data).where(account_import_rows.c.id == row_id)
    )
    if owner is None or not _claim(tx, row_id, DONE, target_id=target_id):
        return False
    state = _effect(tx, owner.account_id, owner.type, data or {}, target_id)
    if state != DONE:
        tx.execute(
            account_import_rows.update()
            .where(account_import_rows.c.id == row_id)
            .values(state=state)
        )
    _count(tx, owner.id, imported=True)
    return True


def _effect(tx: Tx, account_id: int, kind: str, data: dict, target_id: int | None) -> str:
    """What the row does; the row's state afterwards (DONE, or WAITING for an approval)."""
    if kind == "domain_blocking":
        user_domain_blocks.block(tx, account_id, data.get("domain"))
        return DONE
    if target_id is None:
        raise NotFound()
    if kind == "following":
        follows.follow(
            tx,
            account_id,
            target_id,
            reblogs=data.get("show_reblogs"),
            notify=data.get("notify"),
            languages=data.get("languages"),
        )
    elif kind == "blocking":
        blocks_mutes.block(tx, account_id, target_id)
    elif kind == "muting":
        hide = data.get("hide_notifications")
        blocks_mutes.mute(tx, account_id, target_id, True if hide is None else bool(hide))
    elif kind == "bookmarks":
        interactions.bookmark(tx, account_id, target_id)
    elif kind == "lists":
        return _list_member(tx, account_id, str(data.get("list_name") or ""), target_id)
    return DONE


def list_titled(tx: Tx, owner_id: int, title: str) -> int | None:
    """The owner's (oldest) list of that title, as Mastodon's find_or_create_by(title:)."""
    return tx.scalar(
        sa.select(lists_table.c.id)
        .where(lists_table.c.account_id == owner_id, lists_table.c.title == title.strip())
        .order_by(lists_table.c.id)
        .limit(1)
    )


def _list_member(tx: Tx, owner_id: int, title: str, target_id: int) -> str:
    list_id = list_titled(tx, owner_id, title) or lists.create(tx, owner_id, title).id
    # Following oneself is no rule's business: the owner may be a member of their lists.
    if target_id != owner_id and follows.follow(tx, owner_id, target_id).pending:
        return WAITING  # joins the list once the follow is accepted
    lists.add_members(tx, owner_id, list_id, [target_id])
    return DONE


def fail(tx: Tx, row_id: int, why: str) -> bool:
    """Record a pending row as failed, with why; False when it was not pending any more."""
    owner = _owner(tx, row_id)
    if owner is None or not _claim(tx, row_id, FAILED, reason=why[:MAX_REASON_CHARS]):
        return False
    _count(tx, owner.id, imported=False)
    return True


def on_follow_accepted(tx: Tx, event: events.FollowAccepted) -> None:
    """A follow was accepted: the list members waiting on it join their lists. In the
    acceptance's transaction, each in a savepoint: a list gone since is no reason to undo
    the acceptance."""
    waiting = tx.rows(
        sa.select(account_import_rows.c.id, account_import_rows.c.data)
        .select_from(
            account_import_rows.join(
                account_imports, account_imports.c.id == account_import_rows.c.import_id
            )
        )
        .where(
            account_import_rows.c.target_id == event.target_id,
            account_import_rows.c.state == WAITING,
            account_imports.c.account_id == event.follower_id,
        )
    )
    for row in waiting:
        title = str((row.data or {}).get("list_name") or "")
        list_id = list_titled(tx, event.follower_id, title)
        if list_id is not None:
            try:
                with tx.conn.begin_nested():
                    lists.add_members(tx, event.follower_id, list_id, [event.target_id])
            except CoreError as exc:
                log.info("import row %s: not added to its list: %s", row.id, exc.message)
        tx.execute(
            account_import_rows.update()
            .where(account_import_rows.c.id == row.id)
            .values(state=DONE)
        )
