"""Web UI: the notifications page and follow requests (issue 4)."""

from __future__ import annotations

import re

import factories
from pnyx.core import follows, interactions, statuses

from .forms import csrf_token, sign_in


def post(db, account_id: int, text: str, visibility: str = "public") -> int:
    return db.run_sync(
        statuses.create, account_id, statuses.StatusInput(text=text, visibility=visibility)
    )


def test_notifications_need_a_session(client):
    answer = client.get("/notifications", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/auth/sign_in"
    answer = client.get("/follow_requests", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/auth/sign_in"


def test_favourite_follow_and_mention_are_told_in_words_newest_first(client, make_user):
    db = client.app.state.db
    alice, bob, carol, dave = (make_user(n) for n in ("alice", "bob", "carol", "dave"))
    mine = post(db, alice.account_id, "my lovely garden")
    db.run_sync(interactions.favourite, bob.account_id, mine)
    db.run_sync(follows.follow, carol.account_id, alice.account_id)
    post(db, dave.account_id, "@alice look at this tomato")

    sign_in(client, "alice")
    page = client.get("/notifications")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "private, no-store"
    text = page.text
    fav = text.index('<a href="/@bob">bob</a> favourited your post')
    fol = text.index('<a href="/@carol">carol</a> followed you')
    men = text.index('<a href="/@dave">dave</a> mentioned you')
    assert men < fol < fav  # newest first
    # The posts come with them, rendered by the status partial.
    assert "my lovely garden" in text and "look at this tomato" in text
    assert text.count('<article class="status"') == 2
    assert text.count('class="social-badge"') == 3  # all three were unread


def test_opening_notifications_marks_them_read(client, make_user):
    db = client.app.state.db
    alice, bob = make_user("alice"), make_user("bob")
    mine = post(db, alice.account_id, "count me")
    db.run_sync(interactions.favourite, bob.account_id, mine)
    db.run_sync(follows.follow, bob.account_id, alice.account_id)
    unread = client.get("/api/v1/notifications/unread_count", headers=alice.headers).json()
    assert unread == {"count": 2}

    sign_in(client, "alice")
    assert 'class="social-badge"' in client.get("/notifications").text
    unread = client.get("/api/v1/notifications/unread_count", headers=alice.headers).json()
    assert unread == {"count": 0}
    # The marker is the one the API shares with apps.
    marker = client.get("/api/v1/markers?timeline[]=notifications", headers=alice.headers).json()
    assert marker["notifications"]["last_read_id"]
    # Seen once, no longer new.
    assert 'class="social-badge"' not in client.get("/notifications").text

    carol = make_user("carol")
    db.run_sync(follows.follow, carol.account_id, alice.account_id)
    page = client.get("/notifications").text
    assert page.count('class="social-badge"') == 1
    assert page.index('class="social-badge"') < page.index("bob")


def test_notifications_page_older_by_max_id(client, make_user):
    db = client.app.state.db
    alice, bob = make_user("alice"), make_user("bob")
    ids = [
        factories.notification(db, alice.account_id, bob.account_id, "follow") for _ in range(25)
    ]
    sign_in(client, "alice")
    first = client.get("/notifications").text
    assert first.count('class="social-notification') == 20
    assert f'id="notification-{ids[-1]}"' in first and f'id="notification-{ids[4]}"' not in first
    older = re.search(r'href="(/notifications\?max_id=\d+)" rel="next"', first).group(1)
    second = client.get(older).text
    assert second.count('class="social-notification') == 5
    assert f'id="notification-{ids[4]}"' in second and f'id="notification-{ids[0]}"' in second
    assert 'rel="next"' not in second


def test_a_post_in_two_notifications_is_shown_once(client, make_user):
    db = client.app.state.db
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    mine = post(db, alice.account_id, "popular post")
    db.run_sync(interactions.favourite, bob.account_id, mine)
    db.run_sync(interactions.favourite, carol.account_id, mine)
    sign_in(client, "alice")
    page = client.get("/notifications").text
    assert page.count(f'id="status-{mine}"') == 1
    assert f'href="/@alice/{mine}">View the post</a>' in page


def test_notifications_hide_what_the_recipient_may_not_see(client, make_user):
    db = client.app.state.db
    alice, bob, mallory = make_user("alice"), make_user("bob"), make_user("mallory")
    secret = post(db, bob.account_id, "followers only words", visibility="private")
    # A notification pointing at a post alice cannot see (she does not follow bob).
    factories.notification(db, alice.account_id, bob.account_id, "status", secret)
    factories.notification(db, alice.account_id, mallory.account_id, "follow")
    factories.block(db, alice.account_id, mallory.account_id)
    sign_in(client, "alice")
    page = client.get("/notifications").text
    assert "followers only words" not in page and "mallory" not in page
    assert "No notifications yet." in page


def locked_with_requests(client, make_user):
    db = client.app.state.db
    alice = make_user("alice", locked=True)
    bob, carol = make_user("bob"), make_user("carol")
    for requester in (bob, carol):
        db.run_sync(follows.follow, requester.account_id, alice.account_id)
    return db, alice, bob, carol


def test_follow_requests_authorize_and_reject(client, make_user):
    db, alice, bob, carol = locked_with_requests(client, make_user)
    sign_in(client, "alice")
    notes = client.get("/notifications").text
    assert '<a href="/@bob">bob</a> asked to follow you' in notes
    assert '<a href="/follow_requests">2 follow requests</a>' in notes

    page = client.get("/follow_requests")
    assert page.status_code == 200
    assert "@bob" in page.text and "@carol" in page.text
    token = csrf_token(page.text)
    answer = client.post(
        f"/follow_requests/{bob.account_id}/authorize",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/follow_requests?done=authorized"
    assert db.run_sync(follows.is_following, bob.account_id, alice.account_id)
    done = client.get(answer.headers["location"]).text
    assert 'role="status"' in done and "Follow request authorized." in done
    assert "@bob" not in done and "@carol" in done

    answer = client.post(
        f"/follow_requests/{carol.account_id}/reject",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert not db.run_sync(follows.is_following, carol.account_id, alice.account_id)
    pending = db.run_sync(follows.follow_requests_count, alice.account_id)
    assert pending == 0
    assert "No pending follow requests." in client.get("/follow_requests").text

    # Answering a request that is no longer there says so, with the page.
    again = client.post(
        f"/follow_requests/{carol.account_id}/authorize",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert again.status_code == 404
    assert 'role="alert"' in again.text and "no longer exists" in again.text
    assert not db.run_sync(follows.is_following, carol.account_id, alice.account_id)


def test_follow_request_forms_refuse_a_missing_or_foreign_token(client, make_user):
    db, alice, bob, _carol = locked_with_requests(client, make_user)
    sign_in(client, "alice")
    token = csrf_token(client.get("/follow_requests").text)
    for action in ("authorize", "reject"):
        answer = client.post(f"/follow_requests/{bob.account_id}/{action}", data={})
        assert answer.status_code == 403 and 'role="alert"' in answer.text
        answer = client.post(
            f"/follow_requests/{bob.account_id}/{action}",
            data={"csrf_token": token},
            headers={"Origin": "https://evil.example"},
        )
        assert answer.status_code == 403
    assert not db.run_sync(follows.is_following, bob.account_id, alice.account_id)
    assert db.run_sync(follows.follow_requests_count, alice.account_id) == 2


def test_follow_request_answers_need_a_session(client, make_user):
    db, alice, bob, _carol = locked_with_requests(client, make_user)
    answer = client.post(f"/follow_requests/{bob.account_id}/authorize", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/auth/sign_in"
    assert db.run_sync(follows.follow_requests_count, alice.account_id) == 2


def test_notifications_in_french(client, make_user):
    db = client.app.state.db
    alice, bob = make_user("alice"), make_user("bob")
    mine = post(db, alice.account_id, "mon jardin")
    db.run_sync(interactions.favourite, bob.account_id, mine)
    sign_in(client, "alice")
    page = client.get("/notifications", headers={"Accept-Language": "fr"}).text
    assert '<html lang="fr">' in page
    assert '<a href="/@bob">bob</a> a ajouté votre message à ses favoris' in page
    assert "Nouveau" in page


def test_the_instances_notifications_are_told_in_words(client, make_user):
    """A sign-up for the staff; a strike and the follows a block of a server ended for its
    owner (with the strike's text escaped)."""
    from pnyx.core import moderation, user_domain_blocks

    db = client.app.state.db
    make_user("boss", role="admin")
    alice = make_user("alice")
    far = factories.remote_account(db, "far", "far.example")
    factories.follow(db, far, alice.account_id)
    db.run_sync(user_domain_blocks.block, alice.account_id, "far.example")
    db.run_sync(
        lambda tx: moderation.take_action(
            tx, moderation.OPERATOR, alice.account_id, "none", "Stop <b>shouting</b>."
        )
    )

    sign_in(client, "alice")
    text = client.get("/notifications").text
    assert "The moderators warned you: Stop &lt;b&gt;shouting&lt;/b&gt;." in text
    assert "A block of far.example ended follows: you lost 1 followers and 0 follows" in text
    client.cookies.clear()
    sign_in(client, "boss")
    text = client.get("/notifications").text
    assert '<a href="/@alice">alice</a> signed up' in text
