"""The one HTTP client Pnyx uses to talk to other servers.

Everything remote is hostile until proven otherwise: a remote server can be slow on purpose,
send endless bodies, redirect in circles, point its DNS at our own private network, or serve a
document that claims to live somewhere else. This client bounds all of that in one place, so
no caller has to remember:

- a total deadline per call, across every redirect hop and every read;
- a body size cap, enforced while streaming;
- a redirect cap, with the destination checked again at every hop;
- no connection to private, loopback, link-local, multicast or reserved addresses unless the
  operator turned on `allow_private_addresses` (local test setups);
- only ActivityPub media types accepted as ActivityPub, JSON nesting bounded, and a fetched
  document's `id` on the origin it was fetched from.

DNS rebinding: `check_destination` resolves a name to refuse a private address with a clear
message, and the default transport resolves it *again* when it connects (a host can answer
differently the second time). The default transport closes that window: its network backend
re-checks the addresses it actually connects to. The window stays open only for callers that
pass their own `transport` (tests), and getaddrinfo itself cannot be given a timeout.
The same backend clamps every socket read and write to the time left before the deadline;
with a caller's own transport the deadline is only checked between body chunks (so a call
can overrun it by up to one I/O timeout).
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx
import orjson

from pnyx.federation import signatures

log = logging.getLogger("pnyx.federation.fetch")

ACTIVITY_JSON = "application/activity+json"
AP_ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
AS_PROFILE = "https://www.w3.org/ns/activitystreams"
MAX_JSON_DEPTH = 64
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class FetchError(Exception):
    """A remote request that failed or was refused; `.status` is set when the server answered."""

    def __init__(self, reason: str, status: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass
class Response:
    url: str  # final URL, after redirects
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes


def _version() -> str:
    try:
        from pnyx import __version__

        return __version__
    except ImportError:
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("pnyx")
        except PackageNotFoundError:
            return "0"


def _refuse(url: str, reason: str, status: int | None = None, level: int = logging.INFO):
    log.log(level, "refused %s: %s", url, reason)
    return FetchError(reason, status)


# ---------------------------------------------------------------- where we may connect


def _forbidden(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why this address is off limits (None: a public address)."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = [ip.ipv4_mapped, ip.sixtofour, ip.teredo[1] if ip.teredo else None]
        if ip in _NAT64:
            embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        for inner in embedded:
            if inner is not None and (why := _forbidden(inner)):
                return why
    for flag in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(ip, f"is_{flag}"):
            return flag.replace("_", "-")
    return None if ip.is_global else "not globally routable"


def _checked_addresses(host: str, port: int, settings) -> list[str]:
    """The addresses `host` resolves to, all of them allowed, or FetchError."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise FetchError(f"cannot resolve {host}: {exc}") from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise FetchError(f"{host} has no address")
    if not settings.allow_private_addresses:
        for address in addresses:
            why = _forbidden(ipaddress.ip_address(address.split("%", 1)[0]))
            if why:
                raise FetchError(f"{host} resolves to {address}, a {why} address")
    return addresses


def check_destination(url: str, settings) -> None:
    """Refuse (FetchError) a URL we must not connect to: not http(s), or any resolved address
    private, loopback, link-local, multicast, reserved or unspecified (IPv4-mapped and other
    embedded IPv4 included) unless `settings.allow_private_addresses`."""
    try:
        parts = urlsplit(url)
        scheme, host, port = parts.scheme.lower(), parts.hostname, parts.port
    except ValueError as exc:
        raise _refuse(url, f"malformed URL ({exc})") from exc
    if scheme not in _DEFAULT_PORTS:
        raise _refuse(url, f"scheme {scheme or '(none)'} is not http or https")
    if not host:
        raise _refuse(url, "URL has no host")
    try:
        _checked_addresses(host, port or _DEFAULT_PORTS[scheme], settings)
    except FetchError as exc:
        raise _refuse(url, exc.reason, level=logging.WARNING) from exc


# ---------------------------------------------------------------- transport with guards

_local = threading.local()  # the deadline of the request this thread is making


def _clamp(timeout: float | None, timeout_error: type[Exception]) -> float | None:
    """Shorten an I/O timeout so no single read or write outlives the call's total deadline."""
    deadline = getattr(_local, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise timeout_error("total deadline exceeded")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream):
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None) -> httpcore.NetworkStream:
        timeout = _clamp(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str):
        return self._inner.get_extra_info(info)


class _GuardedBackend(httpcore.SyncBackend):
    """Connects only to addresses it has just checked, closing the DNS-rebinding window."""

    def __init__(self, settings):
        self._settings = settings

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        try:
            addresses = _checked_addresses(host, port, self._settings)
        except FetchError as exc:
            log.warning("refused connection to %s:%s: %s", host, port, exc.reason)
            raise
        last: Exception | None = None
        for address in addresses:
            try:
                stream = super().connect_tcp(
                    address,
                    port,
                    _clamp(timeout, httpcore.ConnectTimeout),
                    local_address,
                    socket_options,
                )
                return _DeadlineStream(stream)
            except httpcore.ConnectError as exc:  # try the next address (IPv6 vs IPv4)
                last = exc
        raise last or httpcore.ConnectError(f"cannot connect to {host}")


@functools.cache
def _ssl_context(extra_ca_bundle: str = "") -> ssl.SSLContext:
    """One verifying TLS context per CA setting: loading the CA bundle costs tens of ms,
    which would otherwise dominate short-lived clients (one per delivery job).

    certifi's authorities are always trusted; `extra_ca_bundle` (PNYX_CA_BUNDLE) adds the PEM
    authorities of a private CA on top of them. SSL_CERT_FILE and the like are not read
    (trust_env=False), like the proxy variables."""
    context = httpx.create_ssl_context(trust_env=False)
    if extra_ca_bundle:
        try:
            context.load_verify_locations(cafile=extra_ca_bundle)
        except (OSError, ssl.SSLError) as exc:
            raise ValueError(
                f"PNYX_CA_BUNDLE {extra_ca_bundle!r} is not a PEM file: {exc}"
            ) from exc
    return context


def _guarded_transport(settings) -> httpx.BaseTransport:
    """httpx's own transport with our network backend (httpx has no public hook for it)."""
    context = _ssl_context(settings.ca_bundle)
    transport = httpx.HTTPTransport(verify=context, trust_env=False)
    if not hasattr(transport, "_pool"):  # a future httpx: keep working, with the window open
        log.warning("httpx internals changed: DNS rebinding check at connect time is off")
        return transport
    transport._pool.close()
    transport._pool = httpcore.ConnectionPool(
        ssl_context=context,
        max_connections=100,
        max_keepalive_connections=20,
        keepalive_expiry=5.0,
        network_backend=_GuardedBackend(settings),
    )
    return transport


# ---------------------------------------------------------------- ActivityPub documents


def is_activitypub_content_type(value: str) -> bool:
    """application/activity+json, or application/ld+json with the ActivityStreams profile."""
    media, _, params = value.partition(";")
    media = media.strip().lower()
    if media == ACTIVITY_JSON:
        return True
    if media != "application/ld+json":
        return False
    for param in params.split(";"):
        name, _, raw = param.partition("=")
        if name.strip().lower() == "profile":
            return AS_PROFILE in raw.strip().strip('"').split()
    return False


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS.get(scheme)


def same_origin(a: str, b: str) -> bool:
    """Scheme, host and port equal: the unit of authority in ActivityPub."""
    try:
        return _origin(a) == _origin(b)
    except ValueError:
        return False


def _too_deep(document: object, limit: int) -> bool:
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        children = value.values() if isinstance(value, dict) else value
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return False


def parse_activity(body: bytes, url: str, *, id_optional: bool = False) -> dict:
    """A fetched ActivityPub document, if it is a JSON object with an id on `url`'s origin.

    With `id_optional` (a collection the caller found declared by an actor of this origin,
    which some servers serve without an id), a document with no id is taken as the one at
    `url` and given that id; a document with an id is checked as usual."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise _refuse(url, f"not valid JSON ({exc})") from exc
    if not isinstance(document, dict):
        raise _refuse(url, "document is not a JSON object")
    if _too_deep(document, MAX_JSON_DEPTH):
        raise _refuse(url, f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    doc_id = document.get("id")
    if doc_id is None and id_optional:
        document["id"] = doc_id = url
    if not isinstance(doc_id, str) or not doc_id:
        raise _refuse(url, "document has no id")
    if not same_origin(doc_id, url):
        raise _refuse(
            url,
            f"document id {doc_id} is not on the origin it was fetched from",
            level=logging.WARNING,
        )
    return document


# ---------------------------------------------------------------- the client


def _normalize(url: str) -> str:
    """The URL exactly as httpx will send it, without fragment, so signatures match."""
    try:
        return str(httpx.URL(url).copy_with(fragment=None))
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise _refuse(url, f"malformed URL ({exc})") from exc


class RemoteClient:
    """Sync HTTP client for remote servers; see the module docstring for what it guards."""

    def __init__(
        self,
        settings,
        *,
        timeout: float = 10.0,
        max_bytes: int = 2_000_000,
        max_redirects: int = 3,
        transport: httpx.BaseTransport | None = None,
    ):
        self.settings = settings
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.user_agent = f"Pnyx/{_version()} (+{settings.base_url})"
        self._client = httpx.Client(
            transport=transport or _guarded_transport(settings),
            follow_redirects=False,
            trust_env=False,  # no proxy from the environment may bypass the address checks
            timeout=timeout,
        )

    def __enter__(self) -> RemoteClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def _signed(
        self, method: str, url: str, body: bytes | None, signer: tuple[str, str] | None
    ) -> dict[str, str]:
        if signer is None:
            return {}
        try:
            return signatures.sign_request(
                method=method, url=url, body=body, key_id=signer[0], private_key_pem=signer[1]
            )
        except (signatures.SignatureError, ValueError) as exc:
            raise _refuse(url, f"cannot sign request ({exc})") from exc

    def _exchange(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | None,
        deadline: float,
        *,
        strict: bool,
        cut: bool = False,
        only_types: Collection[str] | None = None,
    ) -> Response:
        """One request, no redirect: checked destination, bounded time, capped body.

        strict: a body is read only for 2xx and an oversized one is an error; otherwise the
        body is read for any status and cut at the cap (a delivery's answer is informative).
        cut: with strict, a body past the cap is cut there rather than refused (a web page,
        whose head is what a link preview reads).
        only_types: a 2xx answer of another media type is refused before its body is read.
        """
        check_destination(url, self.settings)
        left = deadline - time.monotonic()
        if left <= 0:
            raise _refuse(url, "total deadline exceeded")
        headers = {"User-Agent": self.user_agent, "Accept-Encoding": "gzip", **headers}
        request = self._client.build_request(
            method, url, headers=headers, content=body, timeout=httpx.Timeout(left)
        )
        previous, _local.deadline = getattr(_local, "deadline", None), deadline
        try:
            response = self._client.send(request, stream=True)
            try:
                status = response.status_code
                names = {k.lower() for k in response.headers}
                headers = {n: ", ".join(response.headers.get_list(n)) for n in names}
                result = Response(url=url, status=status, headers=headers, body=b"")
                if only_types is not None and 200 <= status < 300:
                    given = headers.get("content-type", "")
                    if given.split(";")[0].strip().lower() not in only_types:
                        wanted = " or ".join(sorted(only_types))
                        raise _refuse(
                            url, f"content type {given or '(none)'} is not {wanted}", status
                        )
                if 200 <= status < 300 or not strict:
                    result.body = self._read(response, url, deadline, strict, cut)
                return result
            finally:
                response.close()
        except httpx.TimeoutException as exc:
            raise _refuse(url, f"total deadline of {self.timeout}s exceeded") from exc
        except httpx.HTTPError as exc:
            raise _refuse(url, f"network error: {type(exc).__name__}: {exc}") from exc
        finally:
            _local.deadline = previous

    def _read(
        self, response: httpx.Response, url: str, deadline: float, strict: bool, cut: bool = False
    ) -> bytes:
        """The body, decoded here rather than by httpx so that a compressed bomb (or gzip
        inside gzip) can never inflate past the cap, even inside one network chunk."""
        declared = response.headers.get("content-length", "")
        if strict and not cut and declared.isdigit() and int(declared) > self.max_bytes:
            raise _refuse(url, f"body of {declared} bytes exceeds {self.max_bytes}")
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("identity", "", "gzip", "x-gzip"):
            if not strict:  # a delivery's answer: its status is what counts
                return b""
            raise _refuse(url, f"unsupported content encoding {encoding}")
        gunzip = zlib.decompressobj(16 + zlib.MAX_WBITS) if "gzip" in encoding else None
        chunks, size = [], 0
        try:
            for raw in response.iter_raw():
                if time.monotonic() > deadline:
                    raise _refuse(url, f"total deadline of {self.timeout}s exceeded")
                room = self.max_bytes - size
                chunk = gunzip.decompress(raw, room + 1) if gunzip else raw
                size += len(chunk)
                if size > self.max_bytes:
                    if strict and not cut:
                        raise _refuse(url, f"body exceeds {self.max_bytes} bytes")
                    chunks.append(chunk[:room])
                    break
                chunks.append(chunk)
        except zlib.error as exc:
            if not strict:
                return b"".join(chunks)
            raise _refuse(url, f"body is not valid gzip ({exc})") from exc
        return b"".join(chunks)

    def get(
        self,
        url: str,
        *,
        accept: str,
        signer: tuple[str, str] | None = None,
        cut_at_cap: bool = False,
        only_types: Collection[str] | None = None,
    ) -> Response:
        """GET, following up to `max_redirects` redirects (each hop checked and re-signed).
        FetchError for network errors, refusals, caps, the deadline and any non-2xx status;
        with `cut_at_cap` a body past the size cap is cut there instead of refused; with
        `only_types` (lower-case media types) an answer of another type is refused before a
        byte of its body is read."""
        deadline = time.monotonic() + self.timeout
        current = _normalize(url)
        for _hop in range(self.max_redirects + 1):
            headers = {"Accept": accept, **self._signed("GET", current, None, signer)}
            response = self._exchange(
                "GET",
                current,
                headers,
                None,
                deadline,
                strict=True,
                cut=cut_at_cap,
                only_types=only_types,
            )
            if response.status in _REDIRECTS:
                location = response.headers.get("location")
                if not location:
                    raise _refuse(current, "redirect without Location", response.status)
                current = _normalize(urljoin(current, location.strip()))
                continue
            if not 200 <= response.status < 300:
                raise _refuse(current, f"HTTP {response.status}", response.status)
            return response
        raise _refuse(url, f"more than {self.max_redirects} redirects")

    def get_activity(
        self, url: str, *, signer: tuple[str, str] | None = None, id_optional: bool = False
    ) -> dict:
        """Fetch an ActivityPub document: AP media type only, bounded JSON, and an `id` on the
        origin of the final URL (so a server cannot speak for another one). `id_optional`:
        see `parse_activity`; a document without id must then come from `url`'s origin."""
        response = self.get(url, accept=AP_ACCEPT, signer=signer)
        if id_optional and not same_origin(response.url, url):
            id_optional = False  # redirected elsewhere: that server must name its document
        content_type = response.headers.get("content-type", "")
        if not is_activitypub_content_type(content_type):
            raise _refuse(
                response.url, f"content type {content_type or '(none)'} is not ActivityPub"
            )
        return parse_activity(response.body, response.url, id_optional=id_optional)

    def post(
        self,
        url: str,
        body: bytes,
        *,
        signer: tuple[str, str] | None,
        content_type: str = ACTIVITY_JSON,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """POST, HTTP-signed by `signer` when given (a delivery), with `headers` added (a Web
        Push carries its own authorization). Redirects are not followed; any HTTP status is
        returned for the caller to judge. FetchError only for network and safety failures."""
        deadline = time.monotonic() + self.timeout
        url = _normalize(url)
        headers = {
            "Content-Type": content_type,
            **(headers or {}),
            **self._signed("POST", url, body, signer),
        }
        return self._exchange("POST", url, headers, body, deadline, strict=False)
