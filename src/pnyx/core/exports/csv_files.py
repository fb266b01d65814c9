"""Mastodon's CSV exports, in Mastodon's exact formats, and the followers list.

What Mastodon writes (its `Export` model), column for column, so that its import (and any tool
made for it) reads ours: following_accounts.csv with "Account address,Show boosts,Notify on
new posts,Languages"; muted_accounts.csv with "Account address,Hide notifications";
lists.csv (no header: list title, account address), blocked_accounts.csv,
blocked_domains.csv and bookmarks.csv (one value a line, no header). Booleans are written
`true`/`false` and fields quoted only when they must be, as Ruby's CSV does; newest first
where Mastodon orders them so. Pnyx adds followers.csv ("Account address"), which Mastodon
does not export.

An address is `name@domain`, the local domain included (Mastodon's
`local_username_and_domain`): the file is read on another server. Blocks and mutes made by a
shared block list the person subscribes to are not theirs to carry: only those they made
themselves are written (the subscription is what they would take along).

Rows are read a page at a time (`PAGE`), so a long list never sits whole in memory.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from pnyx.db.engine import Tx

if TYPE_CHECKING:
    from _typeshed import SupportsWrite
from pnyx.db.tables import (
    account_domain_blocks,
    accounts,
    blocks,
    bookmarks,
    follows,
    list_accounts,
    lists,
    mutes,
    statuses,
)

PAGE = 1000
Rows = Iterator[list[str]]


def _flag(value: Any) -> str:
    return "true" if value else "false"


def _address(tx: Tx, username: str, domain: str | None) -> str:
    return f"{username}@{domain or tx.settings.domain}"


def _pages(tx: Tx, statement: sa.Select, key: sa.Column[Any], descending: bool) -> Iterator[Any]:
    """The rows of `statement` a page at a time, by `key` (unique), in its order."""
    last = None
    while True:
        page = statement.order_by(key.desc() if descending else key).limit(PAGE)
        if last is not None:
            page = page.where(key < last if descending else key > last)
        rows = tx.rows(page)
        yield from rows
        if len(rows) < PAGE:
            return
        last = getattr(rows[-1], key.name)


def _relation(
    tx: Tx, table: sa.Table, account_id: int, *extra: sa.ColumnElement, by_target: bool = True
) -> sa.Select:
    """Rows of a relationship table of this account (or, not `by_target`, towards it), with
    the other account's username and domain."""
    mine, other = (
        (table.c.account_id, table.c.target_account_id)
        if by_target
        else (table.c.target_account_id, table.c.account_id)
    )
    return (
        sa.select(table, accounts.c.username, accounts.c.domain)
        .join(accounts, accounts.c.id == other)
        .where(mine == account_id, *extra)
    )


def _following(tx: Tx, account_id: int) -> Rows:
    for row in _pages(tx, _relation(tx, follows, account_id), follows.c.id, True):
        languages = ", ".join(row.languages) if row.languages else ""
        yield [
            _address(tx, row.username, row.domain),
            _flag(row.show_reblogs),
            _flag(row.notify),
            languages,
        ]


def _followers(tx: Tx, account_id: int) -> Rows:
    statement = _relation(tx, follows, account_id, by_target=False)
    for row in _pages(tx, statement, follows.c.id, True):
        yield [_address(tx, row.username, row.domain)]


def _blocks(tx: Tx, account_id: int) -> Rows:
    statement = _relation(tx, blocks, account_id, blocks.c.source_list_id.is_(None))
    for row in _pages(tx, statement, blocks.c.id, True):
        yield [_address(tx, row.username, row.domain)]


def _mutes(tx: Tx, account_id: int) -> Rows:
    statement = _relation(tx, mutes, account_id, mutes.c.source_list_id.is_(None))
    for row in _pages(tx, statement, mutes.c.id, True):
        yield [_address(tx, row.username, row.domain), _flag(row.hide_notifications)]


def _lists(tx: Tx, account_id: int) -> Rows:
    statement = (
        sa.select(list_accounts.c.id, lists.c.title, accounts.c.username, accounts.c.domain)
        .join(lists, lists.c.id == list_accounts.c.list_id)
        .join(accounts, accounts.c.id == list_accounts.c.account_id)
        .where(lists.c.account_id == account_id)
    )
    # By list, then members in the order they were added: the id of a membership is later
    # than its list's, so ordering by (list, membership) is a walk of the list ids.
    for list_id in tx.scalars(
        sa.select(lists.c.id).where(lists.c.account_id == account_id).order_by(lists.c.id)
    ):
        members = statement.where(list_accounts.c.list_id == list_id)
        for row in _pages(tx, members, list_accounts.c.id, False):
            yield [row.title, _address(tx, row.username, row.domain)]


def _domain_blocks(tx: Tx, account_id: int) -> Rows:
    statement = sa.select(account_domain_blocks).where(
        account_domain_blocks.c.account_id == account_id
    )
    for row in _pages(tx, statement, account_domain_blocks.c.id, False):
        yield [row.domain]


def _bookmarks(tx: Tx, account_id: int) -> Rows:
    statement = (
        sa.select(bookmarks.c.id, statuses.c.uri)
        .join(statuses, statuses.c.id == bookmarks.c.status_id)
        .where(bookmarks.c.account_id == account_id)
    )
    for row in _pages(tx, statement, bookmarks.c.id, True):
        yield [row.uri]


@dataclass(frozen=True)
class CsvFile:
    """One CSV export: its file name (as Mastodon names it), header (None: Mastodon writes
    none) and rows."""

    name: str
    header: tuple[str, ...] | None
    rows: Callable[[Tx, int], Rows]


# By the name the download route uses (`/api/v1/pnyx/exports/csv/<kind>.csv`).
FILES: dict[str, CsvFile] = {
    "following": CsvFile(
        "following_accounts.csv",
        ("Account address", "Show boosts", "Notify on new posts", "Languages"),
        _following,
    ),
    "followers": CsvFile("followers.csv", ("Account address",), _followers),
    "lists": CsvFile("lists.csv", None, _lists),
    "blocks": CsvFile("blocked_accounts.csv", None, _blocks),
    "mutes": CsvFile("muted_accounts.csv", ("Account address", "Hide notifications"), _mutes),
    "domain_blocks": CsvFile("blocked_domains.csv", None, _domain_blocks),
    "bookmarks": CsvFile("bookmarks.csv", None, _bookmarks),
}


def write(tx: Tx, account_id: int, kind: str, out: SupportsWrite[str]) -> None:
    """Write the CSV file `kind` of this account to `out` (opened with newline="")."""
    spec = FILES[kind]
    writer = csv.writer(out, lineterminator="\n")
    if spec.header is not None:
        writer.writerow(spec.header)
    for row in spec.rows(tx, account_id):
        writer.writerow(row)


def text(tx: Tx, account_id: int, kind: str) -> str:
    """The CSV file `kind` of this account, whole: for a download of one file."""
    buffer = io.StringIO(newline="")
    write(tx, account_id, kind, buffer)
    return buffer.getvalue()
