"""The ActivityPub documents other servers fetch: actors, statuses, their Create activities,
and the followers / following / outbox / featured collections.

One address serves two audiences. A server asks for `application/activity+json` (or
`application/ld+json`, or plain `application/json` as Mastodon also answers) and gets the
document; a browser gets sent to the web page. Responses say `Vary: Accept` so that caches
keep the two apart.

What is served to whom:
- public and unlisted statuses to anyone; followers-only and direct ones only to a signed
  request whose signer may see them (`core.visibility`), and otherwise 404 — never 401 or 403,
  which would tell a stranger that something is there;
- a suspended account's actor and collections answer 410 Gone: its profile must not be shown,
  and 410 tells fetchers the actor is unavailable (unlike WebFinger, see discovery.py, an actor
  fetch answered 410 does not make Mastodon delete its copy). Its statuses answer 404, as for
  everyone else who may not see them;
- with `authorized_fetch` on, every document here except the instance actor needs a request
  signed by a known actor (401 otherwise); the account actor is still served unsigned, reduced
  to what a server needs to check that account's signatures (Mastodon does the same, so
  that two servers in this mode can still fetch each other's keys).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import orjson
import sqlalchemy as sa
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pnyx.api.http import database
from pnyx.config import Settings
from pnyx.core import accounts as core_accounts
from pnyx.core import keys, tombstones, uris
from pnyx.core import visibility as core_visibility
from pnyx.db.id_lists import in_ids
from pnyx.db.ids import parse_id
from pnyx.db.tables import (
    accounts,
    follows,
    mentions,
    polls,
    status_pins,
    status_tags,
    statuses,
    tags,
)
from pnyx.federation import authentication, internal_to_as2

AP_MEDIA_TYPE = "application/activity+json; charset=utf-8"
# Media types that ask for the ActivityPub document. Rails, under Mastodon, maps plain
# application/json to the same format, and some fetchers only send that.
AP_ACCEPT = frozenset({"application/activity+json", "application/ld+json", "application/json"})
FOLLOWS_PER_PAGE = 40  # as Mastodon
OUTBOX_PAGE = 20
PUBLIC_CACHE = "max-age=180, public"
PRIVATE_CACHE = "max-age=0, private"
# What an unsigned request gets of an actor in authorized-fetch mode (Mastodon's same list).
MINIMAL_ACTOR_KEYS = (
    "@context",
    "id",
    "type",
    "preferredUsername",
    "inbox",
    "publicKey",
    "endpoints",
)


# --- responses --------------------------------------------------------------------------------


def wants_activitypub(request: Request) -> bool:
    """Whether the Accept header asks for an ActivityPub document (any AP media type with a
    non-zero quality; parameters such as `profile` do not matter)."""
    for item in request.headers.get("accept", "").split(","):
        media, *params = item.split(";")
        if media.strip().lower() not in AP_ACCEPT:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value.strip())
                except ValueError:
                    quality = 1.0
        if quality > 0:
            return True
    return False


def document(body: dict, *, cacheable: bool) -> Response:
    """An ActivityPub document. Only what anyone may see is marked cacheable by shared caches."""
    return Response(
        orjson.dumps(body),
        media_type=AP_MEDIA_TYPE,
        headers={"Vary": "Accept", "Cache-Control": PUBLIC_CACHE if cacheable else PRIVATE_CACHE},
    )


def ap_error(status: int, message: str) -> Response:
    return Response(
        orjson.dumps({"error": message}),
        status_code=status,
        media_type="application/json",
        headers={"Vary": "Accept", "Cache-Control": PRIVATE_CACHE},
    )


def plain_error(status: int, message: str) -> Response:
    return Response(
        message, status_code=status, media_type="text/plain", headers={"Vary": "Accept"}
    )


def not_found(ap: bool = True) -> Response:
    return ap_error(404, "Record not found") if ap else plain_error(404, "Not Found")


def gone() -> Response:
    return ap_error(410, "Gone")


async def _missing_status(request: Request, status_id: int | None, *, ap: bool) -> Response:
    """A local post deleted here answers 410 Gone (with its Tombstone for servers); a post
    that never was (or is not for this asker) answers 404."""
    deleted = None
    if status_id is not None:
        uri = uris.status_uri(_settings(request), request.path_params["username"], status_id)
        deleted = await database(request).read(tombstones.deleted_at, uri)
    if deleted is None:
        return not_found(ap)
    if not ap:
        return plain_error(410, "Gone")
    body = orjson.dumps(internal_to_as2.tombstone(uri, deleted))
    headers = {"Vary": "Accept", "Cache-Control": PRIVATE_CACHE}
    return Response(body, status_code=410, media_type=AP_MEDIA_TYPE, headers=headers)


def unsigned() -> Response:
    return ap_error(401, "Request not signed")


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _cacheable(request: Request) -> bool:
    """In authorized-fetch mode answers depend on who signed: no shared cache may keep them."""
    return not _settings(request).authorized_fetch


# --- who is asking ----------------------------------------------------------------------------


def _request_target(request: Request) -> str:
    """The path and query exactly as the client sent them: what its signature covers."""
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if raw else request.url.path
    query = request.scope.get("query_string", b"")
    return path + ("?" + query.decode("latin-1") if query else "")


async def signer(request: Request):
    """The remote account that signed this request, or None when it is unsigned or its
    signature does not verify. An unknown key is fetched once (authentication.authenticate)."""
    if not authentication.is_signed(request.headers):
        return None
    try:
        return await authentication.authenticate(
            database(request),
            _settings(request),
            request.method,
            _request_target(request),
            request.headers,
            b"",
        )
    except authentication.Unauthenticated:
        return None


# --- reading ----------------------------------------------------------------------------------


USERNAME = re.compile(r"[A-Za-z0-9_]{1,64}")


def local_account(tx, username: str):
    """A local account by name (any case), with the uri of the account it moved to; None when
    unknown or a sign-up still waiting for approval. Suspended accounts are returned."""
    if not USERNAME.fullmatch(username):
        return None  # not a name we could have given (and no NUL for PostgreSQL to choke on)
    moved = accounts.alias("moved")
    return tx.one_or_none(
        sa.select(accounts, moved.c.uri.label("moved_to_uri"))
        .outerjoin(moved, moved.c.id == accounts.c.moved_to_account_id)
        .where(
            sa.func.lower(accounts.c.username) == username.lower(),
            accounts.c.domain.is_(None),
            ~core_accounts.pending(),
        )
    )


def _local_account_with_key(tx, username: str):
    """The same row, after making the account's key pair if it had none yet."""
    row = local_account(tx, username)
    if row is not None and not row.public_key_pem:
        keys.ensure_keypair(tx, row.id)
        row = local_account(tx, username)
    return row


@dataclass
class StatusDocument:
    """A status and everything its Note needs besides the author."""

    status: object
    mentions: list
    tags: list[str]
    poll: object | None
    in_reply_to_uri: str | None


def load_status_documents(tx, status_ids: list[int]) -> dict[int, StatusDocument]:
    """The statuses with these ids and what their Notes need, in four queries however many."""
    ids = list(dict.fromkeys(status_ids))
    if not ids:
        return {}
    params = {"ids": ids}
    parent = statuses.alias("parent")
    status_rows = tx.execute(
        sa.select(statuses, parent.c.uri.label("parent_uri"))
        .outerjoin(parent, parent.c.id == statuses.c.in_reply_to_id)
        .where(in_ids(statuses.c.id, "ids")),
        params,
    )
    found = {
        row.id: StatusDocument(row, [], [], None, row.parent_uri or row.in_reply_to_uri)
        for row in status_rows
    }
    if not found:
        return {}
    mention_rows = tx.execute(
        sa.select(
            mentions.c.status_id,
            accounts.c.id,
            accounts.c.username,
            accounts.c.domain,
            accounts.c.uri,
            accounts.c.url,
        )
        .join(accounts, accounts.c.id == mentions.c.account_id)
        # Silent mentions are bookkeeping, not addressing: Mastodon leaves them out too.
        .where(in_ids(mentions.c.status_id, "ids"), mentions.c.silent.is_(False))
        .order_by(mentions.c.id),
        params,
    )
    for row in mention_rows:
        found[row.status_id].mentions.append(row)
    tag_rows = tx.execute(
        sa.select(status_tags.c.status_id, tags.c.name, tags.c.display_name)
        .join(tags, tags.c.id == status_tags.c.tag_id)
        .where(in_ids(status_tags.c.status_id, "ids"))
        .order_by(tags.c.name),
        params,
    )
    for row in tag_rows:
        found[row.status_id].tags.append(row.display_name or row.name)
    for row in tx.execute(sa.select(polls).where(in_ids(polls.c.status_id, "ids")), params):
        found[row.status_id].poll = row
    return found


def _status_of(tx, username: str, status_id: int):
    """(author, StatusDocument) for a status of this local account that is a post (not a
    boost) by an author who is not suspended; None otherwise."""
    author = local_account(tx, username)
    if author is None or author.suspended_at is not None:
        return None
    doc = load_status_documents(tx, [status_id]).get(status_id)
    if doc is None or doc.status.account_id != author.id or doc.status.reblog_of_id is not None:
        return None
    return author, doc


def note_of(author, doc: StatusDocument, settings: Settings) -> dict:
    return internal_to_as2.note(
        doc.status,
        author,
        settings,
        mentions=doc.mentions,
        tags=doc.tags,
        poll=doc.poll,
        in_reply_to_uri=doc.in_reply_to_uri,
    )


# --- actors -----------------------------------------------------------------------------------


async def _actor_response(request: Request, username: str) -> Response:
    db = database(request)
    settings = _settings(request)
    row = await db.read(local_account, username)
    if row is None:
        return not_found()
    if row.suspended_at is not None:
        return gone()
    if not row.public_key_pem:
        row = await db.write(_local_account_with_key, username)
    full = internal_to_as2.actor(row, settings, moved_to_uri=row.moved_to_uri)
    if not settings.authorized_fetch:
        return document(full, cacheable=True)
    who = await signer(request)
    if who is None or await db.read(core_visibility.blocked_either_way, row.id, who.id):
        minimal = {key: full[key] for key in MINIMAL_ACTOR_KEYS if key in full}
        return document(minimal, cacheable=False)
    return document(full, cacheable=False)


async def actor(request: Request) -> Response:
    username = request.path_params["username"]
    if wants_activitypub(request):
        return await _actor_response(request, username)
    row = await database(request).read(local_account, username)
    if row is None or row.suspended_at is not None:
        return not_found(ap=False)
    url = row.url or uris.account_url(_settings(request), row.username)
    return RedirectResponse(url, status_code=302, headers={"Vary": "Accept"})


async def profile(request: Request) -> Response:
    """`/@name`: the actor for servers (Mastodon answers there too); the web profile page for
    browsers (also `/@name@host` for accounts elsewhere)."""
    if not wants_activitypub(request):
        from pnyx.web import profiles as web_profiles  # late: no import cycle with web

        return await web_profiles.profile_page(request)
    return await _actor_response(request, request.path_params["username"])


async def instance_actor(request: Request) -> Response:
    """The server's own actor: it signs fetches made for no one in particular. Served to
    everyone in every mode, since checking its signatures needs its key."""
    pem = getattr(request.app.state, "instance_public_key_pem", None)
    if pem is None:
        pair = await database(request).write(keys.instance_keypair)
        pem = pair.public_pem
        request.app.state.instance_public_key_pem = pem  # a key pair never changes by itself
    return document(internal_to_as2.instance_actor(_settings(request), pem), cacheable=True)


# --- statuses ---------------------------------------------------------------------------------


async def _status_response(request: Request, *, activity: bool) -> Response:
    db = database(request)
    settings = _settings(request)
    status_id = parse_id(str(request.path_params["id"]))
    if status_id is None:
        return not_found()
    who = None
    if settings.authorized_fetch:
        who = await signer(request)
        if who is None:
            return unsigned()
    found = await db.read(_status_of, request.path_params["username"], status_id)
    if found is None:
        return await _missing_status(request, status_id, ap=True)
    author, doc = found
    public = doc.status.visibility in core_visibility.PUBLIC_VISIBILITIES
    if not public and who is None:
        who = await signer(request)
    # The same rule as every other surface, for the signer or for anyone (no signature).
    if not await db.read(core_visibility.may_see_one, who.id if who else None, doc.status):
        return not_found()
    body = note_of(author, doc, settings)
    if activity:
        body = internal_to_as2.create(body, actor_uri=author.uri)
    return document(body, cacheable=public and _cacheable(request))


async def status(request: Request) -> Response:
    if wants_activitypub(request):
        return await _status_response(request, activity=False)
    # A browser: send it to the web page of a post anyone may see (nothing for others).
    status_id = parse_id(str(request.path_params["id"]))
    found = None
    if status_id is not None:
        found = await database(request).read(_status_of, request.path_params["username"], status_id)
    if found is None:
        return await _missing_status(request, status_id, ap=False)
    if found[1].status.visibility not in core_visibility.PUBLIC_VISIBILITIES:
        return not_found(ap=False)
    author, doc = found
    settings = _settings(request)
    url = doc.status.url or uris.status_url(settings, author.username, doc.status.id)
    return RedirectResponse(url, status_code=302, headers={"Vary": "Accept"})


async def status_page(request: Request) -> Response:
    """`/@name/id`: the Note for servers; the post's web page (with its thread) for browsers,
    which also serves the profile tabs (`/@name/followers` ...)."""
    if not wants_activitypub(request):
        from pnyx.web import statuses as web_statuses  # late: no import cycle with web

        return await web_statuses.post_page(request)
    return await _status_response(request, activity=False)


async def status_activity(request: Request) -> Response:
    """The Create that published a status (no web page: always the document)."""
    return await _status_response(request, activity=True)


# --- collections ------------------------------------------------------------------------------


async def _collection_owner(request: Request):
    """(account row, None) when the collection may be served, or (None, error response)."""
    if _settings(request).authorized_fetch and await signer(request) is None:
        return None, unsigned()
    row = await database(request).read(local_account, request.path_params["username"])
    if row is None:
        return None, not_found()
    if row.suspended_at is not None:
        return None, gone()
    return row, None


def _page_number(value: str | None) -> int:
    """`?page=N`, 1-based; anything unreadable is the first page, as Mastodon's pager does."""
    try:
        number = int(value or "1")
    except ValueError:
        return 1
    return min(max(number, 1), 1_000_000)


def _follow_page(tx, account_id: int, kind: str, page: int) -> tuple[list[str], bool]:
    """Actor uris on one page of followers (kind "followers") or following, newest first,
    and whether another page follows. Suspended and pending accounts are left out."""
    if kind == "followers":
        mine, theirs = follows.c.target_account_id, follows.c.account_id
    else:
        mine, theirs = follows.c.account_id, follows.c.target_account_id
    rows = tx.scalars(
        sa.select(accounts.c.uri)
        .select_from(follows.join(accounts, accounts.c.id == theirs))
        .where(
            mine == account_id,
            accounts.c.suspended_at.is_(None),
            ~core_accounts.pending(),
        )
        .order_by(follows.c.id.desc())
        .offset((page - 1) * FOLLOWS_PER_PAGE)
        .limit(FOLLOWS_PER_PAGE + 1)
    )
    return rows[:FOLLOWS_PER_PAGE], len(rows) > FOLLOWS_PER_PAGE


async def _follow_collection(request: Request, kind: str) -> Response:
    row, error = await _collection_owner(request)
    if error is not None:
        return error
    if kind == "followers":
        url = row.followers_url or f"{row.uri}/followers"
        total = row.followers_count
    else:
        url = row.following_url or f"{row.uri}/following"
        total = row.following_count
    cacheable = _cacheable(request)
    page = request.query_params.get("page")
    if page is None or page == "":
        if row.hide_collections:
            # The count stays public (Mastodon shows it); who is in the list does not.
            return document(
                internal_to_as2.ordered_collection(url, total=total), cacheable=cacheable
            )
        body = internal_to_as2.ordered_collection(url, total=total, first=f"{url}?page=1")
        return document(body, cacheable=cacheable)
    if row.hide_collections:
        return ap_error(403, "This account does not show who it follows or who follows it")
    number = _page_number(page)
    items, more = await database(request).read(_follow_page, row.id, kind, number)
    body = internal_to_as2.ordered_collection_page(
        f"{url}?page={number}",
        part_of=url,
        items=items,
        next=f"{url}?page={number + 1}" if more else None,
        prev=f"{url}?page={number - 1}" if number > 1 else None,
    )
    body.setdefault("totalItems", total)
    return document(body, cacheable=cacheable)


async def followers(request: Request) -> Response:
    return await _follow_collection(request, "followers")


async def following(request: Request) -> Response:
    return await _follow_collection(request, "following")


def _cursor(value: str | None) -> int | None:
    """`max_id` / `min_id` of an outbox page; 0 is allowed (the `last` link starts there)."""
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        return None
    return number if 0 <= number < (1 << 63) else None


def _embedded(documents: list[dict]) -> list[dict]:
    """Documents inside a collection: the collection carries the one @context for all."""
    return [{k: v for k, v in doc.items() if k != "@context"} for doc in documents]


def _outbox_page(tx, account_id: int, max_id: int | None, min_id: int | None) -> list:
    """StatusDocuments of the account's newest public and unlisted posts (boosts left out:
    their Announce activities are not published here yet), newest first."""
    query = sa.select(statuses.c.id).where(
        statuses.c.account_id == account_id,
        core_visibility.visible_condition(statuses, None),  # what anyone may see
        statuses.c.reblog_of_id.is_(None),
    )
    if min_id is not None:
        ids = tx.scalars(
            query.where(statuses.c.id > min_id).order_by(statuses.c.id).limit(OUTBOX_PAGE)
        )
        ids.reverse()
    else:
        if max_id is not None:
            query = query.where(statuses.c.id < max_id)
        ids = tx.scalars(query.order_by(statuses.c.id.desc()).limit(OUTBOX_PAGE))
    docs = load_status_documents(tx, ids)
    return [docs[i] for i in ids if i in docs]


async def outbox(request: Request) -> Response:
    row, error = await _collection_owner(request)
    if error is not None:
        return error
    settings = _settings(request)
    url = row.outbox_url or f"{row.uri}/outbox"
    cacheable = _cacheable(request)
    params = request.query_params
    if not params.get("page"):
        body = internal_to_as2.ordered_collection(
            url, total=row.statuses_count, first=f"{url}?page=true"
        )
        body.setdefault("last", f"{url}?min_id=0&page=true")
        return document(body, cacheable=cacheable)
    max_id, min_id = _cursor(params.get("max_id")), _cursor(params.get("min_id"))
    docs = await database(request).read(_outbox_page, row.id, max_id, min_id)
    items = [internal_to_as2.create(note_of(row, doc, settings), actor_uri=row.uri) for doc in docs]
    context = items[0]["@context"] if items else None
    if max_id is not None:
        page_id = f"{url}?max_id={max_id}&page=true"
    elif min_id is not None:
        page_id = f"{url}?min_id={min_id}&page=true"
    else:
        page_id = f"{url}?page=true"
    body = internal_to_as2.ordered_collection_page(
        page_id,
        part_of=url,
        items=_embedded(items),
        next=f"{url}?max_id={docs[-1].status.id}&page=true" if len(docs) == OUTBOX_PAGE else None,
        prev=f"{url}?min_id={docs[0].status.id}&page=true" if docs else None,
    )
    if context is not None:
        body["@context"] = context
    return document(body, cacheable=cacheable)


def _featured(tx, account_id: int) -> list:
    """The account's pinned public and unlisted posts, most recently pinned first."""
    ids = tx.scalars(
        sa.select(statuses.c.id)
        .join(status_pins, status_pins.c.status_id == statuses.c.id)
        .where(
            status_pins.c.account_id == account_id,
            statuses.c.account_id == account_id,
            core_visibility.visible_condition(statuses, None),  # what anyone may see
            statuses.c.reblog_of_id.is_(None),
        )
        .order_by(status_pins.c.id.desc())
    )
    docs = load_status_documents(tx, ids)
    return [docs[i] for i in ids if i in docs]


async def featured(request: Request) -> Response:
    row, error = await _collection_owner(request)
    if error is not None:
        return error
    settings = _settings(request)
    docs = await database(request).read(_featured, row.id)
    items = [note_of(row, doc, settings) for doc in docs]
    url = row.featured_url or f"{row.uri}/collections/featured"
    body = internal_to_as2.ordered_collection(url, total=len(items), items=_embedded(items))
    if items:
        body["@context"] = items[0]["@context"]
    return document(body, cacheable=_cacheable(request))


routes = [
    Route("/actor", instance_actor, methods=["GET"]),
    Route("/users/{username}", actor, methods=["GET"]),
    Route("/users/{username}/statuses/{id}", status, methods=["GET"]),
    Route("/users/{username}/statuses/{id}/activity", status_activity, methods=["GET"]),
    Route("/users/{username}/followers", followers, methods=["GET"]),
    Route("/users/{username}/following", following, methods=["GET"]),
    Route("/users/{username}/outbox", outbox, methods=["GET"]),
    Route("/users/{username}/collections/featured", featured, methods=["GET"]),
    Route("/@{username}", profile, methods=["GET"]),
    Route("/@{username}/{id}", status_page, methods=["GET"]),
]
