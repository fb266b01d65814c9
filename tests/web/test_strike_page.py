"""A strike's page (`/disputes/strikes/:id`, where Mastodon's apps send a `moderation_warning`):
its owner reads what the staff decided, under which rule, why, about which posts and what it
changed; nobody else can, and a stranger cannot even learn that it exists."""

from __future__ import annotations

import sqlalchemy as sa

import factories
from pnyx.core import accounts, moderation, reports, statuses
from pnyx.db.tables import account_warnings

from .forms import sign_in

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
