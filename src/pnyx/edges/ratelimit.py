"""Rate limits as Mastodon applies them (its rack-attack rules), as an ASGI middleware.

- Every API request (`/api/...`, `/oauth/token`, `/oauth/revoke`): `rate_limit_requests` per
  `rate_limit_window` seconds (300 per 5 minutes) per access token, or per client IP address
  when there is none.
- Sign-ups (`POST /api/v1/accounts`): 5 per 30 minutes per IP.
- Password attempts: 25 per 5 minutes per client IP, and 25 per hour per login (the username
  or email tried, as Mastodon's per-email rule). The HTML sign-in form and the password change
  are counted here by path; the token endpoint counts in its handler, from what the handler
  parsed (`password_attempt`): a bucket picked by sniffing the body here could be fooled by a
  Content-Type or multipart spelling the real parser reads differently.

The client IP is the connection's peer, or what `X-Forwarded-For` says when the peer is one of
the proxies named in PNYX_TRUSTED_PROXIES (uvicorn rewrites the address before we see it).
A bearer token picks the general bucket, except on the token endpoints, where bearer tokens
mean nothing and a random one per request must not buy a fresh bucket; elsewhere, requests
whose token turns out unknown (401) are counted against the IP as well, and once the IP has
spent the general allowance on them, its requests with tokens get 429.

Windows are fixed (as rack-attack's): a counter per key and window number, reset at the
window's end, which `X-RateLimit-Reset` gives in ISO 8601. Counters are kept in this process's
memory: enough for one `pnyx serve`; with N web processes each counts on its own, so the
effective limit is up to N times higher. Sharing them (in the database or a cache) is a later
step. Everything runs on the event loop between awaits, so no lock is needed.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs

import orjson
from starlette.requests import Request

from pnyx.config import Settings
from pnyx.edges.http import JSON


@dataclass(frozen=True)
class Bucket:
    name: str
    limit: int
    period: int  # seconds


SIGN_UP = Bucket("sign_up", 5, 30 * 60)
PASSWORD = Bucket("password", 25, 5 * 60)
PASSWORD_LOGIN = Bucket("password_login", 25, 60 * 60)
TOKEN_PATHS = ("/oauth/token", "/oauth/revoke")


class Counters:
    """Fixed-window counters, pruned as windows pass."""

    def __init__(self, buckets: list[Bucket]) -> None:
        self._counts: dict[tuple[str, str, int], int] = {}
        self._periods = {b.name: b.period for b in buckets}
        self._pruned_at = 0.0

    def hit(self, bucket: Bucket, key: str, now: float) -> tuple[int, float]:
        """Count one request; returns (count in this window, end of window as a timestamp)."""
        window = int(now // bucket.period)
        slot = (bucket.name, key, window)
        count = self._counts.get(slot, 0) + 1
        self._counts[slot] = count
        if now - self._pruned_at > 60:
            self._prune(now)
        return count, float((window + 1) * bucket.period)

    def peek(self, bucket: Bucket, key: str, now: float) -> tuple[int, float]:
        """The count so far in this window, without counting."""
        window = int(now // bucket.period)
        return self._counts.get((bucket.name, key, window), 0), float((window + 1) * bucket.period)

    def _prune(self, now: float) -> None:
        self._pruned_at = now
        stale = [slot for slot in self._counts if (slot[2] + 1) * self._periods[slot[0]] < now]
        for slot in stale:
            del self._counts[slot]


def _iso(timestamp: float) -> str:
    dt = datetime.fromtimestamp(timestamp, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def _token_key(scope) -> str | None:
    auth = _header(scope, b"authorization") or ""
    token = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
    if not token:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        token = (query.get("access_token") or [""])[0]
    if not token:
        return None
    return "token:" + hashlib.sha256(token.encode()).hexdigest()


def _ip(scope) -> str:
    client = scope.get("client")
    return "ip:" + (client[0] if client else "unknown")


def _limit_headers(bucket: Bucket, count: int, reset: float) -> list[tuple[bytes, bytes]]:
    return [
        (b"x-ratelimit-limit", str(bucket.limit).encode()),
        (b"x-ratelimit-remaining", str(max(0, bucket.limit - count)).encode()),
        (b"x-ratelimit-reset", _iso(reset).encode()),
    ]


class RateLimits:
    """The counters of one process, shared by the middleware and the sign-in handlers."""

    def __init__(self, settings: Settings):
        self.enabled = settings.rate_limits
        self.general = Bucket(
            "general", max(1, settings.rate_limit_requests), max(1, settings.rate_limit_window)
        )
        # Requests whose bearer token turned out unknown, per IP (Mastodon counts them as
        # unauthenticated, by IP): the same allowance as the general bucket.
        self.bad_tokens = Bucket("bad_token", self.general.limit, self.general.period)
        self.counters = Counters([self.general, self.bad_tokens, SIGN_UP, PASSWORD, PASSWORD_LOGIN])

    def password_attempt(
        self, ip: str | None, login: str | None
    ) -> list[tuple[bytes, bytes]] | None:
        """Count one password check by client IP and by the login tried (either may be None
        when counted elsewhere or absent). Returns the headers of a 429 when over a limit."""
        if not self.enabled:
            return None
        now = time.time()
        keys: list[tuple[Bucket, str]] = []
        if ip is not None:
            keys.append((PASSWORD, "ip:" + ip))
        login = (login or "").strip().lower()
        if login:
            keys.append((PASSWORD_LOGIN, "login:" + login))
        refused = None
        for bucket, key in keys:
            count, reset = self.counters.hit(bucket, key, now)
            if count > bucket.limit and refused is None:
                refused = _limit_headers(bucket, count, reset)
        return refused


def too_many(headers: list[tuple[bytes, bytes]]) -> JSON:
    return JSON(
        {"error": "Too many requests"},
        status_code=429,
        headers={k.decode(): v.decode() for k, v in headers},
    )


def password_attempt(request: Request, login: str | None, *, by_ip: bool = True) -> JSON | None:
    """For handlers about to check a password: count the attempt by what they parsed, and
    the 429 to answer instead when the client IP or the login is over its limit."""
    limits: RateLimits = request.app.state.rate_limits
    ip = (request.client.host if request.client else "unknown") if by_ip else None
    refused = limits.password_attempt(ip, login)
    return too_many(refused) if refused is not None else None


class RateLimitMiddleware:
    def __init__(self, app, settings: Settings, limits: RateLimits):
        self.app = app
        self.settings = settings
        self.general = limits.general
        self.counters = limits.counters
        self.bad_tokens = limits.bad_tokens

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not self.settings.rate_limits:
            await self.app(scope, receive, send)
            return
        path = scope["path"].rstrip("/") or "/"
        method = scope["method"]
        is_api = path.startswith("/api/") or path in TOKEN_PATHS
        strict: Bucket | None = None
        if method == "POST" and path in ("/api/v1/accounts", "/auth/sign_up"):
            strict = SIGN_UP
        elif method == "POST" and path in ("/auth/sign_in", "/settings/password"):
            strict = PASSWORD
        if not is_api and strict is None:
            await self.app(scope, receive, send)
            return

        now = time.time()
        headers: list[tuple[bytes, bytes]] = []
        over = False
        token_key = None
        if is_api:
            token_key = None if path in TOKEN_PATHS else _token_key(scope)
            count, reset = self.counters.hit(self.general, token_key or _ip(scope), now)
            headers = _limit_headers(self.general, count, reset)
            over = count > self.general.limit
            if token_key is not None and not over:
                # Made-up tokens are no bucket of their own: their 401s count against the IP.
                count, reset = self.counters.peek(self.bad_tokens, _ip(scope), now)
                if count >= self.bad_tokens.limit:
                    over = True
                    headers = _limit_headers(self.bad_tokens, count + 1, reset)
        if strict is not None and not over:
            count, reset = self.counters.hit(strict, _ip(scope), now)
            if count > strict.limit:
                over = True
                headers = _limit_headers(strict, count, reset)
        if over:
            await self._too_many(send, headers)
            return
        if not headers:
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                if token_key is not None and message.get("status") == 401:
                    self.counters.hit(self.bad_tokens, _ip(scope), time.time())
                message = dict(message)
                own = list(message.get("headers", []))
                # A handler that refused by a stricter bucket already said which one.
                if not any(k.lower() == b"x-ratelimit-limit" for k, _ in own):
                    own += headers
                message["headers"] = own
            await send(message)

        await self.app(scope, receive, send_with_headers)

    @staticmethod
    async def _too_many(send, headers) -> None:
        body = orjson.dumps({"error": "Too many requests"})
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    *headers,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
