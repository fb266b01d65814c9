"""Web pages: notifications and follow requests.

Both read through the same core functions as the Mastodon API (`core.notification_queries`,
`core.relationships.pending_requests`) and show the API's own entities, so the page and an
app never disagree about what someone was told. Opening the first page of notifications moves
the "notifications" read marker (the one `/api/v1/markers` shares between apps) up to the
newest one shown, which is what resets the unread count; the notifications that were unread
until then are labelled "New" on that visit.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pnyx.core import follows, notification_queries
from pnyx.core import relationships as graph
from pnyx.core.errors import CoreError
from pnyx.db.ids import parse_id
from pnyx.edges.http import database
from pnyx.presenters import entities, notification_entities
from pnyx.web import label_badges
from pnyx.web.session import Visitor, csrf_ok, read_form, respond, see_other, visitor

PAGE_SIZE = 20
REQUESTS_PAGE = 40
SIGN_IN = "/auth/sign_in"


def _rendered(tx, found: notification_queries.NotificationPage) -> list[dict]:
    """Notification entities exactly as GET /api/v1/notifications builds them."""
    return [
        notification_entities.notification(
            row, found.accounts[row.from_account_id], found.bundle, tx.settings, tx.now, found
        )
        for row in found.rows
        if row.from_account_id in found.accounts
    ]


def _older_cursor(found: notification_queries.NotificationPage) -> int | None:
    """Where "Older" continues from: after a full page, or past notifications that were all
    hidden (core then points its cursors beyond them rather than at nothing)."""
    shown = [r.id for r in found.rows]
    if not found.cursor_ids:
        return None
    if len(shown) >= PAGE_SIZE or found.cursor_ids != shown:
        return found.cursor_ids[-1]
    return None


def _last_read(tx, account_id: int) -> int | None:
    marker = notification_queries.get_markers(tx, account_id, ["notifications"]).get(
        "notifications"
    )
    return marker.last_read_id if marker is not None else None


async def notifications_page(request: Request) -> Response:
    who = await visitor(request)
    if who.user is None:
        return see_other(SIGN_IN)
    account_id = who.account_id
    max_id = parse_id(request.query_params.get("max_id"))

    def work(tx):
        found = notification_queries.list_page(tx, account_id, max_id=max_id, limit=PAGE_SIZE)
        newest = max((r.id for r in found.rows), default=None)
        requests = follows.follow_requests_count(tx, account_id)
        items = _rendered(tx, found)
        posts = [n["status"] for n in items if n.get("status")]
        # A notification is about its post: a hiding label shows it behind the warning.
        label_badges.with_labels(tx, posts, account_id, opened=[p["id"] for p in posts])
        return (
            items,
            _older_cursor(found),
            _last_read(tx, account_id),
            newest,
            requests,
        )

    def mark_read(tx, newest: int) -> None:
        # A marker never moves backwards: another app may have read further meanwhile.
        current = _last_read(tx, account_id)
        if current is None or newest > current:
            notification_queries.save_markers(tx, account_id, {"notifications": newest})

    db = database(request)
    items, older, last_read, newest, requests = await db.read(work)
    # Only the first page marks as read; a write only when there is something new.
    if max_id is None and newest is not None and (last_read is None or newest > last_read):
        await db.write(mark_read, newest)
    shown: set[str] = set()
    for item in items:
        item["unread"] = last_read is None or int(item["id"]) > last_read
        # A post shown twice on one page would repeat its element ids: link to it instead.
        status = item.get("status")
        item["repeat"] = status is not None and status["id"] in shown
        if status is not None:
            shown.add(status["id"])
    return respond(
        request,
        who,
        "site/notifications.html",
        notifications=items,
        follow_requests_count=requests,
        # The posts' forms bring the reader back to this very page.
        return_to=f"/notifications?{urlencode({'max_id': max_id})}" if max_id else "/notifications",
        older_url=f"/notifications?{urlencode({'max_id': older})}" if older else None,
    )


# --- Follow requests ----------------------------------------------------------------------


async def _requests_response(
    request: Request, who: Visitor, *, status: int = 200, error: str | None = None
) -> Response:
    account_id = who.account_id
    max_id = parse_id(request.query_params.get("max_id"))

    def work(tx):
        rows = graph.pending_requests(tx, account_id, max_id=max_id, limit=REQUESTS_PAGE)
        return [entities.account(r, tx.settings) for r in rows], [r.cursor_id for r in rows]

    accounts, cursors = await database(request).read(work)
    older = cursors[-1] if len(cursors) >= REQUESTS_PAGE else None
    done = request.query_params.get("done")
    return respond(
        request,
        who,
        "site/follow_requests.html",
        status=status,
        requests=accounts,
        error=error,
        done=done if done in ("authorized", "rejected") else None,
        older_url=f"/follow_requests?{urlencode({'max_id': older})}" if older else None,
    )


async def follow_requests_page(request: Request) -> Response:
    who = await visitor(request)
    if who.user is None:
        return see_other(SIGN_IN)
    return await _requests_response(request, who)


def _answer(action: str):
    """POST /follow_requests/{id}/authorize|reject: the signed-in account answers a request
    from account `id`, as POST /api/v1/follow_requests/{id}/authorize|reject does."""
    decide = follows.authorize_request if action == "authorize" else follows.reject_request

    async def handler(request: Request) -> Response:
        who = await visitor(request)
        if who.user is None:
            return see_other(SIGN_IN)
        form = await read_form(request)
        if not csrf_ok(request, form):
            return await _requests_response(request, who, status=403, error="csrf")
        requester_id = request.path_params["id"]
        account_id = who.account_id
        try:
            await database(request).write(lambda tx: decide(tx, account_id, requester_id))
        except CoreError as exc:
            return await _requests_response(request, who, status=exc.status, error="gone")
        done = "authorized" if action == "authorize" else "rejected"
        return see_other(f"/follow_requests?done={done}")

    return handler


routes = [
    Route("/notifications", notifications_page, methods=["GET"]),
    Route("/follow_requests", follow_requests_page, methods=["GET"]),
    Route("/follow_requests/{id:int}/authorize", _answer("authorize"), methods=["POST"]),
    Route("/follow_requests/{id:int}/reject", _answer("reject"), methods=["POST"]),
]
