"""A strike's page (`/disputes/strikes/:id`, where Mastodon's apps send a `moderation_warning`):
its owner reads what the staff decided, under which rule, why, about which posts and what it
changed; nobody else can, and a stranger cannot even learn that it exists."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

import factories
from pnyx.core import accounts, moderation, post_moderation, reports, statuses
from pnyx.db.tables import account_warnings

from .forms import PASSWORD, csrf_token, sign_in

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}


def strikes_of(db, account_id: int) -> list:
    return db.run_sync(
        lambda tx: tx.rows(
            sa.select(account_warnings)
            .where(account_warnings.c.target_account_id == account_id)
            .order_by(account_warnings.c.id)
        )
    )


def test_the_owner_reads_the_decision_and_nobody_else(client, make_user):
    db = client.app.state.db
    boss = make_user("boss", role="admin")
    rude, stranger = make_user("rude"), make_user("stranger")
    by = moderation.staff_member(db.run_sync(accounts.user_for_account, boss.account_id))
    rule = factories.rule(db, "Be civil")
    post = db.run_sync(statuses.create, rude.account_id, statuses.StatusInput(text="you idiots"))
    report = db.run_sync(
        reports.file_report,
        stranger.account_id,
        reports.ReportInput(
            target_account_id=rude.account_id, status_ids=[post], comment="insults"
        ),
    )
    db.run_sync(moderation.take_action, by, rude.account_id, "none", "Mind the tone", report)
    db.run_sync(moderation.suspend, by, rude.account_id, "Again", rule)
    db.run_sync(moderation.unsuspend, by, rude.account_id, "Promised")
    warning, suspension = strikes_of(db, rude.account_id)
    assert (suspension.rule_id, suspension.rule_text) == (rule, "Be civil")

    assert client.get(f"/disputes/strikes/{warning.id}", follow_redirects=False).status_code == 303
    sign_in(client, "rude")
    page = client.get(f"/disputes/strikes/{suspension.id}")
    assert page.status_code == 200
    for shown in (
        "Your account was suspended",
        "Be civil",
        "Again",
        "The suspension has been lifted.",
        'href="/moderation"',
    ):
        assert shown in page.text, shown
    page = client.get(f"/disputes/strikes/{warning.id}")
    assert "A warning" in page.text and "Mind the tone" in page.text
    assert "No rule cited" in page.text and f"/@rude/{post}" in page.text
    assert "Nothing was changed on your account" in page.text
    french = client.get(f"/disputes/strikes/{warning.id}", headers=FRENCH).text
    assert "Une décision concernant votre compte" in french

    client.cookies.clear()
    sign_in(client, "stranger")
    for strike_id in (warning.id, suspension.id, 12345):
        answer = client.get(f"/disputes/strikes/{strike_id}")
        assert answer.status_code == 404 and "Mind the tone" not in answer.text


def staff_of(db, account_id: int) -> moderation.Moderator:
    return moderation.staff_member(db.run_sync(accounts.user_for_account, account_id))


def test_a_suspended_person_signs_in_to_their_strikes_only_and_appeals(client, make_user):
    db = client.app.state.db
    boss = make_user("boss", role="admin")
    make_user("rude")
    rude_id = db.run_sync(accounts.find_local, "rude").id
    rule = factories.rule(db, "No spam")
    db.run_sync(moderation.suspend, staff_of(db, boss.account_id), rude_id, "Spam links", rule)
    [strike] = strikes_of(db, rude_id)

    # The site's sign-in lets them in, to the page of their standing.
    page = client.get("/auth/sign_in")
    answer = client.post(
        "/auth/sign_in",
        data={"login": "rude", "password": PASSWORD, "csrf_token": csrf_token(page.text)},
        follow_redirects=False,
    )
    assert (answer.status_code, answer.headers["location"]) == (303, "/disputes/strikes")
    standing = client.get("/disputes/strikes").text
    for shown in ("Your account is suspended", "Your account was suspended", "Not appealed"):
        assert shown in standing, shown
    # Every other page treats them as signed out; the API too.
    for path in ("/home", "/settings/profile", "/notifications"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and "sign_in" in answer.headers["location"], path

    # The appeal form: a blank text is refused with a message, then the appeal is sent.
    page = client.get(f"/disputes/strikes/{strike.id}")
    assert 'action="/disputes/strikes/' in page.text
    token = csrf_token(page.text)
    refused = client.post(
        f"/disputes/strikes/{strike.id}/appeal", data={"text": " ", "csrf_token": token}
    )
    assert refused.status_code == 422 and "Please say why" in refused.text
    sent = client.post(
        f"/disputes/strikes/{strike.id}/appeal",
        data={"text": "My shop's links", "csrf_token": token},
        follow_redirects=False,
    )
    assert sent.headers["location"] == f"/disputes/strikes/{strike.id}?done=appeal"
    page = client.get(sent.headers["location"]).text
    assert "Your appeal was sent" in page and "My shop&#39;s links" in page
    assert "Appeal waiting for a decision" in page and 'name="text"' not in page
    again = client.post(
        f"/disputes/strikes/{strike.id}/appeal", data={"text": "x", "csrf_token": token}
    )
    assert again.status_code == 422 and "already appealed" in again.text
    # The public log shows that it was appealed, not the words.
    log = client.get("/moderation").text
    assert "Appeal: Suspension" in log and "Appealed: waiting for a decision" in log
    assert "My shop" not in log


def test_an_app_sign_in_still_refuses_a_suspended_person(client, make_user):
    db = client.app.state.db
    boss = make_user("boss", role="admin")
    rude = make_user("rude")
    rule = factories.rule(db, "No spam")
    db.run_sync(moderation.suspend, staff_of(db, boss.account_id), rude.account_id, "x", rule)
    answer = client.post(
        "/oauth/token",
        data={
            "grant_type": "password",
            "username": "rude@example.com",
            "password": PASSWORD,
            "client_id": "nobody",
            "client_secret": "nothing",
        },
    )
    assert answer.status_code in (400, 401, 403)
    assert "access_token" not in answer.text


def test_the_standing_page_lists_each_limit_and_what_it_changed(client, make_user):
    db = client.app.state.db
    boss = make_user("boss", role="admin")
    pat = make_user("pat")
    by = staff_of(db, boss.account_id)
    rule = factories.rule(db, "Keep it civil")
    until = db.run_sync(lambda tx: tx.now) + timedelta(days=3)
    db.run_sync(moderation.silence, by, pat.account_id, "Flooding", rule, until=until)
    post = factories.status(db, pat.account_id, "rude words")
    db.run_sync(post_moderation.remove, by, [post], "Insults", rule)
    sign_in(client, "pat")
    standing = client.get("/disputes/strikes").text
    assert "Limited until" in standing and "Your account was limited" in standing
    assert "Posts of yours were removed" in standing
    limit, removal = strikes_of(db, pat.account_id)
    page = client.get(f"/disputes/strikes/{limit.id}").text
    assert "no longer appear in the public timelines, hashtag timelines or trends until" in page
    page = client.get(f"/disputes/strikes/{removal.id}").text
    assert "The posts removed, as you wrote them" in page and "rude words" in page
    assert "Keep it civil" in page and "Insults" in page
    french = client.get("/disputes/strikes", headers=FRENCH).text
    assert "L’état de votre compte" in french
