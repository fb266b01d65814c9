"""Mastodon's CSV files read as Mastodon reads them, and the files it refuses, refused with a
reason a person can act on. Pure functions: no database."""

from __future__ import annotations

from pathlib import Path

import pytest

from pnyx.core.errors import Invalid
from pnyx.core.imports import csv_files

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mastodon_csv"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_following_accounts_csv_with_its_options():
    rows = csv_files.parse("following", fixture("following_accounts.csv"))
    assert [(r.position, r.data) for r in rows] == [
        (2, {"acct": "rita@remote.example", "show_reblogs": True, "notify": False, "languages": None}),
        (3, {"acct": "sam@social.example", "show_reblogs": False, "notify": True, "languages": ["en", "fr"]}),
        (4, {"acct": "bob@pnyx.test", "show_reblogs": True, "notify": False, "languages": None}),
    ]  # fmt: skip


def test_the_older_header_less_following_file_is_one_column_of_addresses():
    rows = csv_files.parse("following", fixture("following_accounts_headerless.csv"))
    assert [(r.position, r.data) for r in rows] == [
        (1, {"acct": "rita@remote.example"}),
        (2, {"acct": "sam@social.example"}),
        (3, {"acct": "bob@pnyx.test"}),
    ]


@pytest.mark.parametrize(
    ("kind", "name", "expected"),
    [
        ("blocking", "blocked_accounts.csv", [{"acct": "troll@remote.example"}, {"acct": "spammer@social.example"}]),
        ("muting", "muted_accounts.csv", [
            {"acct": "loud@remote.example", "hide_notifications": True},
            {"acct": "chatty@social.example", "hide_notifications": False},
        ]),
        ("domain_blocking", "blocked_domains.csv", [{"domain": "spam.example"}, {"domain": "ads.example"}]),
        ("bookmarks", "bookmarks.csv", [
            {"uri": "https://remote.example/users/rita/statuses/101"},
            {"uri": "https://social.example/users/sam/statuses/202"},
        ]),
        ("lists", "lists.csv", [
            {"list_name": "Friends", "acct": "rita@remote.example"},
            {"list_name": "Friends", "acct": "bob@pnyx.test"},
            {"list_name": "Work", "acct": "sam@social.example"},
        ]),
    ],
)  # fmt: skip
def test_every_other_export_reads_back(kind, name, expected):
    assert [r.data for r in csv_files.parse(kind, fixture(name))] == expected


def test_values_are_cleaned_as_mastodon_cleans_them():
    content = (
        "\ufeffAccount address,Show boosts,Notify on new posts,Languages\r\n"
        ' @Rita@Remote.Example ,FALSE,Off," en ,, de "\r\n'
        "\r\n"  # blank lines are skipped
        "sam@social.example,yes,,\r\n"
    ).encode()
    rows = csv_files.parse("following", content)
    assert [(r.position, r.data) for r in rows] == [
        (2, {"acct": "Rita@Remote.Example", "show_reblogs": False, "notify": False, "languages": ["en", "de"]}),
        (4, {"acct": "sam@social.example", "show_reblogs": True, "notify": None, "languages": None}),
    ]  # fmt: skip
    domains = csv_files.parse("domain_blocking", b"#domain\n  Spam.EXAMPLE \n")
    assert [r.data for r in domains] == [{"domain": "spam.example"}]


def test_a_muting_file_may_be_imported_as_follows_by_its_address_column():
    """As Mastodon: a file is compatible when it has the type's first columns."""
    rows = csv_files.parse("following", fixture("muted_accounts.csv"))
    assert [r.data for r in rows] == [
        {"acct": "loud@remote.example"},
        {"acct": "chatty@social.example"},
    ]


def test_a_header_alone_is_a_file_without_rows():
    """Overwriting with it keeps nothing, as in Mastodon."""
    header = b"Account address,Show boosts,Notify on new posts,Languages\n"
    assert csv_files.parse("following", header) == []


@pytest.mark.parametrize(
    ("kind", "content", "message"),
    [
        ("following", b"", "File is empty"),
        ("following", b"\n\n", "File is empty"),
        ("following", b"PK\x03\x04\x00\x00binary", "File is not a CSV file: it holds binary data"),
        ("following", "caf\u00e9@x.example".encode("latin-1"), "File is not a CSV file: it is not UTF-8 text"),
        ("following", b'"rita@remote.example\n', "File is not a valid CSV file: unexpected end of data (line 1)"),
        ("domain_blocking", fixture("following_accounts.csv"),
         "File is incompatible with the selected import type: a domain_blocking file has the columns #domain"),
        ("blocking", b"#uri\nhttps://x.example/1\n",
         "File is incompatible with the selected import type: a blocking file has the columns Account address"),
        ("lists", b"Account address\nrita@remote.example\n",
         "File is incompatible with the selected import type: a lists file has the columns List name, Account address"),
    ],
)  # fmt: skip
def test_bad_files_are_refused_with_the_reason(kind, content, message):
    with pytest.raises(Invalid) as refused:
        csv_files.parse(kind, content)
    assert refused.value.message == f"Validation failed: {message}"


def test_mastodon_s_limits_size_and_rows():
    too_large = b"a@b.example\n" * (csv_files.FILE_SIZE_LIMIT // 12 + 1)
    with pytest.raises(Invalid, match="File is too large \\(maximum is 20 MB\\)"):
        csv_files.parse("blocking", too_large)
    at_the_limit = b"".join(b"u%d@b.example\n" % i for i in range(csv_files.ROWS_PROCESSING_LIMIT))
    assert len(csv_files.parse("blocking", at_the_limit)) == 20_000
    with pytest.raises(Invalid, match="File contains more than 20000 rows"):
        csv_files.parse("blocking", at_the_limit + b"one@more.example\n")


def test_unknown_types_and_modes():
    with pytest.raises(Invalid, match="Type is not included in the list"):
        csv_files.parse("custom_filters", b"x\n")
    assert csv_files.check_mode(None) == "merge"
    with pytest.raises(Invalid, match="Mode is not included in the list"):
        csv_files.check_mode("replace")


def test_the_follow_limit_is_mastodon_s():
    assert csv_files.follow_limit(10, 0) == 7_500
    assert csv_files.follow_limit(7_500, 100) == 7_500
    assert csv_files.follow_limit(7_500, 10_000) == 11_000


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("following", "following_accounts.csv"),
        ("blocking", "blocked_accounts.csv"),
        ("muting", "muted_accounts.csv"),
        ("domain_blocking", "blocked_domains.csv"),
        ("bookmarks", "bookmarks.csv"),
        ("lists", "lists.csv"),
    ],
)
def test_failed_rows_are_written_back_in_mastodon_s_format(kind, name):
    """The file of failed rows is the type's own file again: it imports as it was."""
    rows = [row.data for row in csv_files.parse(kind, fixture(name))]
    written = csv_files.write(kind, rows)
    assert written == fixture(name).decode()
    assert [row.data for row in csv_files.parse(kind, written.encode())] == rows


def test_failed_follows_without_options_are_written_with_mastodon_s_defaults():
    written = csv_files.write("following", [{"acct": "rita@remote.example"}])
    assert written.splitlines()[1] == "rita@remote.example,true,false,"
