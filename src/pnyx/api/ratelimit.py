"""Rate limits as Mastodon applies them (its rack-attack rules), as an ASGI middleware.

- Every API request (`/api/...`, `/oauth/token`, `/oauth/revoke`): `rate_limit_requests` per
  `rate_limit_window` seconds (300 per 5 minutes) per access token, or per client IP address
  when there is none.
- Sign-ups (`POST /api/v1/accounts`): 5 per 30 minutes per IP.
- Password attempts (`POST /oauth/token` with grant_type=password, and the HTML sign-in form):
  25 per 5 minutes per IP.

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

from pnyx.config import Settings


@dataclass(frozen=True)
class Bucket:
    name: str
    limit: int
    period: int  # seconds


SIGN_UP = Bucket("sign_up", 5, 30 * 60)
PASSWORD = Bucket("password", 25, 5 * 60)
MAX_SNIFF_BYTES = 64_000  # a token request bigger than this is refused by the handler anyway


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


def _grant_type(body: bytes, content_type: str) -> str | None:
    if "json" in content_type or body.lstrip()[:1] == b"{":
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        value = parsed.get("grant_type") if isinstance(parsed, dict) else None
        return value if isinstance(value, str) else None
    if "multipart" in content_type:
        # Rare for token requests; a cheap look for the field is enough to pick the bucket.
        return "password" if b'name="grant_type"\r\n\r\npassword' in body else None
    values = parse_qs(body.decode("latin-1")).get("grant_type")
    return values[-1] if values else None


class RateLimitMiddleware:
    def __init__(self, app, settings: Settings):
        self.app = app
        self.settings = settings
        self.general = Bucket(
            "general", max(1, settings.rate_limit_requests), max(1, settings.rate_limit_window)
        )
        self.counters = Counters([self.general, SIGN_UP, PASSWORD])

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not self.settings.rate_limits:
            await self.app(scope, receive, send)
            return
        path = scope["path"].rstrip("/") or "/"
        method = scope["method"]
        is_api = path.startswith("/api/") or path in ("/oauth/token", "/oauth/revoke")
        strict: Bucket | None = None
        if method == "POST" and path in ("/api/v1/accounts", "/auth/sign_up"):
            strict = SIGN_UP
        elif method == "POST" and path in ("/auth/sign_in", "/settings/password"):
            strict = PASSWORD
        elif method == "POST" and path == "/oauth/token":
            body, receive = await self._buffer(receive)
            content_type = (_header(scope, b"content-type") or "").lower()
            if _grant_type(body, content_type) == "password":
                strict = PASSWORD
        if not is_api and strict is None:
            await self.app(scope, receive, send)
            return

        now = time.time()
        headers: list[tuple[bytes, bytes]] = []
        over = False
        if is_api:
            count, reset = self.counters.hit(self.general, _token_key(scope) or _ip(scope), now)
            headers = self._headers(self.general, count, reset)
            over = count > self.general.limit
        if strict is not None and not over:
            count, reset = self.counters.hit(strict, _ip(scope), now)
            if count > strict.limit:
                over = True
                headers = self._headers(strict, count, reset)
        if over:
            await self._too_many(send, headers)
            return
        if not headers:
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = dict(message)
                message["headers"] = list(message.get("headers", [])) + headers
            await send(message)

        await self.app(scope, receive, send_with_headers)

    @staticmethod
    def _headers(bucket: Bucket, count: int, reset: float) -> list[tuple[bytes, bytes]]:
        return [
            (b"x-ratelimit-limit", str(bucket.limit).encode()),
            (b"x-ratelimit-remaining", str(max(0, bucket.limit - count)).encode()),
            (b"x-ratelimit-reset", _iso(reset).encode()),
        ]

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

    @staticmethod
    async def _buffer(receive):
        """Read a small request body to look at it, and hand the app a replay of it."""
        size = 0
        more = True
        pending = []
        while more and size <= MAX_SNIFF_BYTES:
            message = await receive()
            pending.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"" if more else b"".join(m.get("body", b"") for m in pending)

        async def replay():
            if pending:
                return pending.pop(0)
            return await receive()

        return body, replay
