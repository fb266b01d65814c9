"""HTTP plumbing shared by every API module: JSON responses, Mastodon errors, parameters.

Mastodon clients send the same fields as query strings, forms, multipart or JSON, booleans as
true/false/1/0, arrays as `ids[]` or `ids`, nested objects as `poll[options][]`. `Params`
flattens all of that into one reader so handlers never care how a client spelled its request.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import orjson
from starlette.requests import Request

from pnyx.edges.http import (  # noqa: F401  (the API modules import them from here)
    JSON,
    ApiError,
    database,
    error_response,
    json_bytes,
    not_found,
    unprocessable,
    without_nul,
)

log = logging.getLogger("pnyx.api")

TRUE = {"1", "true", "on", "yes", "t"}
# How deeply parameters may nest (`a[b][c]...` keys, JSON objects and arrays). Mastodon's
# deepest is three or four levels; the bound keeps every recursive reader far from Python's
# recursion limit, whatever a client sends.
MAX_DEPTH = 400
FALSE = {"0", "false", "off", "no", "f", ""}


class TooDeep(ApiError):
    """Parameters nested past MAX_DEPTH: refused before anything recurses into them."""

    def __init__(self) -> None:
        super().__init__(400, f"Parameters are nested too deeply (maximum is {MAX_DEPTH} levels)")


_BRACKETS = re.compile(r"\[([^\]]*)\]")


def _nest(target: dict, key: str, value: Any) -> None:
    """Put a form field like `poll[options][]` or `fields_attributes[0][name]` into a dict."""
    head, _, rest = key.partition("[")
    parts = [head] + (_BRACKETS.findall("[" + rest) if rest else [])
    if len(parts) > MAX_DEPTH:
        raise TooDeep()
    node: Any = target
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        nxt = None if last else parts[i + 1]
        if last:
            if part == "":
                if isinstance(node, list):
                    node.append(value)
                return
            if isinstance(node, dict):
                if part in node and head == part and i == 0 and not rest:
                    # A repeated plain key (ids=1&ids=2) becomes a list.
                    existing = node[part]
                    node[part] = (
                        existing + [value] if isinstance(existing, list) else [existing, value]
                    )
                else:
                    node[part] = value
            return
        want_list = nxt == ""
        if isinstance(node, list):
            if part == "":
                child: Any = [] if want_list else {}
                node.append(child)
                node = child
                continue
            return
        child = node.get(part)
        if (
            child is None
            or (want_list and not isinstance(child, list))
            or (not want_list and not isinstance(child, dict))
        ):
            child = [] if want_list else {}
            node[part] = child
        node = child


def depth_of(value: Any, limit: int = MAX_DEPTH) -> int:
    """Nesting depth of parsed JSON (an object or array counts one level), without recursion;
    stops counting once past `limit`."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, (dict, list)):
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def _listlike_to_list(value: Any) -> Any:
    """`{"0": {...}, "1": {...}}` (indexed form fields) becomes a list, in index order."""
    if isinstance(value, dict):
        converted = {k: _listlike_to_list(v) for k, v in value.items()}
        if converted and all(k.isdigit() for k in converted):
            return [converted[k] for k in sorted(converted, key=int)]
        return converted
    if isinstance(value, list):
        return [_listlike_to_list(v) for v in value]
    return value


class Params:
    """Every parameter a request carries, from query string and body, with lenient readers."""

    def __init__(self, data: dict[str, Any], files: dict[str, Any] | None = None):
        self.data = data
        self.files = files or {}

    @classmethod
    def from_pairs(cls, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            _nest(out, key, value)
        return _listlike_to_list(out)

    def raw(self, name: str) -> Any:
        if name in self.data:
            return self.data[name]
        return self.data.get(name + "[]")

    def has(self, name: str) -> bool:
        return self.raw(name) is not None

    def str(
        self, name: str, default: str | None = None, *, max_len: int | None = None
    ) -> str | None:
        value = self.raw(name)
        if value is None:
            return default
        if isinstance(value, list):
            value = value[-1] if value else default
            if value is None:
                return default
        if isinstance(value, (dict, list)):
            raise unprocessable(f"{name} must be a string")
        value = value if isinstance(value, str) else str(value)
        if max_len is not None and len(value) > max_len:
            raise unprocessable(f"{name} is too long (maximum is {max_len} characters)")
        return value

    def bool(self, name: str, default: bool | None = None) -> bool | None:
        value = self.raw(name)
        if isinstance(value, list):
            value = value[-1] if value else None
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)):
            return bool(value)
        text = str(value).strip().lower()
        if text in TRUE:
            return True
        if text in FALSE:
            return False
        raise unprocessable(f"{name} must be a boolean")

    def int(
        self,
        name: str,
        default: int | None = None,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        value = self.raw(name)
        if isinstance(value, list):
            value = value[-1] if value else None
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            raise unprocessable(f"{name} must be a number")
        try:
            number = int(value) if not isinstance(value, float) else int(value)
        except (TypeError, ValueError):
            raise unprocessable(f"{name} must be a number") from None
        if minimum is not None and number < minimum:
            raise unprocessable(f"{name} must be at least {minimum}")
        if maximum is not None and number > maximum:
            raise unprocessable(f"{name} must be at most {maximum}")
        return number

    def list(self, name: str, *, max_items: int = 100) -> list[str]:
        value = self.data.get(name + "[]")
        if value is None:
            value = self.data.get(name)
        if value is None:
            return []
        if isinstance(value, dict):
            value = list(value.values())
        if not isinstance(value, list):
            value = [value]
        if len(value) > max_items:
            raise unprocessable(f"{name} has too many items (maximum is {max_items})")
        out = []
        for item in value:
            if isinstance(item, (dict, list)):
                raise unprocessable(f"{name} must be a list of strings")
            out.append(
                item
                if isinstance(item, str)
                else str(item).lower()
                if isinstance(item, bool)
                else str(item)
            )
        return out

    def dict(self, name: str) -> dict[str, Any] | None:
        value = self.raw(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise unprocessable(f"{name} must be an object")
        return value

    def sub(self, name: str) -> Params:
        return Params(self.dict(name) or {})


async def _read_body(request: Request, max_bytes: int) -> bytes:
    """The body, refused with 413 as soon as it grows past `max_bytes` (never read whole
    first: a chunked body has no Content-Length to check beforehand)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise ApiError(413, "Request body too large")
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_json(body: bytes) -> dict[str, Any]:
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise ApiError(400, "Malformed JSON body") from None
    if not isinstance(parsed, dict):
        raise ApiError(400, "JSON body must be an object")
    if depth_of(parsed) > MAX_DEPTH:
        raise TooDeep()
    return _listlike_to_list(parsed)


async def _read_form(request: Request, data: dict, files: dict) -> None:
    try:
        form = await request.form(max_files=8, max_fields=1000)
    except ApiError:
        raise  # the body limit, raised while the form streamed in
    except Exception:  # noqa: BLE001 - any parse failure is the client's
        raise ApiError(400, "Malformed form body") from None
    form_pairs = []
    for key, value in form.multi_items():
        if hasattr(value, "filename") and hasattr(value, "read"):
            files[key] = value
        else:
            form_pairs.append((key, value))
    data.update(Params.from_pairs(form_pairs))


async def read_params(request: Request, *, max_bytes: int | None = None) -> Params:
    """Query string merged with the body, whatever its encoding. Body fields win."""
    try:
        return await _read_params(request, max_bytes)
    except TooDeep:
        # One line, not a traceback: these requests are made to flood the log.
        log.info("refused %s %s: parameters nested too deeply", request.method, request.url.path)
        raise


async def _read_params(request: Request, max_bytes: int | None) -> Params:
    if max_bytes is None:
        max_bytes = request.app.state.settings.max_request_bytes
    pairs: list[tuple[str, Any]] = list(request.query_params.multi_items())
    data = Params.from_pairs(pairs)
    files: dict[str, Any] = {}
    # Some clients (Mastodon.py among them) send parameters of a GET in a body, as Rails reads
    # them from anywhere; so any request that carries a body has it read.
    has_body = request.method in ("POST", "PUT", "PATCH", "DELETE") or (
        request.headers.get("content-length", "0") not in ("", "0")
        or "chunked" in request.headers.get("transfer-encoding", "")
    )
    if has_body:
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > max_bytes:
            raise ApiError(413, "Request body too large")
        if ctype in ("multipart/form-data", "application/x-www-form-urlencoded"):
            await _read_form(request, data, files)
        else:
            body = await _read_body(request, max_bytes)
            if body.strip() and (ctype.endswith("json") or body.lstrip()[:1] in (b"{", b"[")):
                data.update(_parse_json(body))
    return Params(without_nul(data), files)


def path_id(request: Request, name: str = "id") -> int:
    """An id from the URL (routes use `{id:int}`); out-of-range ids are simply not found."""
    from pnyx.db.ids import parse_id

    value = parse_id(str(request.path_params.get(name, "")))
    if value is None:
        raise not_found()
    return value
