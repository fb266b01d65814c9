"""Timelines through the API: home, public, hashtag, an account's statuses, favourites and
bookmarks. Rows are inserted directly (tests/factories.py) so these tests do not depend on the
posting and following endpoints."""

from __future__ import annotations

import re

import factories as f


def ids(response) -> list[int]:
    assert response.status_code == 200, response.text
    return [int(s["id"]) for s in response.json()]


def link_params(response) -> dict[str, str]:
    """{'next': 'max_id=..', 'prev': 'min_id=..'} from the Link header."""
    out = {}
    for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers.get("link", "")):
        query = url.split("?", 1)[1]
        out[rel] = query
    return out


def test_home_contents_and_order(client, db, make_user):
    me, friend, stranger, quiet = (make_user(n) for n in ("me", "friend", "stranger", "quiet"))
    f.follow(db, me.account_id, friend.account_id)
    f.follow(db, me.account_id, quiet.account_id)
    s_friend = f.status(db, friend.account_id, "friend public")
    s_stranger = f.status(db, stranger.account_id, "stranger public")
    s_own = f.status(db, me.account_id, "my own")
    s_own_dm = f.status(
        db, me.account_id, "my dm", visibility="direct", mention=[friend.account_id]
    )
    s_private = f.status(db, friend.account_id, "friend followers-only", visibility="private")
    s_unlisted = f.status(db, friend.account_id, "friend unlisted", visibility="unlisted")
    s_dm_to_me = f.status(
        db, stranger.account_id, "psst", visibility="direct", mention=[me.account_id]
    )
    s_private_to_me = f.status(
        db, stranger.account_id, "for me", visibility="private", mention=[me.account_id]
    )
    s_friend_dm_other = f.status(
        db, friend.account_id, "not for me", visibility="direct", mention=[stranger.account_id]
    )
    s_stranger_private = f.status(db, stranger.account_id, "followers", visibility="private")
    s_boost = f.status(db, friend.account_id, reblog_of=s_stranger)
    s_quiet = f.status(db, quiet.account_id, "quiet one")

    got = ids(client.get("/api/v1/timelines/home", headers=me.headers))
    assert got == [
        s_quiet,
        s_boost,
        s_private_to_me,
        s_dm_to_me,
        s_unlisted,
        s_private,
        s_own_dm,
        s_own,
        s_friend,
    ]
    assert s_stranger not in got and s_friend_dm_other not in got
    assert s_stranger_private not in got
    body = client.get("/api/v1/timelines/home", headers=me.headers).json()
    boost = body[1]
    assert boost["reblog"]["id"] == str(s_stranger) and boost["account"]["username"] == "friend"

    # Someone else's home does not contain my followers' posts.
    assert ids(client.get("/api/v1/timelines/home", headers=stranger.headers)) == [
        s_stranger_private,
        s_friend_dm_other,
        s_private_to_me,
        s_dm_to_me,
        s_stranger,
    ]


def test_home_needs_a_user_token(client, make_user):
    assert client.get("/api/v1/timelines/home").status_code == 401
    limited = make_user("limited", scopes="write")
    assert client.get("/api/v1/timelines/home", headers=limited.headers).status_code == 403


def test_home_filters_mutes_blocks_reblogs_and_replies(client, db, make_user):
    me, friend, muted, blocked, other, pal = (
        make_user(n) for n in ("me", "friend", "muted", "blocked", "other", "pal")
    )
    for target in (friend, muted, blocked, pal):
        f.follow(db, me.account_id, target.account_id)
    f.mute(db, me.account_id, muted.account_id)
    f.block(db, blocked.account_id, me.account_id)  # they block me
    s_friend = f.status(db, friend.account_id, "keep")
    s_muted = f.status(db, muted.account_id, "muted")
    s_blocked = f.status(db, blocked.account_id, "blocked")
    s_other = f.status(db, other.account_id, "other")
    s_boost_of_muted = f.status(db, friend.account_id, reblog_of=s_muted)
    s_boost_of_blocked = f.status(db, friend.account_id, reblog_of=s_blocked)
    s_mine = f.status(db, me.account_id, "mine")
    s_boost_of_mine = f.status(db, friend.account_id, reblog_of=s_mine)
    s_reply_to_stranger = f.status(db, friend.account_id, "to other", reply_to=s_other)
    s_reply_to_pal = f.status(
        db, friend.account_id, "to pal", reply_to=f.status(db, pal.account_id)
    )
    s_reply_to_me = f.status(db, friend.account_id, "to me", reply_to=s_mine)
    s_self_reply = f.status(db, friend.account_id, "thread", reply_to=s_friend)

    got = ids(client.get("/api/v1/timelines/home", headers=me.headers))
    for hidden in (
        s_muted,
        s_blocked,
        s_other,
        s_boost_of_muted,
        s_boost_of_blocked,
        s_boost_of_mine,
        s_reply_to_stranger,
    ):
        assert hidden not in got
    for shown in (s_friend, s_mine, s_reply_to_pal, s_reply_to_me, s_self_reply):
        assert shown in got


def test_show_reblogs_false_hides_boosts_only(client, db, make_user):
    me, booster, author = make_user("me"), make_user("booster"), make_user("author")
    f.follow(db, me.account_id, booster.account_id, show_reblogs=False)
    original = f.status(db, author.account_id, "original")
    boost = f.status(db, booster.account_id, reblog_of=original)
    own = f.status(db, booster.account_id, "own words")
    got = ids(client.get("/api/v1/timelines/home", headers=me.headers))
    assert own in got and boost not in got


def test_follow_languages_filter_home(client, db, make_user):
    me, polyglot = make_user("me"), make_user("polyglot")
    f.follow(db, me.account_id, polyglot.account_id, languages=["en"])
    english = f.status(db, polyglot.account_id, "hello", language="en")
    f.status(db, polyglot.account_id, "hallo", language="de")
    unknown = f.status(db, polyglot.account_id, "???")
    to_me = f.status(
        db,
        polyglot.account_id,
        "hallo du",
        language="de",
        visibility="direct",
        mention=[me.account_id],
    )
    got = ids(client.get("/api/v1/timelines/home", headers=me.headers))
    assert got == [to_me, unknown, english]


def test_muted_thread_hidden_from_home(client, db, make_user):
    me, friend = make_user("me"), make_user("friend")
    f.follow(db, me.account_id, friend.account_id)
    root = f.status(db, friend.account_id, "root")
    reply = f.status(db, friend.account_id, "more", reply_to=root)
    other = f.status(db, friend.account_id, "other")
    f.mute_thread(db, me.account_id, root)
    assert ids(client.get("/api/v1/timelines/home", headers=me.headers)) == [other]
    assert reply  # made before the mute; hidden all the same


def test_home_refills_page_when_filters_remove_items(client, db, make_user):
    me, friend, muted = make_user("me"), make_user("friend"), make_user("muted")
    f.follow(db, me.account_id, friend.account_id)
    f.follow(db, me.account_id, muted.account_id)
    f.mute(db, me.account_id, muted.account_id)
    kept = [f.status(db, friend.account_id, f"k{i}") for i in range(3)]
    for i in range(12):
        f.status(db, muted.account_id, f"m{i}")
    got = ids(client.get("/api/v1/timelines/home?limit=3", headers=me.headers))
    assert got == list(reversed(kept))


def test_home_pagination_and_link_header(client, db, make_user):
    me = make_user("me")
    posts = [f.status(db, me.account_id, f"post {i}") for i in range(7)]
    newest_first = list(reversed(posts))

    first = client.get("/api/v1/timelines/home?limit=3", headers=me.headers)
    assert ids(first) == newest_first[:3]
    links = link_params(first)
    assert links["next"] == f"limit=3&max_id={newest_first[2]}"
    assert links["prev"] == f"limit=3&min_id={newest_first[0]}"

    second = client.get("/api/v1/timelines/home?" + links["next"], headers=me.headers)
    assert ids(second) == newest_first[3:6]
    third = client.get("/api/v1/timelines/home?" + link_params(second)["next"], headers=me.headers)
    assert ids(third) == newest_first[6:]

    # min_id: the page just above an id, still shown newest first.
    above = client.get(f"/api/v1/timelines/home?min_id={posts[1]}&limit=2", headers=me.headers)
    assert ids(above) == [posts[3], posts[2]]
    # since_id: the newest page above an id.
    since = client.get(f"/api/v1/timelines/home?since_id={posts[1]}&limit=2", headers=me.headers)
    assert ids(since) == [posts[6], posts[5]]
    between = client.get(
        f"/api/v1/timelines/home?max_id={posts[5]}&since_id={posts[2]}", headers=me.headers
    )
    assert ids(between) == [posts[4], posts[3]]
    # limit is capped at 40 and junk cursors are ignored, not errors.
    assert (
        client.get("/api/v1/timelines/home?limit=1000&max_id=abc", headers=me.headers).status_code
        == 200
    )
    assert client.get("/api/v1/timelines/home?limit=x", headers=me.headers).status_code == 422


def test_public_timeline_local_remote_media_and_rules(client, db, make_user):
    alice, bob, viewer = make_user("alice"), make_user("bob"), make_user("viewer")
    remote = f.remote_account(db, "carol", "elsewhere.example")
    s_public = f.status(db, alice.account_id, "public")
    s_unlisted = f.status(db, alice.account_id, "unlisted", visibility="unlisted")
    s_private = f.status(db, alice.account_id, "private", visibility="private")
    s_remote = f.status(db, remote, "remote", local=False)
    s_media = f.status(db, bob.account_id, "pic", has_media=True)
    s_boost = f.status(db, bob.account_id, reblog_of=s_public)
    s_reply = f.status(db, bob.account_id, "reply", reply_to=s_public)
    s_self_reply = f.status(db, alice.account_id, "self", reply_to=s_public)

    everything = ids(client.get("/api/v1/timelines/public"))
    assert everything == [s_self_reply, s_media, s_remote, s_public]
    for hidden in (s_unlisted, s_private, s_boost, s_reply):
        assert hidden not in everything
    assert ids(client.get("/api/v1/timelines/public?local=true")) == [
        s_self_reply,
        s_media,
        s_public,
    ]
    assert ids(client.get("/api/v1/timelines/public?remote=true")) == [s_remote]
    assert ids(client.get("/api/v1/timelines/public?only_media=1")) == [s_media]

    f.block(db, viewer.account_id, bob.account_id)
    f.mute(db, viewer.account_id, remote)
    seen = ids(client.get("/api/v1/timelines/public", headers=viewer.headers))
    assert seen == [s_self_reply, s_public]
    f.suspend(db, alice.account_id)
    assert ids(client.get("/api/v1/timelines/public")) == [s_media, s_remote]
    assert (
        client.get("/api/v1/timelines/public", headers={"Authorization": "Bearer nope"}).status_code
        == 401
    )


def test_tag_timeline_any_all_none(client, db, make_user):
    alice = make_user("alice")
    s_cats = f.status(db, alice.account_id, "#cats", tag_names=["cats"])
    s_dogs = f.status(db, alice.account_id, "#dogs", tag_names=["dogs"])
    s_both = f.status(db, alice.account_id, "#cats #dogs", tag_names=["cats", "dogs"])
    s_cats_birds = f.status(db, alice.account_id, "#cats #birds", tag_names=["cats", "birds"])
    f.status(db, alice.account_id, "#cats private", visibility="private", tag_names=["cats"])
    f.status(db, alice.account_id, "#cats unlisted", visibility="unlisted", tag_names=["cats"])

    assert ids(client.get("/api/v1/timelines/tag/cats")) == [s_cats_birds, s_both, s_cats]
    assert ids(client.get("/api/v1/timelines/tag/Cats")) == [s_cats_birds, s_both, s_cats]
    assert ids(client.get("/api/v1/timelines/tag/cats?any[]=dogs")) == [
        s_cats_birds,
        s_both,
        s_dogs,
        s_cats,
    ]
    assert ids(client.get("/api/v1/timelines/tag/cats?all[]=dogs")) == [s_both]
    assert ids(client.get("/api/v1/timelines/tag/cats?none[]=dogs&none[]=birds")) == [s_cats]
    assert ids(client.get("/api/v1/timelines/tag/cats?all[]=unknown")) == []
    assert ids(client.get("/api/v1/timelines/tag/nothing")) == []


def test_tag_timeline_keeps_replies(client, db, make_user):
    """Unlike the public timeline, Mastodon's hashtag timelines show replies to others."""
    alice, bob = make_user("alice"), make_user("bob")
    root = f.status(db, alice.account_id, "root")
    reply = f.status(db, bob.account_id, "#cats reply", reply_to=root, tag_names=["cats"])
    assert ids(client.get("/api/v1/timelines/tag/cats")) == [reply]
    assert reply not in ids(client.get("/api/v1/timelines/public"))


def test_account_statuses_filters_and_visibility(client, db, make_user):
    author, follower, other = make_user("author"), make_user("follower"), make_user("other")
    f.follow(db, follower.account_id, author.account_id)
    s_public = f.status(db, author.account_id, "public", tag_names=["art"])
    s_private = f.status(db, author.account_id, "private", visibility="private")
    s_direct = f.status(
        db, author.account_id, "dm", visibility="direct", mention=[other.account_id]
    )
    s_reply = f.status(db, author.account_id, "reply", reply_to=f.status(db, other.account_id))
    s_self_reply = f.status(db, author.account_id, "thread", reply_to=s_public)
    s_boost = f.status(db, author.account_id, reblog_of=f.status(db, other.account_id, "x"))
    s_media = f.status(db, author.account_id, "pic", has_media=True)
    url = f"/api/v1/accounts/{author.account_id}/statuses"

    anonymous = ids(client.get(url))
    assert anonymous == [s_media, s_boost, s_self_reply, s_reply, s_public]
    assert ids(client.get(url, headers=follower.headers)) == [
        s_media,
        s_boost,
        s_self_reply,
        s_reply,
        s_private,
        s_public,
    ]
    assert s_direct in ids(client.get(url, headers=other.headers))
    assert s_private not in ids(client.get(url, headers=other.headers))
    assert ids(client.get(url, headers=author.headers))[:1] == [s_media]
    assert len(ids(client.get(url, headers=author.headers))) == 7

    assert ids(client.get(url + "?exclude_replies=true")) == [
        s_media,
        s_boost,
        s_self_reply,
        s_public,
    ]
    assert ids(client.get(url + "?exclude_reblogs=true")) == [
        s_media,
        s_self_reply,
        s_reply,
        s_public,
    ]
    assert ids(client.get(url + "?only_media=true")) == [s_media]
    assert ids(client.get(url + "?tagged=art")) == [s_public]

    f.pin(db, author.account_id, s_self_reply)
    f.pin(db, author.account_id, s_public)
    assert ids(client.get(url + "?pinned=true")) == [s_public, s_self_reply]
    pinned_own = client.get(url + "?pinned=true", headers=author.headers).json()
    assert all(s["pinned"] is True for s in pinned_own)

    # A block either way empties it; a suspension makes it 404; unknown is 404.
    f.block(db, author.account_id, other.account_id)
    assert ids(client.get(url, headers=other.headers)) == []
    assert client.get("/api/v1/accounts/123/statuses").status_code == 404
    f.suspend(db, author.account_id)
    assert client.get(url).status_code == 404


def test_account_statuses_hides_boosts_of_invisible_posts(client, db, make_user):
    author, hidden_author, viewer = make_user("author"), make_user("hidden"), make_user("viewer")
    original = f.status(db, hidden_author.account_id, "x")
    boost = f.status(db, author.account_id, reblog_of=original)
    f.block(db, viewer.account_id, hidden_author.account_id)
    url = f"/api/v1/accounts/{author.account_id}/statuses"
    assert ids(client.get(url)) == [boost]
    assert ids(client.get(url, headers=viewer.headers)) == []


def test_favourites_and_bookmarks(client, db, make_user):
    me, author = make_user("me"), make_user("author")
    a = f.status(db, author.account_id, "a")
    b = f.status(db, author.account_id, "b")
    c = f.status(db, author.account_id, "c", visibility="private")
    fav_b = f.favourite(db, me.account_id, b)
    fav_a = f.favourite(db, me.account_id, a)
    f.favourite(db, me.account_id, c)  # no longer visible to me
    f.bookmark(db, me.account_id, a)

    response = client.get("/api/v1/favourites", headers=me.headers)
    assert ids(response) == [a, b]  # most recently favourited first
    first = client.get("/api/v1/favourites?limit=2", headers=me.headers)
    # The cursor is the favourite's own id, as Mastodon's Link header has it; the hidden
    # status still moves the cursor, so the next page starts after it.
    assert ids(first) == [a]
    assert link_params(first)["next"] == f"limit=2&max_id={fav_a}"
    nxt = client.get("/api/v1/favourites?limit=1&" + f"max_id={fav_a}", headers=me.headers)
    assert ids(nxt) == [b]
    assert link_params(nxt)["next"] == f"limit=1&max_id={fav_b}"
    assert ids(client.get("/api/v1/bookmarks", headers=me.headers)) == [a]
    assert client.get("/api/v1/bookmarks").status_code == 401
    assert client.get("/api/v1/favourites", headers=author.headers).json() == []


HOSTILE = [
    "/api/v1/timelines/tag/a%00b",
    "/api/v1/timelines/tag/cats?any[]=%00&all[]=x%00&none[]=%00",
    "/api/v1/timelines/public?local=%00&max_id=%00",
    "/api/v1/timelines/home?limit=99999999999999999999999999&max_id=99999999999999999999999999",
    "/api/v1/accounts/1/statuses?tagged=%00",
    "/api/v2/search?q=%00",
    "/api/v2/search?q=a%00b&type=statuses",
    "/api/v2/search?q=https://x%00",
    "/api/v2/search?q=x&offset=99999999999999999999999&limit=-5",
    "/api/v2/search?q=%25%5F%5C&type=hashtags",
    "/api/v1/accounts/search?q=%00",
    "/api/v1/notifications?types[]=%00&exclude_types[]=a%00",
    "/api/v1/notifications/unread_count?types[]=%00&limit=99999999999999999999999",
    "/api/v1/markers?timeline[]=%00",
]


def test_hostile_input_never_gives_5xx(client, make_user):
    """NUL characters (PostgreSQL refuses them), huge numbers, wildcards: 2xx or 4xx only."""
    me = make_user("me")
    for url in HOSTILE:
        for headers in (me.headers, {}):
            response = client.get(url, headers=headers)
            assert response.status_code < 500, (url, response.text)
    for body in (
        {"home": {"last_read_id": "9" * 30}},
        {"home": "x"},
        {"notifications": {"last_read_id": "\x00"}},
    ):
        response = client.post("/api/v1/markers", json=body, headers=me.headers)
        assert response.status_code == 422, (body, response.text)
