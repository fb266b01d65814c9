"""The public moderation log page (`/moderation`): anyone reads what the staff did, under which
rule and why, filters it by action or rule, and sees it in numbers (charts whose numbers are
also text); never what only the staff may see. In French too."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from pnyx.core import accounts, domain_blocks, moderation, moderation_log
from pnyx.web import moderation_page

WEB = Path(moderation_page.__file__).parent
FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}


@pytest.fixture
def acted(app):
    """An admin warned and suspended someone under a rule and lifted it, turned a sign-up
    away, and blocked a server with a private comment."""
    db = app.state.db

    def people(tx):
        found = {}
        for name, role in (("ada", "admin"), ("uma", "user")):
            account_id, _ = accounts.create_local(
                tx, name, f"{name}@example.com", "correct horse battery", role=role
            )
            found[name] = (accounts.user_for_account(tx, account_id), account_id)
        found["hopeful"] = accounts.create_local(
            tx, "hopeful", "hopeful@example.com", "correct horse battery", approved=False
        )[0]
        return found

    found = db.run_sync(people)
    ada = moderation.staff_member(found["ada"][0])
    uma = found["uma"][1]
    rule = db.run_sync(moderation.add_rule, ada, "No advertising")
    db.run_sync(
        lambda tx: moderation_log.record(
            tx, "warn", uma, ada.account_id, "Ads in every post", rule_id=rule
        )
    )
    db.run_sync(moderation.suspend, ada, uma, "Ads again", rule)
    db.run_sync(moderation.unsuspend, ada, uma, "Promised to stop")
    db.run_sync(moderation.reject, ada, found["hopeful"], "Wrote only a link")
    db.run_sync(
        moderation.block_domain,
        ada,
        "spam.example",
        domain_blocks.BlockInput(
            severity="suspend", public_comment="Spam", private_comment="ticket 7"
        ),
    )
    return rule


def test_anyone_reads_the_log_and_its_numbers(client, acted):
    page = client.get("/moderation")
    assert page.status_code == 200
    html = page.text
    for shown in (
        "Moderation log",
        "Warning",
        "Suspension",
        "Suspension lifted",
        "Sign-up turned away",
        "Server blocked",
        "spam.example",
        "@uma",
        "No advertising",
        "Ads in every post",
        "Promised to stop",
        "Wrote only a link",
        "Spam",
    ):
        assert shown in html, shown
    for hidden in ("hopeful", "ticket 7", "ada"):
        assert hidden not in html, hidden
    # The numbers: 6 public actions (the rule added, the warning, the suspension and its
    # lifting, the sign-up, the block), 1 reversal; every count is text in the charts'
    # descriptions.
    assert "6 actions in all, of which 1 lifted an earlier suspension, limit or block." in html
    descriptions = re.findall(r'<desc id="([^"]+)">([^<]*)</desc>', html)
    assert {d[0] for d in descriptions} == {"per-month-desc", "per-rule-desc"}
    per_rule = dict(descriptions)["per-rule-desc"]
    assert "No advertising: 2" in per_rule and "No rule cited: 4" in per_rule
    per_month = dict(descriptions)["per-month-desc"]
    assert per_month.count(": ") == 12 and per_month.endswith(": 6")


def test_the_log_is_filtered_by_action_and_by_rule(client, acted):
    by_action = client.get("/moderation", params={"action": "suspend"}).text
    assert "Ads again" in by_action and "Promised to stop" not in by_action
    by_rule = client.get("/moderation", params={"rule_id": str(acted)}).text
    assert "Ads in every post" in by_rule and "Ads again" in by_rule
    assert "Promised to stop" not in by_rule  # the lifting cites no rule
    assert f'<option value="{acted}" selected>No advertising</option>' in by_rule
    nothing = client.get("/moderation", params={"rule_id": "not-a-rule"})
    assert nothing.status_code == 200 and "Ads in every post" not in nothing.text


def test_the_about_page_links_to_the_log(client):
    assert 'href="/moderation"' in client.get("/about").text


def test_the_log_in_french(client, acted):
    html = client.get("/moderation", headers=FRENCH).text
    assert "Journal de modération" in html and "Suspension levée" in html


PAGES = ("moderation.html", "strike.html", "strikes.html", "_strike_macros.html", "layout.html")
MODULES = ("moderation_page.py", "strike_pages.py")


def test_every_string_of_the_log_and_strike_pages_has_a_french_translation():
    found: set[str] = set()
    for page in PAGES:
        for _line, message, _comments, _context in extract_from_file(
            "jinja2.ext.babel_extract",
            str(WEB / "templates" / "site" / page),
            keywords={"_": None, "ngettext": (1, 2)},
            options={"extensions": "jinja2.ext.i18n", "trim_blocks": "true"},
        ):
            found.add(message if isinstance(message, str) else message[0])
    for module in MODULES:
        for _line, message, _comments, _context in extract_from_file(
            "python", str(WEB / module), keywords={"_": None, "N_": None}
        ):
            found.add(message if isinstance(message, str) else message[0])
    assert len(found) > 60
    catalogs = []
    for po in sorted((WEB / "locale" / "fr" / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as fh:
            catalogs.append(read_po(fh, locale="fr"))
    assert sorted(m for m in found if not any(c.get(m) and c.get(m).string for c in catalogs)) == []
