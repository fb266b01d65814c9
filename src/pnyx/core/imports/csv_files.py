"""Mastodon's CSV files, read as Mastodon reads them (its `Form::Import`).

What Mastodon exports, and what it imports:

| type | file | columns |
| --- | --- | --- |
| following | following_accounts.csv | Account address, Show boosts, Notify on new posts, Languages |
| blocking | blocked_accounts.csv | one account address a line, no header |
| muting | muted_accounts.csv | Account address, Hide notifications |
| domain_blocking | blocked_domains.csv | one domain a line, no header |
| bookmarks | bookmarks.csv | one post URI a line, no header |
| lists | lists.csv | list title, account address; no header |

A file whose first cell is one of the headers Mastodon knows (`Account address`, `#domain`,
`#uri`, `List name`) is read by its header; any other is read as the header-less form of the
chosen type (older Mastodon exported following as one column of addresses). The file must
hold the type's first columns, else it is refused as incompatible. Limits are Mastodon's:
20 MB, 20,000 rows, and for follows the follow limit (7,500, or more for accounts with many
followers). Values are cleaned as Mastodon does: addresses lose a leading `@`, domains are
lowercased, booleans read `false`, `f`, `0`, `off` (any case) as false and anything else
given as true, languages are a comma-separated list.

Nothing here touches the database: `parse` turns bytes into rows or raises `Invalid` with the
reason a person can act on.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pnyx.core.errors import Invalid

TYPES = ("following", "blocking", "muting", "domain_blocking", "bookmarks", "lists")
MODES = ("merge", "overwrite")
FILE_SIZE_LIMIT = 20 * 1024 * 1024  # Mastodon's Form::Import::FILE_SIZE_LIMIT
ROWS_PROCESSING_LIMIT = 20_000  # Mastodon's Form::Import::ROWS_PROCESSING_LIMIT
# Mastodon's FollowLimitValidator: 7,500 follows, or 1.1 per follower past that.
FOLLOW_LIMIT = 7_500
FOLLOW_LIMIT_RATIO = 1.1
ACCOUNT = "Account address"

EXPECTED_HEADERS: dict[str, tuple[str, ...]] = {
    "following": (ACCOUNT, "Show boosts", "Notify on new posts", "Languages"),
    "blocking": (ACCOUNT,),
    "muting": (ACCOUNT, "Hide notifications"),
    "domain_blocking": ("#domain",),
    "bookmarks": ("#uri",),
    "lists": ("List name", ACCOUNT),
}
# The columns of a file without a header, and the ones a file must have.
DEFAULT_HEADERS: dict[str, tuple[str, ...]] = {
    "following": (ACCOUNT,),
    "blocking": (ACCOUNT,),
    "muting": (ACCOUNT,),
    "domain_blocking": ("#domain",),
    "bookmarks": ("#uri",),
    "lists": ("List name", ACCOUNT),
}
KNOWN_FIRST_HEADERS = frozenset(headers[0] for headers in EXPECTED_HEADERS.values())
ATTRIBUTE_BY_HEADER = {
    ACCOUNT: "acct",
    "Show boosts": "show_reblogs",
    "Notify on new posts": "notify",
    "Languages": "languages",
    "Hide notifications": "hide_notifications",
    "#domain": "domain",
    "#uri": "uri",
    "List name": "list_name",
}
# What ActiveModel's boolean cast reads as false (after lowercasing, as Mastodon does).
FALSE_VALUES = frozenset({"0", "f", "false", "off"})
MB = 1024 * 1024


@dataclass(frozen=True)
class Row:
    """One line of the file: its row number as a spreadsheet shows it (the header is row 1
    when there is one) and its fields by Mastodon's attribute names."""

    position: int
    data: dict[str, Any]


def check_type(kind: str | None) -> str:
    if kind not in TYPES:
        raise Invalid(f"Type is not included in the list ({', '.join(TYPES)})")
    return kind


def check_mode(mode: str | None) -> str:
    mode = mode or "merge"
    if mode not in MODES:
        raise Invalid("Mode is not included in the list (merge, overwrite)")
    return mode


def follow_limit(following_count: int, followers_count: int) -> int:
    """How many accounts one may follow, as Mastodon's FollowLimitValidator says."""
    if following_count < FOLLOW_LIMIT:
        return FOLLOW_LIMIT
    return max(round(followers_count * FOLLOW_LIMIT_RATIO), FOLLOW_LIMIT)


def value_of(kind: str, data: dict[str, Any]) -> str:
    """What a row names, as shown next to its failure."""
    if kind == "domain_blocking":
        return str(data.get("domain") or "")
    if kind == "bookmarks":
        return str(data.get("uri") or "")
    if kind == "lists":
        return f"{data.get('list_name') or ''}: {data.get('acct') or ''}"
    return str(data.get("acct") or "")


# --- writing the rows back (failures, to import again) --------------------------------------

# Mastodon's names of the files of failed rows, and the header of those that have one.
FAILURES_FILENAMES = {
    "following": "following_accounts_failures.csv",
    "blocking": "blocked_accounts_failures.csv",
    "muting": "muted_accounts_failures.csv",
    "domain_blocking": "blocked_domains_failures.csv",
    "bookmarks": "bookmarks_failures.csv",
    "lists": "lists_failures.csv",
}
FAILURES_HEADERS = {
    "following": EXPECTED_HEADERS["following"],
    "muting": EXPECTED_HEADERS["muting"],
}


def _cells(kind: str, data: dict[str, Any]) -> list[Any]:
    """A row as Mastodon writes it back (its BulkImportRow#to_csv)."""
    if kind == "following":
        languages = data.get("languages")
        return [
            data.get("acct"),
            _word(data.get("show_reblogs"), True),
            _word(data.get("notify"), False),
            ", ".join(languages) if languages else None,
        ]
    if kind == "muting":
        return [data.get("acct"), _word(data.get("hide_notifications"), True)]
    if kind == "lists":
        return [data.get("list_name"), data.get("acct")]
    return [data.get(ATTRIBUTE_BY_HEADER[DEFAULT_HEADERS[kind][0]])]


def _word(value: bool | None, default: bool) -> str:
    return "true" if (default if value is None else value) else "false"


def write(kind: str, rows: Sequence[dict[str, Any]]) -> str:
    """Rows (their data) as a file of `kind` in Mastodon's format, which `parse` reads back:
    the failed rows of an import, to fix and import again."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if kind in FAILURES_HEADERS:
        writer.writerow(FAILURES_HEADERS[kind])
    for data in rows:
        writer.writerow(["" if cell is None else cell for cell in _cells(kind, data)])
    return out.getvalue()


# --- reading ---------------------------------------------------------------------------------


def _text(content: bytes) -> str:
    if len(content) > FILE_SIZE_LIMIT:
        raise Invalid(f"File is too large (maximum is {FILE_SIZE_LIMIT // MB} MB)")
    if b"\x00" in content:
        raise Invalid("File is not a CSV file: it holds binary data")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid("File is not a CSV file: it is not UTF-8 text") from None
    return text.removeprefix("\ufeff")


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(record number, cells) of every record but the blank ones; `Invalid` for bad CSV."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    number = 0
    try:
        for cells in reader:
            number += 1
            if any(cell.strip() for cell in cells):
                yield number, cells
    except csv.Error as exc:
        raise Invalid(f"File is not a valid CSV file: {exc} (line {reader.line_num})") from None


def _boolean(field: str | None) -> bool | None:
    if field is None or field.strip() == "":
        return None
    return field.strip().lower() not in FALSE_VALUES


def _converted(header: str, field: str | None) -> Any:
    if header in ("Show boosts", "Notify on new posts", "Hide notifications"):
        return _boolean(field)
    if field is None:
        return None
    if header == "Languages":
        codes = [code.strip() for code in field.split(",") if code.strip()]
        return codes or None
    if header == ACCOUNT:
        return field.strip().removeprefix("@")
    if header == "#domain":
        return field.strip().lower()
    return field.strip()


def _row(kind: str, headers: Sequence[str], position: int, cells: list[str]) -> Row:
    wanted = EXPECTED_HEADERS[kind]
    data: dict[str, Any] = {}
    for index, header in enumerate(headers):
        if header in wanted and ATTRIBUTE_BY_HEADER[header] not in data:
            field = cells[index] if index < len(cells) else None
            data[ATTRIBUTE_BY_HEADER[header]] = _converted(header, field)
    return Row(position, data)


def parse(kind: str, content: bytes) -> list[Row]:
    """The rows of a `kind` file (one of TYPES), or `Invalid` saying what is wrong with it:
    too large, not CSV text, empty, without the type's columns, or over the row limit. A
    file with its header alone has no row (overwriting with it removes everything, as in
    Mastodon)."""
    check_type(kind)
    records = _records(_text(content))
    first = next(records, None)
    if first is None:
        raise Invalid("File is empty")
    number, cells = first
    header = [cell.strip() for cell in cells]
    if header and header[0] in KNOWN_FIRST_HEADERS:
        headers: Sequence[str] = header
        pending: list[tuple[int, list[str]]] = []
    else:
        headers = DEFAULT_HEADERS[kind]
        pending = [first]
    if not all(name in headers for name in DEFAULT_HEADERS[kind]):
        columns = ", ".join(EXPECTED_HEADERS[kind])
        raise Invalid(
            f"File is incompatible with the selected import type: a {kind} file has the "
            f"columns {columns}"
        )
    rows: list[Row] = []
    for number, cells in itertools.chain(pending, records):
        if len(rows) >= ROWS_PROCESSING_LIMIT:
            raise Invalid(f"File contains more than {ROWS_PROCESSING_LIMIT} rows")
        rows.append(_row(kind, headers, number, cells))
    return rows
