"""This server as a LOLA destination: finding the old server's portability endpoint, asking
the person's authorization there (OAuth 2 authorization code, PKCE when offered), and reading
the old account with the token it grants.

Discovery (LOLA "Discovery"): the person names their old account (`name@server`, the actor's
URL) or only its server. The actor document names the authorization endpoint
(`accountPortabilityOauth`); the server's RFC 8414 metadata names it too
(`activitypub_account_portability`), with the token endpoint, the revocation endpoint, whether
PKCE is offered and where apps register (`app_registration_endpoint`, Mastodon's
`/api/v1/apps`; or RFC 7591's `registration_endpoint`). The actor's field is read first.

The token opens the person's whole old account. It is sent only to the old server's origin
(never to a media host elsewhere, never along a redirect that leaves the origin), over the
safe client (`fetch.RemoteClient`: no private addresses, bounded time and size). The actor the
old server names with the code (`activitypub_actor`) is the one copied, as LOLA says; it must
live on the old server's origin, since that is where the token goes.

A `429 Too Many Requests` is honoured: a short `Retry-After` is waited out here, a long one
ends the job's run (`RateLimited`) to come back when asked.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urljoin

import orjson

from pnyx.config import Settings
from pnyx.core import scopes
from pnyx.core.lola import clients, transfers
from pnyx.db.engine import Database
from pnyx.federation import resolve
from pnyx.federation.as2_common import http_url, origin
from pnyx.federation.delivery import retry_after
from pnyx.federation.fetch import (
    AP_ACCEPT,
    FetchError,
    RemoteClient,
    Response,
    is_activitypub_content_type,
    parse_activity,
)

log = logging.getLogger("pnyx.federation.lola")

CALLBACK_PATH = "/settings/import/copy/callback"
SCOPE = scopes.PORTABILITY
JSON_ACCEPT = "application/json"
MAX_WAIT = 60.0  # the longest Retry-After waited out in place (seconds)
MAX_WAITS = 5  # and how many times for one request
_REDIRECTS = frozenset({301, 302, 303, 307, 308})

# What went wrong, in the person's words (`kind` -> sentence): the web page translates the same
# sentences (`web.copy_pages.PROBLEMS`).
PROBLEMS = {
    "address": "Enter the address of your old account: name@server, or its URL.",
    "unreachable": "%(server)s could not be reached: %(detail)s",
    "no_account": "%(server)s does not know this account: %(detail)s",
    "unsupported": "%(server)s does not offer live copies of accounts (LOLA).",
    "registration": "%(server)s did not let this server register to ask for the copy: %(detail)s",
    "token": "%(server)s did not grant the copy: %(detail)s",
    "actor": "%(server)s named an account on another server (%(detail)s): refused.",
    "same": "This account is on this server already.",
}


class LolaError(Exception):
    """A copy that cannot go on: `kind` (a key of `PROBLEMS`), the old server, a detail."""

    def __init__(self, kind: str, server: str = "", detail: str = "") -> None:
        self.kind, self.server, self.detail = kind, server, detail[:300]
        super().__init__(PROBLEMS[kind] % {"server": server, "detail": self.detail})

    @property
    def message(self) -> str:
        return str(self)


class RateLimited(Exception):
    """The old server asked us to come back later than we wait in place."""

    def __init__(self, url: str, not_before: datetime) -> None:
        super().__init__(f"{url} asked to come back at {not_before.isoformat()}")
        self.not_before = not_before


def callback_url(settings: Settings) -> str:
    return settings.base_url + CALLBACK_PATH


# --- Talking to the old server ---------------------------------------------------------------


class PortabilityClient(RemoteClient):
    """The safe client, with the portability token on every request to the old server's
    origin (LOLA: even for what is public) and 429 honoured."""

    def __init__(
        self,
        settings: Settings,
        *,
        token: str | None = None,
        token_origin: str = "",
        signer: tuple[str, str] | None = None,
        sleep: Any = time.sleep,
        **options: Any,
    ) -> None:
        super().__init__(settings, **options)
        self.token, self.token_origin, self.signer, self.sleep = token, token_origin, signer, sleep

    def __enter__(self) -> PortabilityClient:
        return self

    def fetch(self, url: str, *, accept: str = AP_ACCEPT) -> Response:
        """GET `url` (redirects followed, the token dropped past the origin); FetchError for
        any failure or non-2xx answer, RateLimited for a long 429."""
        current = url
        for _hop in range(self.max_redirects + 1):
            response = self._once(current, accept)
            if response.status in _REDIRECTS:
                location = response.headers.get("location")
                if not location:
                    raise FetchError("redirect without Location", response.status)
                current = urljoin(current, location.strip())
                continue
            if not 200 <= response.status < 300:
                raise FetchError(f"HTTP {response.status}", response.status)
            return response
        raise FetchError(f"more than {self.max_redirects} redirects")

    def _once(self, url: str, accept: str) -> Response:
        for _attempt in range(MAX_WAITS + 1):
            headers = {"Accept": accept, **self._signed("GET", url, None, self.signer)}
            if self.token and origin(url) == self.token_origin:
                headers["Authorization"] = f"Bearer {self.token}"
            deadline = time.monotonic() + self.timeout
            response = self._exchange("GET", url, headers, None, deadline, strict=True)
            if response.status != 429:
                return response
            now = datetime.now(UTC)
            when = retry_after(response.headers.get("retry-after", ""), now) or now + timedelta(
                seconds=5
            )
            wait = (when - now).total_seconds()
            if wait > MAX_WAIT:
                raise RateLimited(url, when)
            log.info("%s answered 429: waiting %.0f s as it asks", url, wait)
            self.sleep(max(wait, 0.0))
        raise RateLimited(url, datetime.now(UTC) + timedelta(seconds=MAX_WAIT))

    def document(self, url: str, *, id_optional: bool = True) -> dict:
        """An ActivityPub document at `url` (a collection may come without an id)."""
        response = self.fetch(url)
        kind = response.headers.get("content-type", "")
        if not is_activitypub_content_type(kind) and not kind.startswith("application/json"):
            raise FetchError(f"content type {kind or '(none)'} is not ActivityPub")
        return parse_activity(response.body, response.url, id_optional=id_optional)

    def json(self, url: str) -> dict:
        """A JSON document (OAuth metadata, WebFinger)."""
        try:
            found = orjson.loads(self.fetch(url, accept=JSON_ACCEPT).body)
        except orjson.JSONDecodeError:
            raise FetchError(f"{url} is not JSON") from None
        if not isinstance(found, dict):
            raise FetchError(f"{url} is not a JSON object")
        return found

    def post_form(self, url: str, fields: dict[str, str]) -> tuple[int, dict]:
        """POST a form; the answer's status and JSON object ({} when it is not one)."""
        response = self.post(
            url,
            urlencode(fields).encode(),
            signer=None,
            content_type="application/x-www-form-urlencoded",
            headers={"Accept": JSON_ACCEPT},
        )
        try:
            body = orjson.loads(response.body)
        except orjson.JSONDecodeError:
            body = {}
        return response.status, body if isinstance(body, dict) else {}


def portability_client(
    db: Database,
    settings: Settings,
    token: str | None = None,
    token_origin: str = "",
    **options: Any,
) -> PortabilityClient:
    """A client that signs its requests as the instance (servers in secure mode answer only
    signed fetches) and carries `token` to `token_origin`."""
    signer = resolve.instance_signer(db, settings)
    return PortabilityClient(
        settings, token=token, token_origin=token_origin, signer=signer, **options
    )


# --- Discovery --------------------------------------------------------------------------------


@dataclass
class Source:
    """The old server, as discovery found it."""

    origin: str  # where the authorization server is (its metadata, our registration)
    authorize: str
    token: str
    registration: str | None
    registration_json: bool  # RFC 7591 (JSON) rather than Mastodon's form
    revoke: str | None
    pkce: bool
    actor_uri: str | None  # when the person named an account, not only a server

    def endpoints(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "authorize": self.authorize,
            "token": self.token,
            "revoke": self.revoke,
            "pkce": self.pkce,
        }


def _scheme(settings: Settings) -> str:
    return "http" if settings.effective_scheme == "http" else "https"


def _actor_of_handle(client: PortabilityClient, settings: Settings, handle: str) -> str:
    match = resolve.HANDLE.match(handle)
    if not match:
        raise LolaError("address")
    username, host = match.group(1), match.group(2).lower()
    try:
        jrd = client.json(resolve.webfinger_url(settings, host, f"acct:{username}@{host}"))
    except FetchError as exc:
        kind = "no_account" if exc.status in (404, 410) else "unreachable"
        raise LolaError(kind, host, exc.reason) from None
    for link in jrd.get("links", []) if isinstance(jrd.get("links"), list) else []:
        if (
            isinstance(link, dict)
            and link.get("rel") == "self"
            and str(link.get("type", "")).startswith(
                ("application/activity+json", "application/ld+json")
            )
            and http_url(link.get("href"))
        ):
            return link["href"]
    raise LolaError("no_account", host, "WebFinger names no ActivityPub actor")


def read_source(text: str, settings: Settings) -> tuple[str, str | None]:
    """(the server's origin, the actor or handle named) from what the person typed; the
    server alone when that is all they gave."""
    text = (text or "").strip().removeprefix("@")
    if not text or len(text) > 500 or any(c.isspace() for c in text):
        raise LolaError("address")
    if text.startswith(("https://", "http://")):
        if not http_url(text):
            raise LolaError("address")
        return origin(text), text
    if "@" in text:
        if not resolve.HANDLE.match(text):
            raise LolaError("address")
        return f"{_scheme(settings)}://{text.rsplit('@', 1)[1].lower()}", text
    if not resolve.HANDLE.match(f"x@{text}") or not any(c in text for c in ".:"):
        raise LolaError("address")  # a server's name has a dot (or a port, locally)
    return f"{_scheme(settings)}://{text.lower()}", None


def discover(db: Database, settings: Settings, text: str) -> Source:
    """The old server's portability endpoints, from what the person typed."""
    server_origin, named = read_source(text, settings)
    if server_origin == origin(settings.base_url):
        raise LolaError("same")
    server = server_origin.split("://", 1)[1]
    with portability_client(db, settings) as client:
        actor_uri, authorize = None, None
        if named is not None:
            actor_uri = named if "://" in named else _actor_of_handle(client, settings, named)
            try:
                actor = client.document(actor_uri, id_optional=False)
            except FetchError as exc:
                kind = "no_account" if exc.status in (404, 410) else "unreachable"
                raise LolaError(kind, server, exc.reason) from None
            actor_uri = actor["id"]
            server_origin = origin(actor_uri)
            authorize = http_url(actor.get("accountPortabilityOauth"))
        metadata_origin = origin(authorize) if authorize else server_origin
        try:
            meta = client.json(f"{metadata_origin}/.well-known/oauth-authorization-server")
        except FetchError as exc:
            if authorize is None and exc.status is not None:
                raise LolaError("unsupported", server) from None
            if authorize is None:
                raise LolaError("unreachable", server, exc.reason) from None
            meta = {}
    return _source(meta, metadata_origin, authorize, actor_uri, server)


def _source(
    meta: dict, meta_origin: str, authorize: str | None, actor_uri: str | None, server: str
) -> Source:
    def endpoint(name: str) -> str | None:
        found = http_url(meta.get(name))
        return found if found and origin(found) == meta_origin else None

    authorize = authorize or endpoint("activitypub_account_portability")
    token = endpoint("token_endpoint")
    if authorize is None or origin(authorize) != meta_origin or token is None:
        raise LolaError("unsupported", server)
    methods = meta.get("code_challenge_methods_supported")
    return Source(
        origin=meta_origin,
        authorize=authorize,
        token=token,
        registration=endpoint("app_registration_endpoint") or endpoint("registration_endpoint"),
        registration_json=endpoint("app_registration_endpoint") is None,
        revoke=endpoint("revocation_endpoint"),
        pkce=isinstance(methods, list) and "S256" in methods,
        actor_uri=actor_uri,
    )


# --- Authorization -----------------------------------------------------------------------------


def register(db: Database, settings: Settings, source: Source) -> Any:
    """Our registration at the old server (made now if there is none yet)."""
    callback = callback_url(settings)
    known = db.run_sync(clients.find, source.origin, callback, write=False)
    if known is not None:
        return known
    server = source.origin.split("://", 1)[1]
    if source.registration is None:
        raise LolaError("registration", server, "it names no registration endpoint")
    fields = {
        "client_name": settings.instance_title[:100] or settings.domain,
        "redirect_uris": callback,
        "scopes": SCOPE,
        "website": settings.base_url,
    }
    with portability_client(db, settings) as client:
        try:
            if source.registration_json:
                response = client.post(
                    source.registration,
                    orjson.dumps(
                        {
                            "client_name": fields["client_name"],
                            "redirect_uris": [callback],
                            "scope": SCOPE,
                            "grant_types": ["authorization_code"],
                            "token_endpoint_auth_method": "client_secret_post",
                        }
                    ),
                    signer=None,
                    content_type="application/json",
                    headers={"Accept": JSON_ACCEPT},
                )
                status, body = response.status, _json_object(response.body)
            else:
                status, body = client.post_form(source.registration, fields)
        except FetchError as exc:
            raise LolaError("unreachable", server, exc.reason) from None
    client_id = body.get("client_id")
    secret = body.get("client_secret")
    if not 200 <= status < 300 or not isinstance(client_id, str) or not client_id:
        raise LolaError("registration", server, _oauth_detail(status, body))
    return db.run_sync(
        clients.keep,
        source.origin,
        callback,
        client_id,
        secret if isinstance(secret, str) else None,
    )


def _json_object(body: bytes) -> dict:
    try:
        found = orjson.loads(body)
    except orjson.JSONDecodeError:
        return {}
    return found if isinstance(found, dict) else {}


def _oauth_detail(status: int, body: dict) -> str:
    said = body.get("error_description") or body.get("error")
    return f"HTTP {status}" + (f": {str(said)[:200]}" if said else "")


def pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_url(
    endpoints: dict[str, Any], client_id: str, callback: str, state: str, verifier: str | None
) -> str:
    """Where the person's browser goes to grant the copy (LOLA "Destination directs to source
    server")."""
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": callback,
        "scope": SCOPE,
        "state": state,
    }
    if verifier is not None:
        query |= {"code_challenge": pkce_challenge(verifier), "code_challenge_method": "S256"}
    separator = "&" if "?" in endpoints["authorize"] else "?"
    return endpoints["authorize"] + separator + urlencode(query)


def prepare(
    db: Database, settings: Settings, account_id: int, text: str, *, via: str = "web"
) -> tuple[int, str]:
    """Everything before the browser leaves for the old server: (the copy's id, the URL to
    send the browser to)."""
    db.run_sync(transfers.check_can_begin, account_id, write=False)  # before any network
    source = discover(db, settings, text)
    client = register(db, settings, source)
    transfer_id, state, verifier = db.run_sync(
        transfers.begin,
        account_id,
        text.strip(),
        client.id,
        source.endpoints(),
        via=via,
        actor_uri=source.actor_uri,
    )
    return transfer_id, authorize_url(
        source.endpoints(), client.client_id, callback_url(settings), state, verifier
    )


def complete(db: Database, settings: Settings, row: Any, code: str, named_actor: str | None) -> str:
    """The old server sent the browser back with a code: exchange it for the token and queue
    the copy. Returns the actor copied; LolaError (the copy then marked failed) otherwise."""
    endpoints = row.endpoints or {}
    server = str(endpoints.get("origin", "")).split("://", 1)[-1]
    db.run_sync(transfers.check_can_begin, row.account_id, write=False)  # before the token
    try:
        actor = _granted_actor(row, named_actor, server)
        token = _exchange(db, settings, row, code, server)
    except LolaError as exc:
        db.run_sync(transfers.denied, row.id, exc.message, state=transfers.FAILED)
        raise
    db.run_sync(transfers.authorized, row.id, actor, token)
    return actor


def _granted_actor(row: Any, named: str | None, server: str) -> str:
    """LOLA: the actor named with the code, not the one typed; where the token may go."""
    actor = http_url(named) if named else row.source_actor_uri
    if not actor:
        raise LolaError("token", server, "it did not say which account it granted")
    allowed = {row.endpoints.get("origin")}
    if row.source_actor_uri:
        allowed.add(origin(row.source_actor_uri))
    if origin(actor) not in allowed:
        raise LolaError("actor", server, actor[:200])
    return actor


def _exchange(db: Database, settings: Settings, row: Any, code: str, server: str) -> str:
    client_row = db.run_sync(clients.get, row.client_id, write=False)
    if client_row is None:
        raise LolaError("registration", server, "the registration was removed")
    fields = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": callback_url(settings),
        "client_id": client_row.client_id,
    }
    if client_row.client_secret:
        fields["client_secret"] = client_row.client_secret
    if row.code_verifier:
        fields["code_verifier"] = row.code_verifier
    with portability_client(db, settings) as client:
        try:
            status, body = client.post_form(row.endpoints["token"], fields)
        except FetchError as exc:
            raise LolaError("unreachable", server, exc.reason) from None
    token = body.get("access_token")
    if status == 401 and body.get("error") == "invalid_client":
        db.run_sync(clients.forget, client_row.id)  # the next copy registers again
    if not 200 <= status < 300 or not isinstance(token, str) or not token:
        raise LolaError("token", server, _oauth_detail(status, body))
    granted = str(body.get("scope") or SCOPE).split()
    if SCOPE not in granted:
        raise LolaError("token", server, f"it granted {' '.join(granted)[:100]}, not {SCOPE}")
    return token


def revoke(
    db: Database, settings: Settings, endpoints: dict, client_row_id: int | None, token: str
) -> None:
    """Hand the token back to the old server once the copy is over (RFC 7009), when it has
    a revocation endpoint; a failure changes nothing here (the token is deleted anyway)."""
    url = endpoints.get("revoke")
    client_row = db.run_sync(clients.get, client_row_id, write=False)
    if not url or client_row is None:
        return
    fields = {"token": token, "client_id": client_row.client_id}
    if client_row.client_secret:
        fields["client_secret"] = client_row.client_secret
    try:
        with portability_client(db, settings) as client:
            client.post_form(url, fields)
    except FetchError as exc:
        log.info("could not revoke the portability token at %s: %s", url, exc.reason)
