"""Reach limits, removals and appeals in the administration pages: limiting an account (for a
time) and making its media sensitive from /admin/accounts, removing or marking sensitive the
posts a report names from /admin/reports, and deciding appeals at /admin/appeals, each through
core's rules (a reason, the rule for a removal, another staff member for an appeal) and in
the moderation log."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

import factories
from pnyx.core import account_warnings, appeals, reports
from pnyx.core import accounts as core_accounts
from pnyx.core import statuses as core_statuses
from pnyx.db.tables import appeals as appeals_table
from pnyx.db.tables import moderation_log

from .forms import sign_in as sign_in_with_the_form

WEB = Path(__file__).parents[2] / "src" / "pnyx" / "web"
FRENCH = {"Accept-Language": "fr"}


def sign_in(client, name: str) -> None:
    client.cookies.clear()
    sign_in_with_the_form(client, name)


def post(client, path: str, **fields):
    return client.post(
        path, data={"csrf_token": client.cookies["pnyx_csrf"], **fields}, follow_redirects=False
    )


def log(client) -> list:
    return client.app.state.db.run_sync(
        lambda tx: tx.rows(sa.select(moderation_log).order_by(moderation_log.c.id))
    )


def account(client, account_id: int):
    return client.app.state.db.run_sync(core_accounts.get, account_id)


def status_row(client, status_id: int):
    return client.app.state.db.run_sync(core_statuses.get_row, status_id)


def reported(client, reporter: int, target: int, status_ids: list[int]) -> int:
    return client.app.state.db.run_sync(
        reports.file_report,
        reporter,
        reports.ReportInput(target_account_id=target, status_ids=status_ids, comment="look"),
    )


def appeal(client, person: int, text: str = "I did not do it") -> int:
    """The person appeals their newest strike (as they would from its page)."""
    db = client.app.state.db
    strike = db.run_sync(account_warnings.of_account, person)[0].id
    return db.run_sync(appeals.submit, person, strike, text)


def appeal_state(client, appeal_id: int) -> str:
    return client.app.state.db.run_sync(
        lambda tx: tx.scalar(
            sa.select(appeals_table.c.state).where(appeals_table.c.id == appeal_id)
        )
    )


@pytest.fixture
def people(client, make_user):
    """Two moderators and two ordinary users: {name: account id}."""
    found = {
        "mo": make_user("mo", role="moderator").account_id,
        "mia": make_user("mia", role="moderator").account_id,
        "pat": make_user("pat").account_id,
        "sam": make_user("sam").account_id,
    }
    return found


def test_a_limit_for_some_days_is_shown_logged_and_lifted(client, people):
    pat = people["pat"]
    rule = factories.rule(client.app.state.db, "Keep it civil")
    sign_in(client, "mo")
    page = client.get("/admin/accounts?status=all").text
    assert f'<label for="silence-reason-{pat}">' in page
    assert (
        f'<label for="silence-days-{pat}">' in page and f'<label for="silence-rule-{pat}">' in page
    )

    refused = post(client, f"/admin/accounts/{pat}/silence", reason=" ", back="all")
    assert refused.status_code == 422 and "Please give a reason" in refused.text
    refused = post(client, f"/admin/accounts/{pat}/silence", reason="rude", days="0", back="all")
    assert refused.status_code == 422 and "whole number of days, from 1 to 3650" in refused.text
    assert account(client, pat).silenced_at is None and log(client) == []

    answer = post(
        client, f"/admin/accounts/{pat}/silence", reason="rude", rule_id=rule, days="3", back="all"
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/admin/accounts?status=all&done=silence"
    entry = log(client)[-1]
    assert (entry.action, entry.target_account_id, entry.actor_account_id, entry.reason) == (
        "silence",
        pat,
        people["mo"],
        "rude",
    )
    assert entry.rule_id == rule and entry.ends_at - entry.created_at == timedelta(days=3)
    assert account(client, pat).silenced_until == entry.ends_at
    page = client.get(answer.headers["location"]).text
    assert "The account was limited." in page
    until = entry.ends_at.strftime("%Y-%m-%d %H:%M UTC")
    assert f"<dt>Limited</dt><dd>Until {until}</dd>" in page
    assert f'action="/admin/accounts/{pat}/unsilence"' in page
    assert f'action="/admin/accounts/{pat}/silence"' not in page
    french = client.get("/admin/accounts?status=all", headers=FRENCH).text
    assert f"<dt>Limité</dt><dd>Jusqu’au {until}</dd>" in french

    answer = post(client, f"/admin/accounts/{pat}/unsilence", reason="calmer now", back="all")
    assert answer.headers["location"] == "/admin/accounts?status=all&done=unsilence"
    assert account(client, pat).silenced_at is None
    assert [(e.action, e.reason) for e in log(client)] == [
        ("silence", "rude"),
        ("unsilence", "calmer now"),
    ]
    page = client.get("/admin/accounts?status=all").text
    assert "<dt>Limited</dt>" not in page and f'action="/admin/accounts/{pat}/silence"' in page


def test_a_limit_without_a_length_lasts_until_lifted(client, people):
    sam = people["sam"]
    sign_in(client, "mo")
    assert post(client, f"/admin/accounts/{sam}/silence", reason="spammy").status_code == 303
    assert account(client, sam).silenced_until is None and log(client)[-1].ends_at is None
    page = client.get("/admin/accounts?status=all").text
    assert "<dt>Limited</dt><dd>Until the limit is lifted</dd>" in page


def test_media_made_sensitive_and_lifted(client, people):
    pat = people["pat"]
    db = client.app.state.db
    picture = factories.status(db, pat, "a picture", has_media=True)
    sign_in(client, "mo")
    refused = post(client, f"/admin/accounts/{pat}/sensitive", reason="", back="all")
    assert refused.status_code == 422 and "Please give a reason" in refused.text
    answer = post(client, f"/admin/accounts/{pat}/sensitive", reason="gore", back="all")
    assert answer.headers["location"] == "/admin/accounts?status=all&done=sensitive"
    assert account(client, pat).sensitized_at is not None
    assert status_row(client, picture).sensitive is True
    page = client.get(answer.headers["location"]).text
    assert "The account&#39;s media will be shown as sensitive." in page
    assert "<dt>Media</dt><dd>Shown as sensitive</dd>" in page
    assert f'action="/admin/accounts/{pat}/unsensitive"' in page
    assert (log(client)[-1].action, log(client)[-1].reason) == ("sensitive", "gore")

    assert post(client, f"/admin/accounts/{pat}/unsensitive", back="all").status_code == 303
    assert account(client, pat).sensitized_at is None
    assert status_row(client, picture).sensitive is False
    assert log(client)[-1].action == "unsensitive"
    assert "<dt>Media</dt>" not in client.get("/admin/accounts?status=all").text


def test_moderators_do_not_limit_staff(client, people, make_user):
    boss = make_user("boss", role="admin").account_id
    sign_in(client, "mo")
    refused = post(client, f"/admin/accounts/{boss}/silence", reason="coup")
    assert refused.status_code == 403 and "Only an admin" in refused.text
    refused = post(client, f"/admin/accounts/{boss}/sensitive", reason="coup")
    assert refused.status_code == 403
    assert account(client, boss).silenced_at is None and account(client, boss).sensitized_at is None


def test_the_reported_posts_are_removed_citing_a_rule(client, people):
    pat, sam = people["pat"], people["sam"]
    db = client.app.state.db
    rule = factories.rule(db, "No spam links")
    bad = db.run_sync(core_statuses.create, pat, core_statuses.StatusInput(text="buy now"))
    report_id = reported(client, sam, pat, [bad])
    sign_in(client, "mo")
    page = client.get("/admin/reports").text
    assert f'action="/admin/reports/{report_id}/remove_posts"' in page
    assert f'<label for="remove-rule-{report_id}">' in page
    assert f'<option value="{rule}">1. No spam links</option>' in page

    refused = post(client, f"/admin/reports/{report_id}/remove_posts", reason="spam")
    assert refused.status_code == 422 and "Please choose the rule broken" in refused.text
    refused = post(client, f"/admin/reports/{report_id}/remove_posts", rule_id=rule, reason=" ")
    assert refused.status_code == 422 and "Please give a reason" in refused.text
    assert status_row(client, bad) is not None and log(client) == []
    assert db.run_sync(reports.get, report_id).resolved_at is None

    answer = post(client, f"/admin/reports/{report_id}/remove_posts", rule_id=rule, reason="spam")
    assert answer.headers["location"] == "/admin/reports?status=open&done=remove_posts"
    assert status_row(client, bad) is None
    assert db.run_sync(reports.get, report_id).resolved_at is not None
    entries = [(e.action, e.target_account_id, e.rule_id, e.reason) for e in log(client)]
    assert ("delete_statuses", pat, rule, "spam") in entries
    assert "resolve_report" in [e[0] for e in entries]
    strike = db.run_sync(account_warnings.of_account, pat)[0]
    assert (strike.action, strike.report_id, [int(i) for i in strike.status_ids]) == (
        "delete_statuses",
        report_id,
        [bad],
    )
    page = client.get(answer.headers["location"]).text
    assert "The reported posts were removed and the report resolved." in page
    assert "No reports here." in page


def test_a_report_whose_posts_are_gone_says_so(client, people):
    pat, sam = people["pat"], people["sam"]
    db = client.app.state.db
    rule = factories.rule(db)
    gone = db.run_sync(core_statuses.create, pat, core_statuses.StatusInput(text="oops"))
    report_id = reported(client, sam, pat, [gone])
    from pnyx.core import status_deletion

    db.run_sync(status_deletion.delete, pat, gone)
    sign_in(client, "mo")
    refused = post(client, f"/admin/reports/{report_id}/remove_posts", rule_id=rule, reason="x")
    assert (
        refused.status_code == 422 and "None of the reported posts is still here." in refused.text
    )
    assert db.run_sync(reports.get, report_id).resolved_at is None
    assert post(
        client, "/admin/reports/12345/remove_posts", rule_id=rule, reason="x"
    ).status_code == (404)


def test_the_reported_posts_are_marked_sensitive(client, people):
    pat, sam = people["pat"], people["sam"]
    db = client.app.state.db
    picture = factories.status(db, pat, "look", has_media=True)
    report_id = reported(client, sam, pat, [picture])
    sign_in(client, "mia")
    refused = post(client, f"/admin/reports/{report_id}/mark_sensitive", reason="")
    assert refused.status_code == 422 and "Please give a reason" in refused.text
    assert status_row(client, picture).sensitive is False
    answer = post(client, f"/admin/reports/{report_id}/mark_sensitive", reason="graphic")
    assert answer.headers["location"] == "/admin/reports?status=open&done=mark_sensitive"
    assert status_row(client, picture).sensitive is True
    assert db.run_sync(reports.get, report_id).resolved_at is not None
    marked = [e for e in log(client) if e.action == "mark_statuses_as_sensitive"]
    assert [(e.target_account_id, e.actor_account_id, e.reason) for e in marked] == [
        (pat, people["mia"], "graphic")
    ]
    assert (
        "were marked sensitive and the report resolved"
        in client.get(answer.headers["location"]).text
    )


def test_a_report_without_posts_has_no_post_actions(client, people):
    report_id = reported(client, people["sam"], people["pat"], [])
    sign_in(client, "mo")
    page = client.get("/admin/reports").text
    assert f'action="/admin/reports/{report_id}/resolve"' in page
    assert f'action="/admin/reports/{report_id}/remove_posts"' not in page


def test_an_appeal_is_approved_by_another_moderator(client, people):
    pat = people["pat"]
    db = client.app.state.db
    rule = factories.rule(db, "No spam links")
    sign_in(client, "mo")
    suspended = post(client, f"/admin/accounts/{pat}/suspend", reason="spam", rule_id=rule)
    assert suspended.status_code == 303
    appeal_id = appeal(client, pat, "It was a joke between friends")

    # The moderator who suspended sees the appeal but may not decide it.
    page = client.get("/admin/appeals")
    assert page.status_code == 200
    assert "You took this action: another staff member decides its appeal." in page.text
    assert f'action="/admin/appeals/{appeal_id}/approve"' not in page.text
    refused = post(client, f"/admin/appeals/{appeal_id}/approve", reason="fine")
    assert refused.status_code == 403
    assert "Another staff member than the one who took the action" in refused.text
    assert 'role="alert"' in refused.text
    assert appeal_state(client, appeal_id) == "pending"
    assert account(client, pat).suspended_at is not None
    assert post(client, f"/admin/appeals/{appeal_id}/reject").status_code == 403
    assert appeal_state(client, appeal_id) == "pending"

    sign_in(client, "mia")
    page = client.get("/admin/appeals").text
    assert "@pat appeals: Suspension" in page
    assert "It was a joke between friends" in page
    assert "<dd>No spam links</dd>" in page and "<dd>spam</dd>" in page
    assert "by @mo" in page
    assert f'<label for="approve-reason-{appeal_id}">' in page
    answer = post(client, f"/admin/appeals/{appeal_id}/approve", reason="benefit of the doubt")
    assert answer.headers["location"] == "/admin/appeals?done=approve"
    assert appeal_state(client, appeal_id) == "approved"
    assert account(client, pat).suspended_at is None
    entries = [(e.action, e.target_account_id, e.actor_account_id) for e in log(client)]
    assert ("appeal_approved:suspend", pat, people["mia"]) in entries
    assert ("unsuspend", pat, people["mia"]) in entries
    page = client.get(answer.headers["location"]).text
    assert "The appeal was approved" in page
    assert "No appeals are waiting for a decision." in page

    again = post(client, f"/admin/appeals/{appeal_id}/reject")
    assert again.status_code == 422 and "This appeal has already been decided." in again.text
    gone = post(client, "/admin/appeals/12345/approve")
    assert gone.status_code == 404 and "This appeal is not here any more." in gone.text
    assert post(client, f"/admin/appeals/{appeal_id}/explode").status_code == 404


def test_a_rejected_appeal_keeps_the_limit(client, people):
    sam = people["sam"]
    sign_in(client, "mia")
    assert post(client, f"/admin/accounts/{sam}/silence", reason="flooding").status_code == 303
    appeal_id = appeal(client, sam)
    sign_in(client, "mo")
    page = client.get("/admin/appeals", headers=FRENCH).text
    assert "<h1>Appels</h1>" in page and "@sam fait appel : Compte limité" in page
    answer = post(client, f"/admin/appeals/{appeal_id}/reject", reason="still flooding")
    assert answer.headers["location"] == "/admin/appeals?done=reject"
    assert appeal_state(client, appeal_id) == "rejected"
    assert account(client, sam).silenced_at is not None
    last = log(client)[-1]
    assert (last.action, last.reason) == ("appeal_rejected:silence", "still flooding")


def test_only_staff_see_appeals(client, people):
    sign_in(client, "mo")
    rule = factories.rule(client.app.state.db)
    post(client, f"/admin/accounts/{people['pat']}/suspend", reason="spam", rule_id=rule)
    appeal_id = appeal(client, people["pat"])
    client.cookies.clear()
    assert client.get("/admin/appeals", follow_redirects=False).headers["location"] == (
        "/auth/sign_in"
    )
    sign_in(client, "sam")
    answer = client.get("/admin/appeals")
    assert answer.status_code == 403 and "only for the staff" in answer.text
    assert post(client, f"/admin/appeals/{appeal_id}/approve").status_code == 403
    assert appeal_state(client, appeal_id) == "pending"
    assert 'href="/admin/appeals"' not in client.get("/settings/profile").text
    sign_in(client, "mia")
    assert 'href="/admin/appeals" aria-current="page"' in client.get("/admin/appeals").text
    assert 'href="/admin/appeals"' in client.get("/admin/accounts").text
    forged = client.post(f"/admin/appeals/{appeal_id}/approve", data={"csrf_token": "forged"})
    assert forged.status_code == 403 and appeal_state(client, appeal_id) == "pending"


def test_the_new_strings_have_french_translations():
    """The appeals page's module (test_auth checks the admin templates, admin.py and auth.py)."""
    found = {
        m if isinstance(m, str) else m[0]
        for _line, m, _comments, _context in extract_from_file(
            "python", str(WEB / "admin_appeals.py"), keywords={"_": None, "N_": None}
        )
    }
    catalogs = []
    for path in sorted((WEB / "locale" / "fr" / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as fh:
            catalogs.append(read_po(fh, locale="fr"))
    assert len(found) > 5
    missing = [
        m for m in found if not any(c.get(m) is not None and c.get(m).string for c in catalogs)
    ]
    assert missing == []
