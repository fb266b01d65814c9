"""CSV imports on a real `pnyx serve`, seen by Mastodon.py as an app sees the account: the
files go to `/api/v1/pnyx/imports` as Mastodon's form sends them (Mastodon.py has no method
for it), the server's own workers run them, and what they leave is read back with
Mastodon.py's methods: relationships with the file's options, blocks, mutes, domain blocks,
bookmarks, lists and their members; overwrite removes what the file no longer names."""

from __future__ import annotations

import time

import httpx
import pytest

from mastodon_apps import people as log_in_people


@pytest.fixture(scope="module")
def people(server):
    return log_in_people(server, ("gwen", "hugo", "iris", "jules"))


def eventually(check, attempts: int = 600, pause: float = 0.1):
    """Poll until `check()` is truthy (the server's workers run the import); its result."""
    result = None
    for _ in range(attempts):
        result = check()
        if result:
            return result
        time.sleep(pause)
    return result


def import_file(server, api, kind: str, content: str, mode: str = "merge") -> dict:
    url = f"{server.base_url}/api/v1/pnyx/imports"
    headers = {"Authorization": f"Bearer {api.access_token}"}
    answer = httpx.post(
        url,
        headers=headers,
        data={"type": kind, "mode": mode},
        files={"data": (f"{kind}.csv", content.encode(), "text/csv")},
        timeout=60,
    )
    assert answer.status_code == 202, answer.text

    def finished():
        view = httpx.get(f"{url}/{answer.json()['id']}", headers=headers, timeout=60).json()
        return view if view["state"] == "finished" else None

    view = eventually(finished)
    assert view, "the import never finished"
    assert view["failures"] == [], view
    return view


def test_following_with_its_options_then_overwritten(server, people):
    gwen, domain = people["gwen"], server.domain
    ids = {name: people[name].account_verify_credentials()["id"] for name in ("hugo", "iris")}
    import_file(
        server,
        gwen,
        "following",
        "Account address,Show boosts,Notify on new posts,Languages\n"
        f'hugo@{domain},false,true,"en, fr"\n'
        f"iris@{domain},true,false,\n",
    )
    hugo, iris = gwen.account_relationships([ids["hugo"], ids["iris"]])
    assert (hugo["following"], hugo["showing_reblogs"], hugo["notifying"]) == (True, False, True)
    assert hugo["languages"] == ["en", "fr"]
    assert iris["following"] and iris["showing_reblogs"]
    import_file(server, gwen, "following", f"hugo@{domain}\n", "overwrite")
    hugo, iris = gwen.account_relationships([ids["hugo"], ids["iris"]])
    assert hugo["following"] and not iris["following"]
    assert hugo["notifying"]  # kept: the header-less file says nothing of it
    gwen.account_unfollow(ids["hugo"])


def test_blocks_mutes_and_servers(server, people):
    gwen, domain = people["gwen"], server.domain
    import_file(server, gwen, "blocking", f"jules@{domain}\n")
    assert [a["acct"] for a in gwen.blocks()] == ["jules"]
    import_file(
        server, gwen, "muting", f"Account address,Hide notifications\niris@{domain},false\n"
    )
    [muted] = gwen.mutes()
    assert muted["acct"] == "iris"
    assert gwen.account_relationships(muted["id"])[0]["muting_notifications"] is False
    import_file(server, gwen, "domain_blocking", "spam.example\nads.example\n")
    assert sorted(gwen.domain_blocks()) == ["ads.example", "spam.example"]
    import_file(server, gwen, "domain_blocking", "ads.example\n", "overwrite")
    assert gwen.domain_blocks() == ["ads.example"]
    gwen.account_unblock(gwen.blocks()[0]["id"])
    gwen.account_unmute(muted["id"])
    gwen.domain_unblock("ads.example")


def test_bookmarks_and_lists(server, people):
    gwen, hugo, domain = people["gwen"], people["hugo"], server.domain
    posts = [hugo.status_post(f"worth keeping {i}") for i in range(2)]
    import_file(server, gwen, "bookmarks", "".join(f"{p['uri']}\n" for p in posts))
    assert sorted(str(s["id"]) for s in gwen.bookmarks()) == sorted(str(p["id"]) for p in posts)
    import_file(server, gwen, "bookmarks", f"{posts[0]['uri']}\n", "overwrite")
    assert [str(s["id"]) for s in gwen.bookmarks()] == [str(posts[0]["id"])]

    import_file(server, gwen, "lists", f"Friends,hugo@{domain}\nFriends,iris@{domain}\n")
    [friends] = [x for x in gwen.lists() if x["title"] == "Friends"]
    assert sorted(a["acct"] for a in gwen.list_accounts(friends["id"])) == ["hugo", "iris"]
    import_file(server, gwen, "lists", f"Friends,iris@{domain}\n", "overwrite")
    assert [a["acct"] for a in gwen.list_accounts(friends["id"])] == ["iris"]
    gwen.list_delete(friends["id"])
