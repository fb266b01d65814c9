"""Filters through the API: v2 and v1 CRUD with Mastodon's errors, and what filters do to
statuses on every surface (`filtered`, and `hide` per context)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from pnyx.db.tables import custom_filters


def post(client, user, text: str, **extra) -> dict:
    r = client.post("/api/v1/statuses", data={"status": text, **extra}, headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()


def follow(client, who, whom) -> None:
    r = client.post(f"/api/v1/accounts/{whom.account_id}/follow", headers=who.headers)
    assert r.status_code == 200, r.text


def make_filter(client, user, title="f", context=("home",), action="warn", keywords=(), **kw):
    body = {
        "title": title,
        "context": list(context),
        "filter_action": action,
        "keywords_attributes": [{"keyword": k, "whole_word": w} for k, w in (keywords or [])],
        **kw,
    }
    r = client.post("/api/v2/filters", json=body, headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()


def by_id(items: list[dict]) -> dict[str, dict]:
    return {item["id"]: item for item in items}


def home(client, user) -> dict[str, dict]:
    r = client.get("/api/v1/timelines/home", headers=user.headers)
    assert r.status_code == 200, r.text
    return by_id(r.json())


def public(client, user) -> dict[str, dict]:
    r = client.get("/api/v1/timelines/public", headers=user.headers)
    assert r.status_code == 200, r.text
    return by_id(r.json())


def test_filters_v2_crud(client, make_user):
    me = make_user("me")
    created = make_filter(
        client,
        me,
        title="Spoilers",
        context=["home", "public"],
        keywords=[("dragon", True), ("ending", False)],
        expires_in=3600,
    )
    assert created["title"] == "Spoilers" and created["filter_action"] == "warn"
    assert created["context"] == ["home", "public"]
    assert created["expires_at"].endswith("Z")
    assert [(k["keyword"], k["whole_word"]) for k in created["keywords"]] == [
        ("dragon", True),
        ("ending", False),
    ]
    assert created["statuses"] == []
    fid = created["id"]

    listed = client.get("/api/v2/filters", headers=me.headers).json()
    assert [f["id"] for f in listed] == [fid]
    assert client.get(f"/api/v2/filters/{fid}", headers=me.headers).json() == created

    dragon, ending = created["keywords"]
    changed = client.put(
        f"/api/v2/filters/{fid}",
        json={
            "title": "Book spoilers",
            "filter_action": "blur",
            "expires_in": "",
            "keywords_attributes": [
                {"id": dragon["id"], "keyword": "dragons"},
                {"id": ending["id"], "_destroy": True},
                {"keyword": "epilogue"},
            ],
        },
        headers=me.headers,
    )
    assert changed.status_code == 200, changed.text
    data = changed.json()
    assert data["title"] == "Book spoilers" and data["filter_action"] == "blur"
    assert data["expires_at"] is None and data["context"] == ["home", "public"]
    assert [(k["keyword"], k["whole_word"]) for k in data["keywords"]] == [
        ("dragons", True),
        ("epilogue", True),
    ]

    # Keywords on their own.
    added = client.post(
        f"/api/v2/filters/{fid}/keywords",
        data={"keyword": "finale", "whole_word": "false"},
        headers=me.headers,
    ).json()
    assert added["keyword"] == "finale" and added["whole_word"] is False
    kid = added["id"]
    assert client.get(f"/api/v2/filters/keywords/{kid}", headers=me.headers).json() == added
    renamed = client.put(
        f"/api/v2/filters/keywords/{kid}", json={"keyword": "last episode"}, headers=me.headers
    ).json()
    assert renamed == {**added, "keyword": "last episode"}
    keywords = client.get(f"/api/v2/filters/{fid}/keywords", headers=me.headers).json()
    assert [k["keyword"] for k in keywords] == ["dragons", "epilogue", "last episode"]
    assert client.delete(f"/api/v2/filters/keywords/{kid}", headers=me.headers).json() == {}
    assert client.get(f"/api/v2/filters/keywords/{kid}", headers=me.headers).status_code == 404

    assert client.delete(f"/api/v2/filters/{fid}", headers=me.headers).json() == {}
    gone = client.get(f"/api/v2/filters/{fid}", headers=me.headers)
    assert gone.status_code == 404 and gone.json() == {"error": "Record not found"}
    assert client.get("/api/v2/filters", headers=me.headers).json() == []


def test_filter_statuses(client, make_user):
    me, other, hidden = make_user("me"), make_user("other"), make_user("hidden")
    status = post(client, other, "filter me")
    private = post(client, hidden, "not for you", visibility="private")
    fid = make_filter(client, me)["id"]

    added = client.post(
        f"/api/v2/filters/{fid}/statuses", data={"status_id": status["id"]}, headers=me.headers
    )
    assert added.status_code == 200, added.text
    row = added.json()
    assert row["status_id"] == status["id"]
    assert client.get(f"/api/v2/filters/statuses/{row['id']}", headers=me.headers).json() == row
    assert client.get(f"/api/v2/filters/{fid}/statuses", headers=me.headers).json() == [row]
    assert client.get(f"/api/v2/filters/{fid}", headers=me.headers).json()["statuses"] == [row]

    again = client.post(
        f"/api/v2/filters/{fid}/statuses", data={"status_id": status["id"]}, headers=me.headers
    )
    assert again.status_code == 422
    assert again.json() == {"error": "Validation failed: Status has already been taken"}
    unseen = client.post(
        f"/api/v2/filters/{fid}/statuses", data={"status_id": private["id"]}, headers=me.headers
    )
    assert unseen.status_code == 422
    assert unseen.json() == {"error": "Validation failed: Status is invalid"}

    assert client.delete(f"/api/v2/filters/statuses/{row['id']}", headers=me.headers).json() == {}
    assert client.get(f"/api/v2/filters/{fid}/statuses", headers=me.headers).json() == []


def test_validation_errors_are_mastodons(client, make_user):
    me = make_user("me")

    def create(body: dict) -> tuple[int, dict]:
        r = client.post("/api/v2/filters", json=body, headers=me.headers)
        return r.status_code, r.json()

    assert create({"title": "", "context": ["home"]}) == (
        422,
        {"error": "Validation failed: Title can't be blank"},
    )
    assert create({"title": "t", "context": []}) == (
        422,
        {
            "error": "Validation failed: Context can't be blank, "
            "Context None or invalid context supplied"
        },
    )
    assert create({"title": "t", "context": ["home", "elsewhere"]}) == (
        422,
        {"error": "Validation failed: Context None or invalid context supplied"},
    )
    assert create({"title": "t", "context": ["home"], "filter_action": "explode"})[0] == 422
    assert create(
        {"title": "t", "context": ["home"], "keywords_attributes": [{"keyword": " "}]}
    ) == (422, {"error": "Validation failed: Keywords keyword can't be blank"})
    assert create({"title": "x" * 300, "context": ["home"]})[0] == 422
    # Nothing half-made.
    assert client.get("/api/v2/filters", headers=me.headers).json() == []

    fid = make_filter(client, me)["id"]
    blank = client.post(f"/api/v2/filters/{fid}/keywords", data={"keyword": ""}, headers=me.headers)
    assert blank.status_code == 422
    assert blank.json() == {"error": "Validation failed: Keyword can't be blank"}


def test_someone_elses_filter_is_not_found(client, make_user):
    me, other = make_user("me"), make_user("other")
    theirs = make_filter(client, other, keywords=[("word", True)])
    status = post(client, other, "a post")
    fid, kid = theirs["id"], theirs["keywords"][0]["id"]
    sid = client.post(
        f"/api/v2/filters/{fid}/statuses", data={"status_id": status["id"]}, headers=other.headers
    ).json()["id"]
    for method, path in [
        ("GET", f"/api/v2/filters/{fid}"),
        ("PUT", f"/api/v2/filters/{fid}"),
        ("DELETE", f"/api/v2/filters/{fid}"),
        ("GET", f"/api/v2/filters/{fid}/keywords"),
        ("POST", f"/api/v2/filters/{fid}/keywords"),
        ("GET", f"/api/v2/filters/{fid}/statuses"),
        ("GET", f"/api/v2/filters/keywords/{kid}"),
        ("PUT", f"/api/v2/filters/keywords/{kid}"),
        ("DELETE", f"/api/v2/filters/keywords/{kid}"),
        ("GET", f"/api/v2/filters/statuses/{sid}"),
        ("DELETE", f"/api/v2/filters/statuses/{sid}"),
        ("GET", f"/api/v1/filters/{kid}"),
        ("PUT", f"/api/v1/filters/{kid}"),
        ("DELETE", f"/api/v1/filters/{kid}"),
    ]:
        r = client.request(method, path, json={"keyword": "x", "title": "x"}, headers=me.headers)
        assert r.status_code == 404, (method, path, r.text)
    # Their keyword cannot be slipped into my filter either.
    mine = make_filter(client, me)["id"]
    r = client.put(
        f"/api/v2/filters/{mine}",
        json={"keywords_attributes": [{"id": kid, "_destroy": True}]},
        headers=me.headers,
    )
    assert r.status_code == 404
    assert client.get(f"/api/v2/filters/{fid}", headers=other.headers).json() == theirs | {
        "statuses": theirs["statuses"] + [{"id": sid, "status_id": status["id"]}]
    }


def test_scopes_and_sign_in(client, make_user):
    reader = make_user("reader", scopes="read")
    assert client.get("/api/v2/filters").status_code == 401
    assert client.get("/api/v1/filters").status_code == 401
    assert client.get("/api/v2/filters", headers=reader.headers).status_code == 200
    denied = client.post(
        "/api/v2/filters", json={"title": "t", "context": ["home"]}, headers=reader.headers
    )
    assert denied.status_code == 403
    narrow = make_user("narrow", scopes="read:filters write:filters")
    assert make_filter(client, narrow)["title"] == "f"


def test_v1_and_v2_are_the_same_filters(client, make_user):
    me = make_user("me")
    v1 = client.post(
        "/api/v1/filters",
        data={
            "phrase": "Potato",
            "context[]": ["home", "thread"],
            "irreversible": "true",
            "whole_word": "false",
        },
        headers=me.headers,
    )
    assert v1.status_code == 200, v1.text
    made = v1.json()
    assert made == {
        "id": made["id"],
        "phrase": "Potato",
        "context": ["home", "thread"],
        "whole_word": False,
        "expires_at": None,
        "irreversible": True,
    }
    (as_v2,) = client.get("/api/v2/filters", headers=me.headers).json()
    assert as_v2["title"] == "Potato" and as_v2["filter_action"] == "hide"
    assert as_v2["keywords"] == [{"id": made["id"], "keyword": "Potato", "whole_word": False}]

    # A v2 filter with two keywords is two v1 filters.
    two = make_filter(client, me, title="Two", keywords=[("a", True), ("b", True)])
    listed = client.get("/api/v1/filters", headers=me.headers).json()
    assert [f["phrase"] for f in listed] == ["Potato", "a", "b"]
    assert all(f["irreversible"] is False for f in listed[1:])
    a_id = two["keywords"][0]["id"]
    refused = client.put(
        f"/api/v1/filters/{a_id}", data={"context[]": "public"}, headers=me.headers
    )
    assert refused.status_code == 422
    assert "apply to more than one filter keyword" in refused.json()["error"]
    renamed = client.put(f"/api/v1/filters/{a_id}", data={"phrase": "aa"}, headers=me.headers)
    assert renamed.status_code == 422  # the phrase is the filter's title too
    fine = client.put(f"/api/v1/filters/{a_id}", data={"whole_word": "false"}, headers=me.headers)
    assert fine.status_code == 200 and fine.json()["whole_word"] is False

    # One keyword: v1 changes reach the filter.
    updated = client.put(
        f"/api/v1/filters/{made['id']}",
        data={"phrase": "Tomato", "irreversible": "false", "expires_in": "600"},
        headers=me.headers,
    ).json()
    assert updated["phrase"] == "Tomato" and updated["irreversible"] is False
    assert updated["expires_at"] is not None
    v2 = client.get(f"/api/v2/filters/{as_v2['id']}", headers=me.headers).json()
    assert v2["title"] == "Tomato" and v2["filter_action"] == "warn"

    assert client.delete(f"/api/v1/filters/{made['id']}", headers=me.headers).json() == {}
    assert [f["phrase"] for f in client.get("/api/v1/filters", headers=me.headers).json()] == [
        "a",
        "b",
    ]
    bad = client.post(
        "/api/v1/filters", data={"phrase": "", "context[]": "home"}, headers=me.headers
    )
    assert bad.status_code == 422 and bad.json() == {
        "error": "Validation failed: Keyword can't be blank"
    }


def test_filtered_on_home_and_public_and_hide_per_context(client, make_user):
    me, author = make_user("me"), make_user("author")
    follow(client, me, author)
    spoiler = post(client, author, "The <b>Dragon</b> dies at the end")
    plain = post(client, author, "Nothing to see")
    hiding = make_filter(client, me, title="Hide", action="hide", keywords=[("dies", True)])
    warning = make_filter(client, me, title="Warn", context=["public"], keywords=[("dragon", True)])

    shown = home(client, me)
    assert spoiler["id"] not in shown  # the hide filter's context is home
    assert shown[plain["id"]]["filtered"] == []

    everywhere = public(client, me)
    results = {r["filter"]["id"]: r for r in everywhere[spoiler["id"]]["filtered"]}
    # The public timeline keeps it: its warn filter applies here, and the hide filter (of home
    # only) is listed as Mastodon lists every match, for apps that check the context.
    assert set(results) == {hiding["id"], warning["id"]}
    assert results[warning["id"]] == {
        "filter": {
            "id": warning["id"],
            "title": "Warn",
            "context": ["public"],
            "expires_at": None,
            "filter_action": "warn",
        },
        "keyword_matches": ["Dragon"],
        "status_matches": None,
    }
    assert results[hiding["id"]]["keyword_matches"] == ["dies"]

    # The author sees their own post unfiltered; someone signed out gets no `filtered`.
    assert public(client, author)[spoiler["id"]]["filtered"] == []
    anonymous = client.get("/api/v1/timelines/public").json()
    assert "filtered" not in by_id(anonymous)[spoiler["id"]]

    # The account page is its own context.
    page = client.get(f"/api/v1/accounts/{author.account_id}/statuses", headers=me.headers)
    assert spoiler["id"] in by_id(page.json())
    client.put(f"/api/v2/filters/{hiding['id']}", json={"context": ["account"]}, headers=me.headers)
    page = client.get(f"/api/v1/accounts/{author.account_id}/statuses", headers=me.headers)
    assert spoiler["id"] not in by_id(page.json())
    assert spoiler["id"] in home(client, me)


def test_whole_word_and_partial(client, make_user):
    me, author = make_user("me"), make_user("author")
    follow(client, me, author)
    category = post(client, author, "A new category of things")
    cat = post(client, author, "My cat, again")
    make_filter(client, me, title="Cats", keywords=[("cat", True)])

    def matched() -> set[str]:
        return {sid for sid, s in home(client, me).items() if s["filtered"]}

    assert matched() == {cat["id"]}
    (f,) = client.get("/api/v2/filters", headers=me.headers).json()
    client.put(
        f"/api/v2/filters/{f['id']}",
        json={"keywords_attributes": [{"id": f["keywords"][0]["id"], "whole_word": False}]},
        headers=me.headers,
    )
    assert matched() == {cat["id"], category["id"]}
    assert home(client, me)[category["id"]]["filtered"][0]["keyword_matches"] == ["cat"]


def test_spoiler_poll_and_status_filters_and_boosts(client, make_user):
    me, author, booster = make_user("me"), make_user("author"), make_user("booster")
    follow(client, me, booster)
    warned = post(client, author, "hidden behind", spoiler_text="Gardening talk")
    polled = client.post(
        "/api/v1/statuses",
        json={"status": "Vote", "poll": {"options": ["tulips", "roses"], "expires_in": 3600}},
        headers=author.headers,
    ).json()
    chosen = post(client, author, "no keyword here")
    for s in (warned, polled, chosen):
        assert client.post(f"/api/v1/statuses/{s['id']}/reblog", headers=booster.headers).is_success
    f = make_filter(client, me, title="Garden", keywords=[("gardening", True), ("tulips", True)])
    client.post(
        f"/api/v2/filters/{f['id']}/statuses", data={"status_id": chosen["id"]}, headers=me.headers
    )
    boosts = {s["reblog"]["id"]: s for s in home(client, me).values() if s["reblog"]}
    assert boosts[warned["id"]]["filtered"][0]["keyword_matches"] == ["Gardening"]
    assert boosts[polled["id"]]["filtered"][0]["keyword_matches"] == ["tulips"]
    by_post = boosts[chosen["id"]]["filtered"][0]
    assert by_post["keyword_matches"] is None and by_post["status_matches"] == [chosen["id"]]
    assert boosts[chosen["id"]]["reblog"]["filtered"] == boosts[chosen["id"]]["filtered"]


def test_thread_and_notifications(client, make_user):
    me, other = make_user("me"), make_user("other")
    root = post(client, me, "What do you think?")
    rude = post(client, other, "@me rude reply", in_reply_to_id=root["id"])
    kind = post(client, other, "@me kind reply", in_reply_to_id=root["id"])

    def thread() -> dict[str, dict]:
        r = client.get(f"/api/v1/statuses/{root['id']}/context", headers=me.headers)
        return by_id(r.json()["descendants"])

    def mentions() -> dict[str, dict]:
        r = client.get("/api/v1/notifications?types[]=mention", headers=me.headers)
        return {n["status"]["id"]: n for n in r.json()}

    f = make_filter(client, me, title="Rude", context=["thread"], keywords=[("rude", True)])
    assert thread()[rude["id"]]["filtered"][0]["filter"]["id"] == f["id"]
    assert mentions()[rude["id"]]["status"]["filtered"][0]["keyword_matches"] == ["rude"]

    client.put(
        f"/api/v2/filters/{f['id']}",
        json={"filter_action": "hide", "context": ["thread", "notifications"]},
        headers=me.headers,
    )
    assert set(thread()) == {kind["id"]}
    assert set(mentions()) == {kind["id"]}
    # The post itself is still there when asked for, with what it matched.
    single = client.get(f"/api/v1/statuses/{rude['id']}", headers=me.headers).json()
    assert single["filtered"][0]["filter"]["filter_action"] == "hide"


def test_expired_filters_do_nothing(client, make_user, app):
    me, author = make_user("me"), make_user("author")
    follow(client, me, author)
    status = post(client, author, "a spoiler about the finale")
    f = make_filter(client, me, action="hide", keywords=[("finale", True)], expires_in=3600)
    assert status["id"] not in home(client, me)

    def expire(tx):
        tx.execute(
            custom_filters.update()
            .where(custom_filters.c.id == int(f["id"]))
            .values(expires_at=tx.now - timedelta(minutes=1))
        )
        return tx.scalar(sa.select(sa.func.count()).select_from(custom_filters))

    assert app.state.db.run_sync(expire) == 1
    shown = home(client, me)
    assert status["id"] in shown and shown[status["id"]]["filtered"] == []
    # Still listed, with its end.
    assert client.get("/api/v2/filters", headers=me.headers).json()[0]["expires_at"] is not None
