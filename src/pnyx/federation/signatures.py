"""HTTP Signatures: how servers prove which actor sent a request, and that nobody changed it.

Two formats live in the Fediverse. Mastodon and nearly everyone else speak draft-cavage
(`Signature: keyId=...,headers=...,signature=...` over `(request-target) host date digest`);
newer software also speaks RFC 9421 (`Signature-Input` + `Signature` structured fields). We sign
with draft-cavage, because that is what every receiver understands, and accept both.

Everything here is a pure function: no database, no network. Finding the public key for a
keyId is the caller's job (`signature_key_id` tells it which one to fetch). Every failure is a
`SignatureError` with a readable reason, never a traceback, because the reason ends up in a
log line or a 401 body that a remote admin has to understand.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urlsplit

import http_sfv
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

_DEFAULT_PORTS = {"http": 80, "https": 443}
_MAX_HEADER = 16_384  # no honest Signature header comes anywhere near this


class SignatureError(Exception):
    """A request whose signature cannot be trusted; `.reason` says why in plain words."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class KeyMismatch(SignatureError):
    """Everything else checked out but the key does not verify the signature (or cannot be
    read): the one failure a fresh copy of the signer's key might cure (a rotated key)."""


@dataclass(frozen=True)
class SignedBy:
    key_id: str
    scheme: str  # "cavage" or "rfc9421"


# ---------------------------------------------------------------- shared helpers


def body_digest(body: bytes) -> str:
    """The `Digest` header value (RFC 3230) that binds a draft-cavage signature to the body."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def content_digest(body: bytes) -> str:
    """The `Content-Digest` header value (RFC 9530) used by RFC 9421 signatures."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"


def host_for(url: str) -> str:
    """The Host header a client sends for `url`: lower-case host, port only if not default.

    Signer and HTTP client must agree on it byte for byte, so both use this function.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        host += f":{port}"
    return host


def _path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        return now.replace(tzinfo=UTC)
    return now.astimezone(UTC)


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    """Header names folded to lower case; repeated headers joined with ", " as HTTP allows."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        key = str(name).lower()
        out[key] = f"{out[key]}, {value}" if key in out else str(value)
    return out


# Loading a PEM key is costly (a private key's validation takes ~35 ms of CPU, holding the GIL),
# and the same few keys sign and verify again and again: keep the loaded objects.
@functools.lru_cache(maxsize=1024)
def _private_key(pem: str) -> rsa.RSAPrivateKey:
    try:
        # Only our own keys sign (made by core.keys), so their RSA parameters need no check.
        key = serialization.load_pem_private_key(
            pem.encode(), password=None, unsafe_skip_rsa_key_validation=True
        )
    except (ValueError, TypeError) as exc:
        raise SignatureError("private key is not a readable PEM key") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SignatureError("only RSA keys can sign (rsa-sha256)")
    return key


@functools.lru_cache(maxsize=4096)
def _public_key(pem: str) -> rsa.RSAPublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError, AttributeError) as exc:
        raise KeyMismatch("the signer's public key is not a readable PEM key") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise KeyMismatch("the signer's key is not an RSA key; only RSA is supported")
    return key


def _rsa_verify(key: rsa.RSAPublicKey, signature: bytes, data: bytes) -> None:
    try:
        key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as exc:
        raise KeyMismatch("signature does not verify with the signer's key") from exc


def _b64(value: str, what: str) -> bytes:
    try:
        return base64.b64decode(value.strip(), validate=True)
    except ValueError as exc:
        raise SignatureError(f"{what} is not valid base64") from exc


@dataclass(frozen=True)
class _Received:
    """A request being verified, and the caller's rules for it."""

    method: str
    path: str
    h: dict[str, str]
    body: bytes
    key: rsa.RSAPublicKey
    now: datetime
    max_age: timedelta
    max_future: timedelta
    need_digest: bool
    scheme: str

    def check_window(self, moment: datetime, what: str) -> None:
        if moment < self.now - self.max_age:
            raise SignatureError(f"{what} is too old ({moment:%Y-%m-%d %H:%M:%S} UTC)")
        if moment > self.now + self.max_future:
            raise SignatureError(f"{what} is in the future ({moment:%Y-%m-%d %H:%M:%S} UTC)")


# ---------------------------------------------------------------- draft-cavage


def sign_request(
    *,
    method: str,
    url: str,
    body: bytes | None,
    key_id: str,
    private_key_pem: str,
    now: datetime | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Headers that make a draft-cavage rsa-sha256 signed request, as Mastodon sends them.

    `extra_headers` are returned too and covered by the signature (after the usual ones).
    """
    headers = {"Host": host_for(url), "Date": format_datetime(_utc(now), usegmt=True)}
    if body is not None:
        headers["Digest"] = body_digest(body)
    for name, value in (extra_headers or {}).items():
        if name.lower() in ("host", "date", "digest", "signature"):
            raise ValueError(f"extra header {name} would replace a header the signer sets")
        headers[name] = value
    names = ["(request-target)"] + [name.lower() for name in headers]
    lines = [f"(request-target): {method.lower()} {_path_and_query(url)}"]
    lines += [f"{name.lower()}: {value}" for name, value in headers.items()]
    signature = _private_key(private_key_pem).sign(
        "\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    headers["Signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(names)}",'
        f'signature="{base64.b64encode(signature).decode()}"'
    )
    return headers


_PARAM = re.compile(
    r'\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*(?:,|$)'
)


def parse_cavage(value: str) -> dict[str, str]:
    """The parameters of a draft-cavage Signature header, with lower-case names."""
    if len(value) > _MAX_HEADER:
        raise SignatureError("Signature header is too long")
    if value[:10].lower() == "signature ":  # the Authorization: Signature ... form
        value = value[10:]
    params: dict[str, str] = {}
    pos = 0
    while pos < len(value):
        match = _PARAM.match(value, pos)
        if match is None or match.end() == pos:
            raise SignatureError("Signature header is malformed")
        name = match.group(1).lower()
        if name in params:
            raise SignatureError(f"Signature header repeats {match.group(1)}")
        quoted = match.group(2)
        params[name] = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else match.group(3)
        pos = match.end()
    return params


def _cavage_params(h: dict[str, str]) -> dict[str, str]:
    value = h.get("signature") or h.get("authorization", "")
    if not value:
        raise SignatureError("request is not signed (no Signature header)")
    return parse_cavage(value)


def _verify_digest_header(value: str, body: bytes) -> None:
    """All SHA-256/SHA-512 digests offered must match the body, and one must be SHA-256."""
    computed = {"sha-256": hashlib.sha256(body).digest(), "sha-512": hashlib.sha512(body).digest()}
    seen_sha256 = False
    for part in value.split(","):
        algorithm, sep, encoded = part.strip().partition("=")
        algorithm = algorithm.strip().lower()
        if not sep or algorithm not in computed:
            continue
        if not hmac.compare_digest(_b64(encoded, "Digest"), computed[algorithm]):
            raise SignatureError(f"Digest header ({algorithm}) does not match the body")
        seen_sha256 = seen_sha256 or algorithm == "sha-256"
    if not seen_sha256:
        raise SignatureError("Digest header has no SHA-256 digest")


def _verify_cavage(r: _Received) -> SignedBy:
    params = _cavage_params(r.h)
    key_id = params.get("keyid")
    if not key_id:
        raise SignatureError("Signature header has no keyId")
    if params.get("algorithm", "hs2019").lower() not in ("rsa-sha256", "hs2019"):
        raise SignatureError(f"unsupported signature algorithm {params['algorithm']!r}")
    signature = _b64(params.get("signature", ""), "signature")
    if not signature:
        raise SignatureError("Signature header has no signature")
    names = params.get("headers", "date").lower().split()
    for needed in ("(request-target)", "host"):
        if needed not in names:
            raise SignatureError(f"signed headers must include {needed}")
    if "date" not in names and "(created)" not in names:
        raise SignatureError("signed headers must include date or (created)")
    if r.need_digest and "digest" not in names:
        raise SignatureError("signed headers must include digest for a request with a body")

    if "date" in names:
        try:
            date = _utc(parsedate_to_datetime(r.h.get("date", "")))
        except (TypeError, ValueError, IndexError) as exc:
            raise SignatureError("Date header is missing or unreadable") from exc
        r.check_window(date, "Date")
    for pseudo in ("(created)", "(expires)"):
        if pseudo in names and not params.get(pseudo[1:-1], "").isdigit():
            raise SignatureError(f"{pseudo} is signed but its parameter is missing")
    if "(created)" in names:
        r.check_window(datetime.fromtimestamp(int(params["created"]), UTC), "(created)")
    if "(expires)" in names and int(params["expires"]) < r.now.timestamp():
        raise SignatureError("signature has expired")

    lines = []
    for name in names:
        if name == "(request-target)":
            lines.append(f"(request-target): {r.method.lower()} {r.path}")
        elif name in ("(created)", "(expires)"):
            lines.append(f"{name}: {params[name[1:-1]]}")
        elif name in r.h:
            lines.append(f"{name}: {r.h[name].strip()}")
        else:
            raise SignatureError(f"signed header {name} is missing from the request")
    _rsa_verify(r.key, signature, "\n".join(lines).encode())
    if "digest" in r.h:
        _verify_digest_header(r.h["digest"], r.body)
    elif r.need_digest:
        raise SignatureError("Digest header is missing")
    return SignedBy(key_id=key_id, scheme="cavage")


# ---------------------------------------------------------------- RFC 9421


def _sf_dict(value: str, what: str) -> http_sfv.Dictionary:
    if len(value) > _MAX_HEADER:
        raise SignatureError(f"{what} header is too long")
    parsed = http_sfv.Dictionary()
    try:
        parsed.parse(value.encode("latin-1"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise SignatureError(f"{what} header is not a valid structured field") from exc
    return parsed


def _rfc9421_member(h: dict[str, str]) -> tuple[str, http_sfv.InnerList, bytes]:
    inputs = _sf_dict(h["signature-input"], "Signature-Input")
    signatures = _sf_dict(h.get("signature", ""), "Signature") if h.get("signature") else {}
    for label, covered in inputs.items():
        if label not in signatures:
            continue
        sig = signatures[label]
        if not isinstance(covered, http_sfv.InnerList):
            raise SignatureError(f"Signature-Input member {label} is not an inner list")
        if not isinstance(sig, http_sfv.Item) or not isinstance(sig.value, bytes):
            raise SignatureError(f"Signature member {label} is not a byte sequence")
        return label, covered, sig.value
    raise SignatureError("Signature-Input has no matching Signature member")


def _component(name: str, params: dict, r: _Received) -> str:
    bare_path, _, query = r.path.partition("?")
    host = r.h.get("host", "").strip().lower()
    if name.startswith("@"):
        if params:
            raise SignatureError(f"component {name} with parameters is not supported")
        derived = {
            "@method": r.method.upper(),
            "@target-uri": f"{r.scheme}://{host}{r.path}",
            "@authority": host,
            "@scheme": r.scheme.lower(),
            "@request-target": r.path,
            "@path": bare_path or "/",
            "@query": f"?{query}",
        }
        if name not in derived:
            raise SignatureError(f"component {name} is not supported")
        return derived[name]
    if name not in r.h:
        raise SignatureError(f"covered header {name} is missing from the request")
    if not params:
        return r.h[name].strip()
    if params == {"sf": True} and name in ("content-digest", "repr-digest"):
        return str(_sf_dict(r.h[name], name))
    raise SignatureError(f"parameters {sorted(params)} on {name} are not supported")


def _verify_content_digest(value: str, body: bytes) -> None:
    computed = {"sha-256": hashlib.sha256(body).digest(), "sha-512": hashlib.sha512(body).digest()}
    seen_sha256 = False
    for algorithm, member in _sf_dict(value, "Content-Digest").items():
        if algorithm not in computed:
            continue
        if not isinstance(member, http_sfv.Item) or not isinstance(member.value, bytes):
            raise SignatureError(f"Content-Digest {algorithm} is not a byte sequence")
        if not hmac.compare_digest(member.value, computed[algorithm]):
            raise SignatureError(f"Content-Digest ({algorithm}) does not match the body")
        seen_sha256 = seen_sha256 or algorithm == "sha-256"
    if not seen_sha256:
        raise SignatureError("Content-Digest has no sha-256 digest")


def _int_param(params: Mapping, name: str) -> int | None:
    value = params.get(name)
    if value is None:
        return None
    if type(value) is not int:
        raise SignatureError(f"signature parameter {name} must be an integer")
    return value


def _verify_rfc9421(r: _Received) -> SignedBy:
    _, covered, signature = _rfc9421_member(r.h)
    params = covered.params
    key_id = params.get("keyid")
    if not isinstance(key_id, str) or not key_id:
        raise SignatureError("Signature-Input has no keyid")
    if params.get("alg", "rsa-v1_5-sha256") != "rsa-v1_5-sha256":
        raise SignatureError(f"unsupported signature algorithm {params.get('alg')!r}")
    created = _int_param(params, "created")
    if created is None:
        raise SignatureError("Signature-Input has no created parameter")
    try:
        created_at = datetime.fromtimestamp(created, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise SignatureError("created parameter is out of range") from exc
    r.check_window(created_at, "created")
    expires = _int_param(params, "expires")
    if expires is not None and expires < r.now.timestamp():
        raise SignatureError("signature has expired")

    lines: list[str] = []
    identifiers: set[str] = set()
    names: set[str] = set()
    for item in covered:
        if not isinstance(item.value, str):
            raise SignatureError("covered components must be strings")
        identifier = str(item)
        if identifier in identifiers:
            raise SignatureError(f"component {identifier} is covered twice")
        identifiers.add(identifier)
        names.add(item.value)
        value = _component(item.value, dict(item.params), r)
        lines.append(f"{identifier}: {value}")
    lines.append(f'"@signature-params": {covered}')
    if "@method" not in names:
        raise SignatureError("signature must cover @method")
    if "@authority" not in names and "@target-uri" not in names:
        raise SignatureError("signature must cover @authority (or @target-uri)")
    path_covered = "@path" in names and ("?" not in r.path or "@query" in names)
    if not (path_covered or "@target-uri" in names or "@request-target" in names):
        raise SignatureError("signature must cover @target-uri, or @path and @query")
    if r.need_digest and "content-digest" not in names:
        raise SignatureError("signature must cover content-digest for a request with a body")

    _rsa_verify(r.key, signature, "\n".join(lines).encode())
    if "content-digest" in r.h:
        _verify_content_digest(r.h["content-digest"], r.body)
    elif r.need_digest:
        raise SignatureError("Content-Digest header is missing")
    return SignedBy(key_id=key_id, scheme="rfc9421")


def sign_request_rfc9421(
    *,
    method: str,
    url: str,
    body: bytes | None,
    key_id: str,
    private_key_pem: str,
    now: datetime | None = None,
    label: str = "sig1",
) -> dict[str, str]:
    """Headers for an RFC 9421 rsa-v1_5-sha256 signature over method, target URI, authority
    and (with a body) Content-Digest. Used by tests and by anyone who wants the newer format."""
    parts = urlsplit(url)
    host = host_for(url)
    headers = {"Host": host}
    values = {
        "@method": method.upper(),
        "@target-uri": f"{parts.scheme.lower()}://{host}{_path_and_query(url)}",
        "@authority": host,
    }
    if body is not None:
        headers["Content-Digest"] = values["content-digest"] = content_digest(body)
    covered = http_sfv.InnerList(list(values))
    covered.params["created"] = int(_utc(now).timestamp())
    covered.params["keyid"] = key_id
    covered.params["alg"] = "rsa-v1_5-sha256"
    lines = [f'"{name}": {value}' for name, value in values.items()]
    lines.append(f'"@signature-params": {covered}')
    signature = _private_key(private_key_pem).sign(
        "\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    inputs, signatures = http_sfv.Dictionary(), http_sfv.Dictionary()
    inputs[label] = covered
    signatures[label] = signature
    headers["Signature-Input"] = str(inputs)
    headers["Signature"] = str(signatures)
    return headers


# ---------------------------------------------------------------- entry points


def signature_key_id(headers: Mapping[str, str]) -> str:
    """Which key signed this request (RFC 9421 preferred), so the caller can fetch it."""
    h = _lower(headers)
    try:
        if "signature-input" in h:
            key_id = _rfc9421_member(h)[1].params.get("keyid")
        else:
            key_id = _cavage_params(h).get("keyid")
    except SignatureError:
        raise
    except Exception as exc:  # hostile input must never become a traceback
        raise SignatureError("signature headers are unreadable") from exc
    if not isinstance(key_id, str) or not key_id:
        raise SignatureError("signature names no key id")
    return key_id


def verify_request(
    *,
    method: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes,
    public_key_pem: str,
    now: datetime | None = None,
    max_age: timedelta = timedelta(hours=12),
    max_future: timedelta = timedelta(hours=1),  # clock skew Mastodon tolerates
    require_digest: bool | None = None,
    scheme: str = "https",
    expected_host: str | None = None,
) -> SignedBy:
    """Check a received request's signature; return who signed it or raise SignatureError.

    `path` is the raw path with its query string. The body digest is required (and must be
    signed) for requests with a body unless `require_digest` says otherwise. `scheme` rebuilds
    the target URI for RFC 9421. `expected_host`, when given, must equal the Host header: it
    stops a request signed for another server from being replayed here.
    """
    try:
        h = _lower(headers)
        if expected_host is not None and h.get("host", "").lower() != expected_host.lower():
            raise SignatureError(f"request is addressed to {h.get('host')!r}, not to this server")
        if require_digest is None:  # a body must be bound to the signature
            require_digest = bool(body) or method.upper() not in ("GET", "HEAD")
        key = _public_key(public_key_pem)
        received = _Received(method, path, h, body, key, _utc(now), max_age, max_future,
                             require_digest, scheme)  # fmt: skip
        if "signature-input" in h:
            return _verify_rfc9421(received)
        return _verify_cavage(received)
    except SignatureError:
        raise
    except Exception as exc:  # hostile input must never become a traceback
        raise SignatureError(f"signature could not be checked ({type(exc).__name__})") from exc
