"""Profile pages: `/@user` and `/@user@host`, their tabs, hidden lists, the follow / block /
mute buttons, content negotiation with the actor document, OpenGraph and French."""

from __future__ import annotations

import re

import factories
from pnyx.core import profiles

PASSWORD = "correct horse battery"
AP = {"Accept": "application/activity+json"}


def sign_in(client, username: str) -> str:
    """Sign in through the real form (as a new visitor) and return the CSRF token."""
    client.cookies.clear()
    page = client.get("/auth/sign_in").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = client.post(
        "/auth/sign_in",
        data={"login": username, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code in (302, 303), answer.text
    return token


def main_of(page: str) -> str:
    return page[page.index("<main") :]


def test_profile_tabs(client, make_user):
    alice = make_user("alice")
    bob = make_user("bob")
    db = client.app.state.db
    own = factories.status(db, alice.account_id, "alice speaking")
    bobs = factories.status(db, bob.account_id, "bob speaking")
    factories.status(db, alice.account_id, "alice answering", reply_to=bobs)
    factories.status(db, alice.account_id, "alice threading", reply_to=own)

    page = client.get("/@alice")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    body = main_of(page.text)
    assert "alice speaking" in body and "alice threading" in body
    assert "alice answering" not in body  # replies to others are on the next tab
    assert '<a href="/@alice" aria-current="page">Posts</a>' in body
    with_replies = main_of(client.get("/@alice/with_replies").text)
    assert "alice answering" in with_replies and "alice speaking" in with_replies
    assert 'href="/@alice/with_replies" aria-current="page"' in with_replies
    assert "@alice@pnyx.test" in body


def test_followers_and_following_lists(client, make_user):
    alice = make_user("alice")
    bob = make_user("bob")
    carol = make_user("carol")
    client.post(f"/api/v1/accounts/{alice.account_id}/follow", headers=bob.headers)
    client.post(f"/api/v1/accounts/{alice.account_id}/follow", headers=carol.headers)
    client.post(f"/api/v1/accounts/{carol.account_id}/follow", headers=alice.headers)

    followers = main_of(client.get("/@alice/followers").text)
    assert 'href="/@bob"' in followers and 'href="/@carol"' in followers
    following = main_of(client.get("/@alice/following").text)
    assert 'href="/@carol"' in following and 'href="/@bob"' not in following
    assert "<dt>Followers</dt><dd>2</dd>" in followers

    client.app.state.db.run_sync(
        profiles.update_profile, alice.account_id, profiles.ProfileUpdate(hide_collections=True)
    )
    hidden = main_of(client.get("/@alice/followers").text)
    assert 'href="/@bob"' not in hidden and "does not show this list" in hidden
    sign_in(client, "bob")
    assert 'href="/@carol"' not in main_of(client.get("/@alice/following").text)
    sign_in(client, "alice")  # the owner still sees their own lists
    assert 'href="/@bob"' in main_of(client.get("/@alice/followers").text)


def test_follow_and_unfollow_from_a_profile(client, make_user):
    alice = make_user("alice")
    bob = make_user("bob")
    token = sign_in(client, "bob")
    page = client.get("/@alice").text
    assert f'action="/accounts/{alice.account_id}/follow"' in page and ">Follow</button>" in page
    answer = client.post(
        f"/accounts/{alice.account_id}/follow",
        data={"csrf_token": token, "return_to": "/@alice"},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/@alice"
    relationship = client.get(
        f"/api/v1/accounts/relationships?id[]={alice.account_id}", headers=bob.headers
    ).json()[0]
    assert relationship["following"] is True
    page = client.get("/@alice").text
    assert ">Unfollow</button>" in page and ">Follow</button>" not in page
    assert "<dt>Followers</dt><dd>1</dd>" in page

    answer = client.post(
        f"/accounts/{alice.account_id}/unfollow", data={"csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/@alice"
    assert ">Follow</button>" in client.get("/@alice").text


def test_locked_account_shows_requested(client, make_user):
    locked = make_user("lock", locked=True)
    bob = make_user("bob")
    token = sign_in(client, "bob")
    assert "Approves followers" in client.get("/@lock").text
    client.post(f"/accounts/{locked.account_id}/follow", data={"csrf_token": token})
    page = client.get("/@lock").text
    assert ">Requested</button>" in page and ">Follow</button>" not in page
    relationship = client.get(
        f"/api/v1/accounts/relationships?id[]={locked.account_id}", headers=bob.headers
    ).json()[0]
    assert relationship["requested"] is True and relationship["following"] is False
    # Pressing "Requested" withdraws the request.
    client.post(f"/accounts/{locked.account_id}/unfollow", data={"csrf_token": token})
    assert ">Follow</button>" in client.get("/@lock").text


def test_followers_only_posts_on_a_profile(client, make_user):
    alice = make_user("alice")
    make_user("bob")
    carol = make_user("carol")
    db = client.app.state.db
    factories.follow(db, carol.account_id, alice.account_id)
    factories.status(db, alice.account_id, "for everyone")
    factories.status(db, alice.account_id, "for followers", visibility="private")
    assert "for followers" not in client.get("/@alice").text
    sign_in(client, "bob")
    assert "for followers" not in client.get("/@alice").text
    sign_in(client, "carol")
    assert "for followers" in client.get("/@alice").text


def test_block_and_mute_buttons(client, make_user):
    alice = make_user("alice")
    bob = make_user("bob")
    factories.status(client.app.state.db, alice.account_id, "can you see me")
    token = sign_in(client, "bob")
    client.post(f"/accounts/{alice.account_id}/mute", data={"csrf_token": token})
    page = client.get("/@alice").text
    assert ">Unmute</button>" in page and "You mute this account." in page
    client.post(f"/accounts/{alice.account_id}/unmute", data={"csrf_token": token})
    assert ">Mute</button>" in client.get("/@alice").text

    client.post(f"/accounts/{alice.account_id}/follow", data={"csrf_token": token})
    client.post(f"/accounts/{alice.account_id}/block", data={"csrf_token": token})
    page = client.get("/@alice").text
    assert ">Unblock</button>" in page and ">Follow</button>" not in page
    assert "can you see me" not in main_of(page)
    relationship = client.get(
        f"/api/v1/accounts/relationships?id[]={alice.account_id}", headers=bob.headers
    ).json()[0]
    assert relationship["blocking"] and not relationship["following"]
    client.post(f"/accounts/{alice.account_id}/unblock", data={"csrf_token": token})
    assert ">Follow</button>" in client.get("/@alice").text


def test_relationship_forms_need_csrf_and_a_session(client, make_user):
    alice = make_user("alice")
    make_user("bob")
    for action in ("follow", "unfollow", "block", "unblock", "mute", "unmute"):
        signed_out = client.post(f"/accounts/{alice.account_id}/{action}", data={})
        assert signed_out.status_code == 403, action
    sign_in(client, "bob")
    for action in ("follow", "unfollow", "block", "unblock", "mute", "unmute"):
        answer = client.post(f"/accounts/{alice.account_id}/{action}", data={})
        assert answer.status_code == 403, action
        wrong = client.post(f"/accounts/{alice.account_id}/{action}", data={"csrf_token": "x" * 30})
        assert wrong.status_code == 403, action
    assert 'href="/@bob"' not in main_of(client.get("/@alice/followers").text)
    # Signed out, with a valid form token: sent to the sign-in page, nothing done.
    client.cookies.clear()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/auth/sign_in").text)[1]
    answer = client.post(
        f"/accounts/{alice.account_id}/follow", data={"csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/auth/sign_in"


def test_own_profile_offers_editing_not_following(client, make_user):
    make_user("alice")
    sign_in(client, "alice")
    page = client.get("/@alice").text
    assert 'href="/settings/profile"' in page and ">Follow</button>" not in page


def test_remote_profile(client, make_user):
    db = client.app.state.db
    zoe = factories.remote_account(db, "zoe", "far.example", "Zoe Far")
    factories.status(db, zoe, "hello from far away", local=False)
    page = client.get("/@zoe@far.example")
    assert page.status_code == 200
    assert "Zoe Far" in page.text and "hello from far away" in page.text
    assert "@zoe@far.example" in page.text
    assert 'rel="alternate" type="application/activity+json"' not in page.text
    assert 'href="https://far.example/@zoe"' in page.text
    assert client.get("/@zoe@far.example/followers").status_code == 200
    make_user("bob")
    token = sign_in(client, "bob")
    answer = client.post(f"/accounts/{zoe}/follow", data={"csrf_token": token})
    assert answer.status_code == 200  # followed redirects back to the profile
    assert ">Requested</button>" in answer.text  # the other server has to accept


def test_unknown_and_suspended_profiles_are_404(client, make_user):
    mallory = make_user("mallory")
    factories.suspend(client.app.state.db, mallory.account_id)
    for path in ("/@nobody", "/@mallory", "/@mallory/followers", "/@nobody@far.example", "/@a b"):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert answer.headers["content-type"].startswith("text/html")
        assert 'role="alert"' in answer.text


def test_profile_negotiates_with_the_actor(client, make_user):
    make_user("alice")
    actor = client.get("/@alice", headers=AP)
    assert actor.status_code == 200
    assert actor.headers["content-type"].startswith("application/activity+json")
    assert actor.json()["id"] == "https://pnyx.test/users/alice"
    assert actor.json()["type"] == "Person"
    page = client.get("/@alice")
    assert page.headers["content-type"].startswith("text/html")
    assert "Accept" in page.headers["vary"]
    assert (
        '<link rel="alternate" type="application/activity+json" '
        'href="https://pnyx.test/users/alice">'
    ) in page.text
    # Browsers sent to /users/alice land on this page.
    moved = client.get("/users/alice", follow_redirects=False)
    assert moved.status_code == 302 and moved.headers["location"] == "https://pnyx.test/@alice"


def test_profile_open_graph_and_bio(client, make_user):
    alice = make_user("alice")
    client.app.state.db.run_sync(
        profiles.update_profile,
        alice.account_id,
        profiles.ProfileUpdate(
            display_name="Alice <A>",
            note="I like <b>tea</b> and #pnyx",
            fields=[("Site", "https://alice.example")],
        ),
    )
    page = client.get("/@alice").text
    assert '<meta property="og:type" content="profile">' in page
    assert '<meta property="og:title" content="Alice &lt;A&gt; (@alice@pnyx.test)">' in page
    assert '<meta property="og:url" content="https://pnyx.test/@alice">' in page
    assert 'og:description" content="I like &lt;b&gt;tea&lt;/b&gt; and #pnyx"' in page
    assert "&lt;b&gt;tea&lt;/b&gt;" in main_of(page) and "<b>tea</b>" not in page
    assert "<dt>Site</dt>" in page and 'href="https://alice.example"' in page


def test_profile_in_french(client, make_user):
    make_user("alice")
    page = client.get("/@alice", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).text
    assert '<html lang="fr">' in page
    assert ">Publications et réponses</a>" in page and ">Abonnés</a>" in page
