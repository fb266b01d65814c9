"""The public moderation log as a page (`/moderation`): every action the staff took, newest
first, filterable by action and by the rule it cited, with the log in numbers (actions per
month and per rule, reversals) drawn as charts whose numbers are also text. Anyone may read
it; what it shows is decided in `core.moderation_log`."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pnyx.core import moderation_log
from pnyx.core.paging import Page
from pnyx.db.ids import parse_id
from pnyx.edges.http import database
from pnyx.web import bar_chart
from pnyx.web.i18n import gettext_for
from pnyx.web.session import respond, visitor

PAGE_SIZE = 40


def action_labels(_) -> dict[str, str]:
    """What the page calls each action (others show their code, e.g. `instance:title`)."""
    return {
        "suspend": _("Suspension"),
        "unsuspend": _("Suspension lifted"),
        "warn": _("Warning"),
        "approve": _("Sign-up approved"),
        "reject": _("Sign-up turned away"),
        "erase": _("Account data erased"),
        "resolve_report": _("Report resolved"),
        "reopen_report": _("Report reopened"),
        "domain_block:suspend": _("Server blocked"),
        "domain_block:silence": _("Server limited"),
        "domain_block:noop": _("Server noted"),
        "domain_block_update:suspend": _("Server block changed to blocked"),
        "domain_block_update:silence": _("Server block changed to limited"),
        "domain_block_update:noop": _("Server block changed to noted"),
        "domain_unblock": _("Server block lifted"),
        "rule:add": _("Rule added"),
        "rule:remove": _("Rule removed"),
        "silence": _("Account limited"),
        "unsilence": _("Limit lifted"),
        "sensitive": _("Media marked sensitive"),
        "unsensitive": _("Sensitive media lifted"),
        "delete_statuses": _("Posts removed"),
        "mark_statuses_as_sensitive": _("Posts marked sensitive"),
        "unmark_statuses_as_sensitive": _("Posts no longer marked sensitive"),
        "remove_from_trends": _("Post taken out of the trends"),
        "restore_to_trends": _("Post allowed to trend again"),
    }


def label_of(action: str, labels: dict[str, str], _) -> str:
    if action in labels:
        return labels[action]
    if action.startswith("set_role:"):
        return _("Role set to %(role)s", role=action.split(":", 1)[1])
    if action.startswith("instance:"):
        return _("Instance setting changed: %(name)s", name=action.split(":", 1)[1])
    kind, _sep, of = action.partition(":")
    if kind == "label" and of:
        return _("Labeled: %(label)s", label=of)
    if kind == "unlabel" and of:
        return _("Label taken back: %(label)s", label=of)
    if kind in ("appeal", "appeal_approved", "appeal_rejected") and of:
        what = labels.get(of if of != "none" else "warn", of)
        if of == "label":
            what = _("Label")
        if kind == "appeal":
            return _("Appeal: %(action)s", action=what)
        if kind == "appeal_approved":
            return _("Appeal approved: %(action)s", action=what)
        return _("Appeal rejected: %(action)s", action=what)
    return action


async def moderation(request: Request) -> Response:
    who = await visitor(request)
    _ = gettext_for(who.language)
    # No action has a NUL in it, and PostgreSQL refuses one in text: NULs are dropped.
    action = (request.query_params.get("action") or "").strip()[:64].replace("\x00", "") or None
    rule_param = (request.query_params.get("rule_id") or "")[:32]
    rule_id = moderation_log.rule_filter(rule_param)
    max_id = parse_id(request.query_params.get("max_id"))
    page = Page(max_id=max_id, limit=PAGE_SIZE)

    def work(tx):
        entries = moderation_log.public_entries(tx, page, action=action, rule_id=rule_id)
        return (
            entries,
            moderation_log.summary(tx),
            moderation_log.public_actions(tx),
            moderation_log.cited_rules(tx),
        )

    entries, numbers, actions, rules = await database(request).read(work)
    labels = action_labels(_)
    older = None
    if len(entries) == PAGE_SIZE:
        query = {k: v for k, v in (("action", action), ("rule_id", rule_param)) if v}
        older = "/moderation?" + urlencode({**query, "max_id": entries[-1].id})
    no_rule = _("No rule cited")
    return respond(
        request,
        who,
        "site/moderation.html",
        entries=[(e, label_of(e.action, labels, _)) for e in entries],
        numbers=numbers,
        per_month=bar_chart.chart(numbers.per_month),
        per_rule=bar_chart.chart([(text or no_rule, n) for text, n in numbers.per_rule]),
        actions=[(a, label_of(a, labels, _)) for a in actions],
        rules=rules,
        chosen_action=action or "",
        chosen_rule=rule_param,
        older=older,
    )


routes = [Route("/moderation", moderation, methods=["GET"])]
