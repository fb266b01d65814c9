"""`/api/v1/pnyx/imports`: Mastodon's CSV files sent as its settings form sends them (`type`,
`mode`, `data`), answered 202 with the Import entity; the job's progress and failures read
back; bad files, types, modes and scopes refused in Mastodon's error format; someone else's
import is 404."""

from __future__ import annotations

from pathlib import Path

import pytest

from pnyx import registry
from pnyx.core.imports import csv_files

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mastodon_csv"
PATH = "/api/v1/pnyx/imports"
FOLLOWING = (
    b"Account address,Show boosts,Notify on new posts,Languages\n"
    b'bob@pnyx.test,false,true,"en, fr"\n'
    b"nobody@pnyx.test,true,false,\n"
)


def send(client, user, kind: str, content: bytes, mode: str | None = None, name: str = "f.csv"):
    data = {"type": kind} | ({"mode": mode} if mode else {})
    return client.post(
        PATH, headers=user.headers, data=data, files={"data": (name, content, "text/csv")}
    )


def test_an_import_is_accepted_then_run_with_its_progress_and_failures(client, app, make_user):
    me, bob = make_user("me"), make_user("bob")
    answer = send(client, me, "following", FOLLOWING, name="following_accounts.csv")
    assert answer.status_code == 202, answer.text
    made = answer.json()
    assert {k: made[k] for k in ("type", "mode", "state", "filename", "total", "processed")} == {
        "type": "following",
        "mode": "merge",
        "state": "scheduled",
        "filename": "following_accounts.csv",
        "total": 2,
        "processed": 0,
    }
    assert made["finished_at"] is None and made["failures"] == [] and made["created_at"]
    registry.drain(app.state.db)
    done = client.get(f"{PATH}/{made['id']}", headers=me.headers).json()
    assert {k: done[k] for k in ("state", "total", "processed", "imported", "failed")} == {
        "state": "finished",
        "total": 2,
        "processed": 2,
        "imported": 1,
        "failed": 1,
    }
    assert done["failures"] == [
        {"row": 3, "value": "nobody@pnyx.test", "reason": "Account not found"}
    ]
    assert done["finished_at"] is not None
    relation = client.get(
        "/api/v1/accounts/relationships", params={"id[]": bob.account_id}, headers=me.headers
    ).json()[0]
    assert (relation["following"], relation["showing_reblogs"], relation["notifying"]) == (
        True,
        False,
        True,
    )
    assert relation["languages"] == ["en", "fr"]
    listed = client.get(PATH, headers=me.headers)
    assert [i["id"] for i in listed.json()] == [made["id"]]


def test_every_type_is_accepted_in_both_modes(client, make_user):
    me = make_user("me")
    files = {
        "following": "following_accounts.csv",
        "blocking": "blocked_accounts.csv",
        "muting": "muted_accounts.csv",
        "domain_blocking": "blocked_domains.csv",
        "bookmarks": "bookmarks.csv",
        "lists": "lists.csv",
    }
    for kind, name in files.items():
        for mode in ("merge", "overwrite"):
            answer = send(client, me, kind, (FIXTURES / name).read_bytes(), mode, name)
            assert answer.status_code == 202, (kind, mode, answer.text)
            assert (answer.json()["type"], answer.json()["mode"]) == (kind, mode)
    assert len(client.get(PATH, params={"limit": 40}, headers=me.headers).json()) == 12


def test_someone_else_s_import_is_not_found(client, make_user):
    me, other = make_user("me"), make_user("other")
    made = send(client, me, "domain_blocking", b"spam.example\n").json()
    answer = client.get(f"{PATH}/{made['id']}", headers=other.headers)
    assert (answer.status_code, answer.json()) == (404, {"error": "Record not found"})
    assert client.get(PATH, headers=other.headers).json() == []
    assert client.get(f"{PATH}/{made['id']}").status_code == 401


@pytest.mark.parametrize(
    ("kind", "content", "mode", "error"),
    [
        ("following", b"", None, "File is empty"),
        ("following", b"\x89PNG\r\n\x1a\n\x00\x00", None, "File is not a CSV file: it holds binary data"),
        ("domain_blocking", b"Account address\nbob@pnyx.test\n", None,
         "File is incompatible with the selected import type: a domain_blocking file has the columns #domain"),
        ("following", b'"bob@pnyx.test\n', None, "File is not a valid CSV file: unexpected end of data (line 1)"),
        ("custom_filters", b"x\n", None,
         "Type is not included in the list (following, blocking, muting, domain_blocking, bookmarks, lists)"),
        ("blocking", b"bob@pnyx.test\n", "replace", "Mode is not included in the list (merge, overwrite)"),
    ],
)  # fmt: skip
def test_bad_files_and_choices_are_422_with_the_reason(
    client, make_user, kind, content, mode, error
):
    me = make_user("me")
    answer = send(client, me, kind, content, mode)
    assert (answer.status_code, answer.json()) == (422, {"error": f"Validation failed: {error}"})
    assert client.get(PATH, headers=me.headers).json() == []


def test_a_file_over_20_mb_is_422_and_a_huge_body_413(client, make_user):
    me = make_user("me")
    content = b"a@b.example\n" * (csv_files.FILE_SIZE_LIMIT // 12 + 1)
    answer = send(client, me, "blocking", content)
    assert answer.status_code == 422
    assert answer.json() == {"error": "Validation failed: File is too large (maximum is 20 MB)"}
    huge = send(client, me, "blocking", content * 2)
    assert (huge.status_code, huge.json()) == (413, {"error": "Request body too large"})


def test_no_file_is_422(client, make_user):
    me = make_user("me")
    answer = client.post(PATH, headers=me.headers, data={"type": "blocking"})
    assert (answer.status_code, answer.json()) == (
        422,
        {"error": "Validation failed: Data can't be blank"},
    )
    as_json = client.post(PATH, headers=me.headers, json={"type": "blocking", "data": {"a": 1}})
    assert as_json.status_code == 422
    # A text field is taken as the file (curl -F data=<file).
    text = client.post(
        PATH, headers=me.headers, data={"type": "blocking", "data": "bob@pnyx.test\n"}
    )
    assert text.status_code == 202 and text.json()["total"] == 1


def test_the_scope_is_the_one_the_change_needs(client, make_user):
    reader = make_user("reader", scopes="read")
    assert send(client, reader, "blocking", b"x@y.example\n").status_code == 403
    blocker = make_user("blocker", scopes="read write:blocks")
    assert send(client, blocker, "blocking", b"x@y.example\n").status_code == 202
    assert send(client, blocker, "domain_blocking", b"y.example\n").status_code == 202
    refused = send(client, blocker, "following", b"x@y.example\n")
    assert (refused.status_code, refused.json()) == (
        403,
        {"error": "This action is outside the authorized scopes"},
    )
    lists_only = make_user("lister", scopes="read write:lists")
    assert send(client, lists_only, "lists", b"Friends,x@y.example\n").status_code == 403
    old_style = make_user("old", scopes="read follow")  # the deprecated scope covers follows
    assert send(client, old_style, "following", b"x@y.example\n").status_code == 202
    writer_only = make_user("writer", scopes="write")
    assert client.get(PATH, headers=writer_only.headers).status_code == 403
    assert client.post(PATH, data={"type": "blocking"}).status_code == 401
