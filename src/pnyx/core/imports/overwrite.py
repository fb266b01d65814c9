"""Before an import's rows: what overwriting removes, as Mastodon's BulkImportService does.

In `overwrite` mode the file becomes the whole of what the account has of its type:

- following: the accounts followed (and asked to follow) that the file does not name are
  unfollowed (requests withdrawn); those it names are kept, their options set from the file;
- blocking, muting: the blocks and mutes made by hand that the file does not name are undone
  (those a subscribed block list made stay: they follow the list, not the file);
- domain_blocking: the servers blocked that the file does not name are unblocked;
- bookmarks: the bookmarks of posts the file does not name are removed;
- lists: the lists the file does not name are deleted, and the others emptied: the file's
  rows fill them again (Mastodon's way: a list is replaced by the file's members).

Removals go through core's rules (an unfollow or unblock federates, feeds adjust) in steps of
`STEP`, each its own transaction, and may be repeated after a crash: what was removed already
is simply not found again. Accounts and posts the file names that are known here already are
marked on their rows, so the job needs no lookup on another server for them. In `merge` mode
nothing is removed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row

from pnyx.core import blocks_mutes, follows, lists, user_domain_blocks
from pnyx.db.engine import Tx
from pnyx.db.tables import (
    account_domain_blocks,
    account_import_rows,
    account_imports,
    accounts,
    blocks,
    bookmarks,
    follow_requests,
    list_accounts,
    mutes,
    statuses,
)
from pnyx.db.tables import follows as follows_table
from pnyx.db.tables import lists as lists_table

STEP = 200  # removals per transaction


def normalized_acct(acct: str | None, local_domain: str) -> str:
    """An address as the file and the accounts are compared: no leading @, lowercase, this
    server's own domain dropped (Mastodon exports local accounts as name@domain)."""
    text = (acct or "").strip().removeprefix("@").lower()
    return text.removesuffix("@" + local_domain.lower())


def _acct(row: Any) -> str:
    return row.username.lower() if row.domain is None else f"{row.username}@{row.domain}".lower()


def _file_rows(tx: Tx, import_id: int) -> list[Row]:
    return tx.rows(
        sa.select(account_import_rows.c.id, account_import_rows.c.data).where(
            account_import_rows.c.import_id == import_id
        )
    )


def _mark_targets(tx: Tx, pairs: Iterable[tuple[int, int]]) -> None:
    """Rows whose account or post is known here: (row id, target id)."""
    values = [{"row_id": row_id, "target": target} for row_id, target in pairs]
    if values:
        tx.execute(
            account_import_rows.update()
            .where(account_import_rows.c.id == sa.bindparam("row_id"))
            .values(target_id=sa.bindparam("target")),
            values,
        )


# --- accounts: following, blocking, muting ------------------------------------------------------


def _followed(tx: Tx, owner_id: int) -> list[Row]:
    ids = sa.union(
        sa.select(follows_table.c.target_account_id.label("id")).where(
            follows_table.c.account_id == owner_id
        ),
        sa.select(follow_requests.c.target_account_id.label("id")).where(
            follow_requests.c.account_id == owner_id
        ),
    ).subquery()
    return tx.rows(
        sa.select(accounts.c.id, accounts.c.username, accounts.c.domain).where(
            accounts.c.id.in_(sa.select(ids.c.id))
        )
    )


def _held_by_hand(table: sa.Table) -> Callable[[Tx, int], list[Row]]:
    def held(tx: Tx, owner_id: int) -> list[Row]:
        return tx.rows(
            sa.select(accounts.c.id, accounts.c.username, accounts.c.domain)
            .join(table, table.c.target_account_id == accounts.c.id)
            .where(table.c.account_id == owner_id, table.c.source_list_id.is_(None))
        )

    return held


HELD: dict[str, Callable[[Tx, int], list[Row]]] = {
    "following": _followed,
    "blocking": _held_by_hand(blocks),
    "muting": _held_by_hand(mutes),
}
REMOVE: dict[str, Callable[[Tx, int, int], Any]] = {
    "following": follows.unfollow,
    "blocking": blocks_mutes.unblock,
    "muting": blocks_mutes.unmute,
}


def _accounts_step(tx: Tx, job: Row) -> bool:
    rows_by_acct: dict[str, list[int]] = {}
    for row in _file_rows(tx, job.id):
        acct = normalized_acct((row.data or {}).get("acct"), tx.settings.domain)
        rows_by_acct.setdefault(acct, []).append(row.id)
    held = HELD[job.type](tx, job.account_id)
    extra = [account.id for account in held if _acct(account) not in rows_by_acct]
    for target_id in extra[:STEP]:
        REMOVE[job.type](tx, job.account_id, target_id)
    if len(extra) > STEP:
        return False
    kept = [(row_id, a.id) for a in held for row_id in rows_by_acct.get(_acct(a), ())]
    _mark_targets(tx, kept)
    return True


# --- servers, posts, lists ----------------------------------------------------------------------


def _domains_step(tx: Tx, job: Row) -> bool:
    named = {str((row.data or {}).get("domain") or "") for row in _file_rows(tx, job.id)}
    held = tx.scalars(
        sa.select(account_domain_blocks.c.domain).where(
            account_domain_blocks.c.account_id == job.account_id
        )
    )
    extra = [domain for domain in held if domain not in named]
    for domain in extra[:STEP]:
        user_domain_blocks.unblock(tx, job.account_id, domain)
    return len(extra) <= STEP


def _bookmarks_step(tx: Tx, job: Row) -> bool:
    rows_by_uri: dict[str, list[int]] = {}
    for row in _file_rows(tx, job.id):
        rows_by_uri.setdefault(str((row.data or {}).get("uri") or ""), []).append(row.id)
    held = tx.rows(
        sa.select(bookmarks.c.id, statuses.c.id.label("status_id"), statuses.c.uri, statuses.c.url)
        .join(statuses, statuses.c.id == bookmarks.c.status_id)
        .where(bookmarks.c.account_id == job.account_id)
    )
    extra = [b.id for b in held if b.uri not in rows_by_uri and b.url not in rows_by_uri]
    if extra:
        tx.execute(bookmarks.delete().where(bookmarks.c.id.in_(extra[:STEP])))
    if len(extra) > STEP:
        return False
    kept = [
        (row_id, b.status_id)
        for b in held
        for row_id in rows_by_uri.get(b.uri, rows_by_uri.get(b.url or "", []))
    ]
    _mark_targets(tx, kept)
    return True


def _lists_step(tx: Tx, job: Row) -> bool:
    titles = {
        str((row.data or {}).get("list_name") or "").strip() for row in _file_rows(tx, job.id)
    }
    owned = tx.rows(
        sa.select(lists_table.c.id, lists_table.c.title).where(
            lists_table.c.account_id == job.account_id
        )
    )
    for row in owned:
        if row.title not in titles:
            lists.delete(tx, job.account_id, row.id)
            continue
        members = tx.scalars(
            sa.select(list_accounts.c.account_id).where(list_accounts.c.list_id == row.id)
        )
        lists.remove_members(tx, job.account_id, row.id, members)
    return True


STEPS: dict[str, Callable[[Tx, Row], bool]] = {
    "following": _accounts_step,
    "blocking": _accounts_step,
    "muting": _accounts_step,
    "domain_blocking": _domains_step,
    "bookmarks": _bookmarks_step,
    "lists": _lists_step,
}


def prepare_step(tx: Tx, import_id: int) -> bool:
    """One step of preparing the import; True once it is prepared (the rows may run)."""
    query = sa.select(
        account_imports.c.id,
        account_imports.c.account_id,
        account_imports.c.type,
        account_imports.c.mode,
        account_imports.c.prepared,
    ).where(account_imports.c.id == import_id)
    if tx.is_postgres:  # two runs of one import prepare it one after the other, not together
        query = query.with_for_update()
    job = tx.one_or_none(query)
    if job is None or job.prepared:
        return True
    if job.mode == "overwrite" and not STEPS[job.type](tx, job):
        return False
    tx.execute(
        account_imports.update().where(account_imports.c.id == import_id).values(prepared=True)
    )
    return True
