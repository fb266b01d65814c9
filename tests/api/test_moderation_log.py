"""The public moderation log (`GET /api/v1/pnyx/moderation_log`): every action the staff take,
readable by anyone, with its rule, reason and the acting role; never what only the staff may
see (a rejected sign-up's name, a block's private comment, the staff's bookkeeping)."""

from __future__ import annotations

import pytest

import factories
from pnyx.core import accounts, domain_blocks, moderation, moderation_log
from pnyx.core.errors import Invalid

PATH = "/api/v1/pnyx/moderation_log"


@pytest.fixture
def staff(app):
    """An admin and a moderator, as the Moderators core's actions take, and a member."""

    def work(tx):
        found = {}
        for name, role in (("ada", "admin"), ("moe", "moderator"), ("uma", "user")):
            account_id, _ = accounts.create_local(
                tx, name, f"{name}@example.com", "correct horse battery", role=role
            )
            user = accounts.user_for_account(tx, account_id)
            found[name] = (
                moderation.staff_member(user) if role != "user" else None,
                account_id,
            )
        return found

    return app.state.db.run_sync(work)


def test_anyone_reads_what_the_staff_did_and_why(app, client, staff):
    db = app.state.db
    (ada, _), (moe, _), (_, uma) = staff["ada"], staff["moe"], staff["uma"]
    rule = db.run_sync(moderation.add_rule, ada, "No spam")
    db.run_sync(moderation.suspend, moe, uma, "Spam, again", rule)
    db.run_sync(moderation.unsuspend, ada, uma, "Appeal heard")

    answer = client.get(PATH)  # no token: the log is public
    assert answer.status_code == 200
    entries = answer.json()
    assert [(e["action"], e["actor_role"], e["reason"]) for e in entries] == [
        ("unsuspend", "admin", "Appeal heard"),
        ("suspend", "moderator", "Spam, again"),
        ("rule:add", "admin", "No spam"),
    ]
    assert entries[1]["target"] == {
        "type": "account",
        "account": {"id": str(uma), "acct": "uma", "url": entries[1]["target"]["account"]["url"]},
    }
    assert entries[1]["rule"] == {"id": str(rule), "text": "No spam"}
    assert entries[1]["ends_at"] is None
    assert entries[1]["created_at"].endswith("Z")
    # Who acted is the role, not the person.
    assert "ada" not in answer.text and "moe" not in answer.text


def test_what_only_the_staff_may_see_stays_out(app, client, staff):
    db = app.state.db
    ada = staff["ada"][0]

    def pending(tx):
        return accounts.create_local(
            tx, "hopeful", "hopeful@example.com", "correct horse battery", approved=False
        )[0]

    applicant = db.run_sync(pending)
    db.run_sync(moderation.reject, ada, applicant, "Answered nothing about the rules")
    db.run_sync(
        moderation.block_domain,
        ada,
        "spam.example",
        domain_blocks.BlockInput(
            severity="suspend", public_comment="Spam", private_comment="ticket 7, from kim"
        ),
    )
    db.run_sync(
        moderation.block_domain,
        ada,
        "hidden.example",
        domain_blocks.BlockInput(severity="silence", obfuscate=True),
    )
    db.run_sync(moderation.create_invite, ada)
    answer = client.get(PATH)
    entries = {e["action"]: e for e in answer.json()}
    assert set(entries) == {"reject", "domain_block:suspend", "domain_block:silence"}
    assert entries["reject"]["target"] == {"type": "sign_up"}
    assert entries["reject"]["reason"] == "Answered nothing about the rules"
    assert entries["domain_block:suspend"]["target"] == {"type": "domain", "domain": "spam.example"}
    assert entries["domain_block:suspend"]["reason"] == "Spam"
    shown = entries["domain_block:silence"]["target"]["domain"]
    assert shown != "hidden.example" and "*" in shown
    for secret in ("hopeful", "ticket 7", "kim", "hidden.example", "invite"):
        assert secret not in answer.text
    # The staff's own view keeps all of it.
    from pnyx.core import staff as staff_views

    kept = {e.action: e for e in db.run_sync(staff_views.recent_actions)}
    assert kept["reject"].target_name == "hopeful"
    assert kept["domain_block:suspend"].private_note == "ticket 7, from kim"


def test_an_entry_cites_a_rule_as_it_read_then(app, client, staff):
    db = app.state.db
    ada, uma = staff["ada"][0], staff["uma"][1]
    rule = db.run_sync(moderation.add_rule, ada, "No spam")
    other = db.run_sync(moderation.add_rule, ada, "Be kind")
    db.run_sync(
        lambda tx: moderation_log.record(
            tx, "warn", uma, ada.account_id, "Three ads in a day", rule_id=rule
        )
    )
    db.run_sync(moderation.remove_rule, ada, rule)  # the entry still says what it cited
    with pytest.raises(Invalid):
        db.run_sync(
            lambda tx: moderation_log.record(tx, "warn", uma, ada.account_id, "", rule_id=rule)
        )
    [cited] = client.get(PATH, params={"rule_id": str(rule)}).json()
    assert cited["rule"] == {"id": str(rule), "text": "No spam"}
    assert cited["reason"] == "Three ads in a day"
    assert client.get(PATH, params={"rule_id": str(other)}).json() == []
    assert client.get(PATH, params={"rule_id": "nonsense"}).json() == []
    actions = [e["action"] for e in client.get(PATH).json()]
    assert actions == ["rule:remove", "warn", "rule:add", "rule:add"]  # rule changes are public


def test_pages_with_link_headers_and_one_action(app, client, staff):
    db = app.state.db
    moe, uma = staff["moe"][0], staff["uma"][1]
    rule = factories.rule(db)
    for n in range(3):
        db.run_sync(moderation.suspend, moe, uma, f"round {n}", rule)
        db.run_sync(moderation.unsuspend, moe, uma, "")
    first = client.get(PATH, params={"limit": 2, "action": "suspend"})
    assert [e["reason"] for e in first.json()] == ["round 2", "round 1"]
    assert 'rel="next"' in first.headers["Link"]
    next_url = first.headers["Link"].split(";")[0].strip("<>")
    assert [e["reason"] for e in client.get(next_url).json()] == ["round 0"]
    assert client.get(PATH, params={"limit": "many"}).status_code == 422
