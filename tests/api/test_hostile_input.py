"""Every route of the app, fed malformed and hostile input, never answers 5xx.

The walk discovers the routes from the app itself (`app.routes`) and the parameter names from
the API modules' source (every `params.str("name")`, `.int(...)`, `.bool(...)` ...), so routes
and fields added later are walked too without touching this file. For each route it substitutes
path parameters with a real id (of a status, account, poll or notification that exists), a huge
id, a negative id and garbage, and sends, with and without a valid token: malformed JSON, a JSON
array, deeply nested JSON, huge strings, wrong types, unknown fields, invalid booleans, bracket
soup in forms, non-UTF-8 bytes and repeated query keys.

It asserts that no response is a 5xx (or an exception escaping the app) and that every 2xx and
4xx answer under /api/ (and OAuth's token endpoints) is JSON, errors as `{"error": "..."}` the
way Mastodon clients read them. All violations are collected and reported together.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from starlette.convertors import IntegerConvertor
from starlette.routing import Mount, Route

import pnyx.api
import pnyx.web

HUGE_ID = "99999999999999999999"
JSON_CT = {"Content-Type": "application/json"}
FORM_CT = {"Content-Type": "application/x-www-form-urlencoded"}
# Fields every Mastodon endpoint family reads; the source scan adds whatever else handlers read.
BASE_FIELDS = [
    "status",
    "spoiler_text",
    "visibility",
    "in_reply_to_id",
    "media_ids",
    "poll",
    "sensitive",
    "language",
    "scheduled_at",
    "choices",
    "reblogs",
    "notify",
    "duration",
    "comment",
    "display_name",
    "note",
    "locked",
    "bot",
    "discoverable",
    "fields_attributes",
    "q",
    "type",
    "limit",
    "max_id",
    "since_id",
    "min_id",
    "id",
    "ids",
    "types",
    "exclude_types",
    "account_id",
    "resolve",
    "following",
    "offset",
    "client_name",
    "redirect_uris",
    "scopes",
    "website",
    "grant_type",
    "client_id",
    "client_secret",
    "code",
    "username",
    "password",
    "email",
    "agreement",
    "locale",
    "reason",
    "token",
    "redirect_uri",
    "scope",
    "response_type",
    "state",
    "code_verifier",
    "code_challenge",
    "code_challenge_method",
    "expires_in",
    "multiple",
    "hide_totals",
    "options",
    "local",
    "remote",
    "only_media",
    "exclude_replies",
    "exclude_reblogs",
    "pinned",
    "tagged",
    "any",
    "all",
    "none",
    "last_read_id",
    "timeline",
    "home",
    "notifications",
    "acct",
    "hashtag",
]
_PARAM_CALL = re.compile(
    r"\.(?:str|bool|int|list|dict|sub|has|raw)\(\s*[\"']([A-Za-z0-9_\[\]]+)[\"']"
)


def discovered_fields() -> list[str]:
    """Parameter names the handlers read, found in the API and web modules' source."""
    names = set(BASE_FIELDS)
    for package in (pnyx.api, pnyx.web):
        for path in Path(package.__file__).parent.glob("*.py"):
            names.update(_PARAM_CALL.findall(path.read_text(errors="replace")))
    return sorted(n for n in names if n and len(n) < 64)


# --------------------------------------------------------------------------- bodies


@dataclass
class Probe:
    """One hostile request body (or query), with a short name for the report."""

    name: str
    content: bytes | None = None
    headers: dict[str, str | bytes] = field(default_factory=dict)
    query: str = ""


def _nested(depth: int) -> bytes:
    return b'{"status":' * depth + b'"x"' + b"}" * depth


def probes(fields: list[str]) -> list[Probe]:
    """The hostile inputs, built once per walk."""

    def as_json(value_for) -> bytes:
        return json.dumps({name: value_for(name) for name in fields}).encode()

    soup = "&".join(
        [
            "a[][][b]=1",
            "a[b][]=2",
            "a[b][c][d][e][f][g][h][]=3",
            "[]=1",
            "[[]]=2",
            "a]=3",
            "a[=4",
            "%5B%5D=5",
            "=6",
            "&&&",
            "poll[options][][]=1",
            "poll[options][x]=2",
            "poll[options]=3",
            "poll=4",
            "poll[expires_in][]=5",
            "fields_attributes[0][name][]=x",
            "fields_attributes[x]=1",
            "fields_attributes[]=2",
        ]
        + [f"{name}[]=1&{name}[x][]=2&{name}[][y]=3" for name in fields]
    )
    repeated = "&".join(
        f"{name}=1&{name}=abc&{name}[]=2&{name}=-5&{name}={HUGE_ID}" for name in fields
    )
    return [
        Probe("empty", b""),
        Probe("malformed-json", b'{"status": "unterminated', JSON_CT),
        Probe("json-garbage", b"{]}{[", JSON_CT),
        Probe("json-array", b'[1, "two", {"status": "x"}]', JSON_CT),
        Probe("json-scalar", b'"just a string"', JSON_CT),
        Probe("json-null", b"null", JSON_CT),
        Probe("json-empty-body", b"", JSON_CT),
        Probe("json-nested-200", _nested(200), JSON_CT),
        Probe("json-nested-100000", _nested(100_000), JSON_CT),
        Probe("json-array-nested", b"[" * 50_000 + b"]" * 50_000, JSON_CT),
        Probe("json-huge-1mb", json.dumps({"status": "x" * 1_000_001}).encode(), JSON_CT),
        Probe("json-big-strings", as_json(lambda n: "\u00e9" * 1500), JSON_CT),
        Probe("json-900kb-status", json.dumps({"status": "y" * 900_000}).encode(), JSON_CT),
        Probe("json-numbers", as_json(lambda n: 10**25), JSON_CT),
        Probe("json-negative", as_json(lambda n: -1), JSON_CT),
        Probe("json-floats", as_json(lambda n: 1e308), JSON_CT),
        Probe("json-objects", as_json(lambda n: {"a": {"b": [1, None]}}), JSON_CT),
        Probe("json-lists", as_json(lambda n: [1, "x", {"y": 2}, [3]]), JSON_CT),
        Probe("json-nulls", as_json(lambda n: None), JSON_CT),
        Probe("json-bools", as_json(lambda n: True), JSON_CT),
        Probe("json-bad-bools", as_json(lambda n: "maybe"), JSON_CT),
        Probe("json-empty-strings", as_json(lambda n: ""), JSON_CT),
        Probe("json-control-chars", as_json(lambda n: "\x00\x01\u202e\ud7ff\n"), JSON_CT),
        Probe(
            "json-unknown-fields",
            json.dumps({"zz_unknown": 1, "status": "hello", "__proto__": {}}).encode(),
            JSON_CT,
        ),
        Probe("json-lone-surrogate", b'{"status": "\\ud800"}', JSON_CT),
        Probe("json-non-utf8", b'{"status": "\xff\xfe\xfd"}', JSON_CT),
        Probe("form-bracket-soup", soup.encode(), FORM_CT),
        Probe("form-repeated", repeated.encode(), FORM_CT),
        Probe("form-bad-bools", "&".join(f"{n}=maybe" for n in fields).encode(), FORM_CT),
        Probe("form-non-utf8", b"status=\xff\xfe&\xfe\xff=1&visibility=%FF%FE", FORM_CT),
        Probe("form-huge", b"status=" + b"x" * 1_000_001, FORM_CT),
        Probe("form-as-json", b"status=hello&visibility=public", JSON_CT),
        Probe("json-as-form", b'{"status": "hello"}', FORM_CT),
        Probe(
            "multipart-broken",
            b'--xyz\r\nContent-Disposition: form-data; name="status"\r\n\r\nhi',
            {"Content-Type": "multipart/form-data; boundary=xyz"},
        ),
        Probe("multipart-no-boundary", b"garbage", {"Content-Type": "multipart/form-data"}),
        Probe("binary-octet", bytes(range(256)) * 4, {"Content-Type": "application/octet-stream"}),
        Probe("auth-huge-token", b"", {"Authorization": "Bearer " + "x" * 10_000}),
        Probe(
            "auth-not-bearer",
            b"",
            {"Authorization": "Basic \u00e9\u00e9=".encode()},
        ),
        Probe("auth-empty-bearer", b"", {"Authorization": "Bearer    "}),
        Probe("query-access-token", None, {"Authorization": ""}, "access_token=" + "%FF" * 300),
        Probe(
            "idempotency-huge",
            json.dumps({"status": "idempotent?"}).encode(),
            {**JSON_CT, "Idempotency-Key": "k" * 10_000},
        ),
        Probe(
            "json-latin1-charset",
            '{"status": "caf\u00e9"}'.encode("latin-1"),
            {"Content-Type": "application/json; charset=latin-1"},
        ),
        Probe("query-huge", None, {}, "q=" + "x" * 30_000 + "&status=" + "y" * 30_000),
        *semantic_probes(),
        Probe("query-repeated", None, {}, repeated),
        Probe("query-nul", None, {}, "&".join(f"{name}=a%00b" for name in fields)),
        Probe("form-nul", "&".join(f"{n}=a%00b" for n in fields).encode(), FORM_CT),
        Probe("query-bracket-soup", None, {}, soup),
        Probe("query-non-utf8", None, {}, "status=%FF%FE&limit=%C0%AF&max_id=%00&q=%ED%A0%80"),
        Probe(
            "query-wrong-types",
            None,
            {},
            f"limit=abc&limit=-1&max_id={HUGE_ID}&since_id=-5&min_id=x&local=maybe&q[]=1&"
            "types[]=nope&exclude_types=1&offset=-9&resolve=perhaps&id[]=1",
        ),
    ]


def semantic_probes() -> list[Probe]:
    """Well-formed bodies with hostile values where handlers compute with them: durations that
    overflow a timedelta, dates out of range, nested poll and profile fields of the wrong
    type, huge and negative ids as JSON numbers."""
    big = 10**25
    poll = {"options": ["a", "b"], "expires_in": 3600}
    bodies = {
        "poll-expires-huge": {"status": "x", "poll": {**poll, "expires_in": big}},
        "poll-expires-negative": {"status": "x", "poll": {**poll, "expires_in": -big}},
        "poll-expires-float": {"status": "x", "poll": {**poll, "expires_in": 1e308}},
        "poll-expires-string": {"status": "x", "poll": {**poll, "expires_in": "soon"}},
        "poll-options-types": {"status": "x", "poll": {**poll, "options": [big, None, {}, [1]]}},
        "poll-options-many": {"status": "x", "poll": {**poll, "options": ["o"] * 1000}},
        "poll-options-string": {"status": "x", "poll": {**poll, "options": "a,b"}},
        "poll-flags": {"status": "x", "poll": {**poll, "multiple": "maybe", "hide_totals": {}}},
        "scheduled-far": {"status": "x", "scheduled_at": "+999999-01-01T00:00:00Z"},
        "scheduled-bogus": {"status": "x", "scheduled_at": "2024-13-45T99:99:99Z"},
        "scheduled-max": {"status": "x", "scheduled_at": "9999-12-31T23:59:59Z"},
        "scheduled-number": {"status": "x", "scheduled_at": big},
        "durations": {"duration": big, "expires_in": 1e308, "notifications": "maybe"},
        "durations-negative": {"duration": -big, "expires_in": -1},
        "fields-attributes": {
            "fields_attributes": [{"name": big, "value": {"a": 1}}] * 50,
            "display_name": big,
            "note": ["x"],
        },
        "fields-attributes-map": {"fields_attributes": {"0": {"name": None}, "x": 5}},
        "choices": {"choices": [big, -1, "x", None]},
        "ids-as-numbers": {
            "status": "x",
            "in_reply_to_id": big,
            "id": [big, -big],
            "account_id": -1,
            "max_id": 10**40,
            "last_read_id": big,
        },
        "ids-as-strings": {
            "status": "x",
            "in_reply_to_id": "99999999999999999999999",
            "id": ["-1", "0", "abc"],
            "last_read_id": "-5",
        },
        "media-ids": {"status": "x", "media_ids": ["1"] * 1000},
        "media-ids-numbers": {"status": "x", "media_ids": [big, -1]},
        "status-fields": {"status": "x", "language": "x" * 1000, "visibility": big},
        "markers": {"home": {"last_read_id": big}, "notifications": {"last_read_id": "x"}},
        "markers-types": {"home": "x", "notifications": [1]},
        "limits-float": {"limit": 1e308, "offset": -big},
    }
    out = [
        Probe(f"semantic-{name}", json.dumps(body).encode(), JSON_CT)
        for name, body in bodies.items()
    ]
    out.append(
        Probe(
            "semantic-form-poll",
            b"status=x&poll[options][]=a&poll[options][]=b&poll[expires_in]=" + b"9" * 40,
            FORM_CT,
        )
    )
    out.append(
        Probe(
            "semantic-query-numbers",
            None,
            {},
            f"limit={10**25}&max_id={10**40}&since_id=-{10**25}&min_id=1e5&offset={10**25}",
        )
    )
    return out


# Bodies also sent with GET requests: Rails reads them, Mastodon.py sends JSON bodies on some
# GETs, and our parameter reader reads them too.
GET_BODY_PROBES = {
    "malformed-json",
    "json-array",
    "json-nested-100000",
    "json-huge-1mb",
    "json-numbers",
    "json-objects",
    "json-lists",
    "json-control-chars",
    "json-non-utf8",
    "form-bracket-soup",
    "form-non-utf8",
    "multipart-broken",
    "semantic-ids-as-numbers",
    "semantic-limits-float",
}


# Probes also sent without a token (a stranger cannot get past auth on most routes, so a few
# kinds suffice there; public routes such as apps, token and registration parse them all).
ANONYMOUS_PROBES = {
    "empty",
    "malformed-json",
    "json-array",
    "json-nested-100000",
    "json-numbers",
    "json-objects",
    "json-lists",
    "json-bad-bools",
    "json-non-utf8",
    "form-bracket-soup",
    "form-repeated",
    "form-non-utf8",
    "form-huge",
    "multipart-broken",
    "query-repeated",
    "query-non-utf8",
    "query-wrong-types",
    "query-nul",
    "form-nul",
}


# --------------------------------------------------------------------------- routes


@dataclass
class Target:
    path_template: str
    methods: list[str]
    params: dict  # name -> convertor


def walk_routes(routes, prefix: str = "") -> Iterator[Target]:
    for route in routes:
        if isinstance(route, Route):
            methods = sorted(m for m in (route.methods or {"GET"}) if m != "HEAD")
            yield Target(prefix + route.path_format, methods, dict(route.param_convertors))
        elif isinstance(route, Mount):
            sub = getattr(route, "routes", None) or []
            if sub:
                yield from walk_routes(sub, prefix + route.path)
            else:
                base = prefix + route.path.rstrip("/")
                for tail in ("/x", "/../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/%00"):
                    yield Target(base + tail, ["GET"], {})
        # WebSocket routes (streaming) are not HTTP requests; the streaming tests cover them.


def _kind_of(path: str, name: str) -> str:
    """Which real object an id parameter names, judged from the route."""
    lowered = name.lower()
    for kind in ("account", "status", "poll", "notification"):
        if lowered.startswith(kind):
            return kind
    if "/accounts" in path or "/follow_requests" in path or "/suggestions" in path:
        return "account"
    if "/polls" in path:
        return "poll"
    if "/notifications" in path:
        return "notification"
    return "status"


def path_variants(target: Target, real: dict[str, str]) -> list[tuple[str, str]]:
    """(label, concrete path) pairs: the real-object path first, then hostile substitutes."""
    if not target.params:
        return [("plain", target.path_template)]

    def fill(choose) -> str:
        path = target.path_template
        for name, convertor in target.params.items():
            path = path.replace("{" + name + "}", choose(name, convertor))
        return path

    def real_value(name, convertor):
        if isinstance(convertor, IntegerConvertor):
            return real.get(_kind_of(target.path_template, name)) or real["account"]
        lowered = name.lower()
        if "acct" in lowered or "name" in lowered or "user" in lowered:
            return real["username"]
        return "pnyxwalk"

    variants = [("real", fill(real_value))]
    hostile = [
        ("huge-id", lambda n, c: HUGE_ID),
        ("negative-id", lambda n, c: "-1"),
        ("zero-id", lambda n, c: "0"),
        ("garbage", lambda n, c: "abc%00%FF%FE..%2F"),
        ("long", lambda n, c: "9" * 5000 if isinstance(c, IntegerConvertor) else "x" * 5000),
    ]
    for label, chooser in hostile:
        variants.append((label, fill(chooser)))
    return variants


# --------------------------------------------------------------------------- the walk


# Answers Mastodon gives in plain text: the streaming server's health check ("OK").
PLAIN_TEXT = ("/api/v1/streaming/health",)


def _json_expected(path: str) -> bool:
    if path in PLAIN_TEXT:
        return False
    return path.startswith("/api/") or path in ("/oauth/token", "/oauth/revoke")


@dataclass
class Violation:
    method: str
    route: str  # the route's template, so one broken route reads as one line
    label: str  # which substitution and probe, and whether a token was sent
    outcome: str
    url: str


def _check(response, method, url, route, label, violations: list[Violation]) -> None:
    path = url.split("?", 1)[0]
    code = response.status_code

    def add(outcome: str) -> None:
        violations.append(Violation(method, route, label, outcome, url))

    if code >= 500:
        add(f"{code}: {response.text[:200]}")
        return
    if not _json_expected(path) or not (200 <= code < 300 or 400 <= code < 500):
        return
    if code == 204:
        return
    ctype = response.headers.get("content-type", "")
    if not ctype.startswith("application/json"):
        add(f"{code} with Content-Type {ctype!r}: {response.text[:120]}")
        return
    try:
        body = response.json()
    except ValueError:
        add(f"{code} invalid JSON: {response.text[:120]}")
        return
    if code >= 400 and not (isinstance(body, dict) and isinstance(body.get("error"), str)):
        add(f"{code} error body without 'error': {response.text[:120]}")


class Walker:
    """Sends requests through the test client and records every violation."""

    def __init__(self, client):
        self.client = client
        self.violations: list[Violation] = []
        self.sent = 0

    def send(self, method, url, route, probe: Probe | None, headers, label) -> None:
        full = url
        content = None
        all_headers = dict(headers)
        if probe is not None:
            if probe.query:
                full = url + ("&" if "?" in url else "?") + probe.query
            content = probe.content
            all_headers.update(probe.headers)
        self.sent += 1
        try:
            response = self.client.request(method, full, content=content, headers=all_headers)
        except Exception as exc:  # noqa: BLE001 - an exception escaping the app is a 500
            first_line = (str(exc).strip().splitlines() or [""])[0]
            text = re.sub(r"value has \d+ digits.*", "...", first_line)[:200]
            outcome = f"raised {type(exc).__name__}: {text}"
            self.violations.append(Violation(method, route, label, outcome, full))
            return
        _check(response, method, full, route, label, self.violations)


def _create_objects(client, owner, other) -> dict[str, str]:
    """Real objects to substitute for ids: made through the API, as a user would."""
    real = {"account": str(other.account_id), "username": other.username}
    r = client.post(
        "/api/v1/statuses",
        json={"status": "a poll to walk", "poll": {"options": ["a", "b"], "expires_in": 3600}},
        headers=other.headers,
    )
    if r.status_code == 200:
        real["poll"] = str((r.json().get("poll") or {}).get("id") or "") or ""
        real["other_status"] = str(r.json()["id"])
    client.post(f"/api/v1/accounts/{owner.account_id}/follow", headers=other.headers)
    r = client.get("/api/v1/notifications", headers=owner.headers)
    if r.status_code == 200 and isinstance(r.json(), list) and r.json():
        real["notification"] = str(r.json()[0]["id"])
    return {k: v for k, v in real.items() if v}


def _fresh_status(client, owner) -> str | None:
    r = client.post("/api/v1/statuses", json={"status": "walk #pnyxwalk"}, headers=owner.headers)
    return str(r.json()["id"]) if r.status_code == 200 else None


def test_no_route_answers_5xx_to_hostile_input(app, client, make_user):
    owner = make_user("walker")
    other = make_user("target")
    real = _create_objects(client, owner, other)
    fields = discovered_fields()
    all_probes = probes(fields)
    malformed = next(p for p in all_probes if p.name == "malformed-json")
    targets = list(walk_routes(app.routes))
    assert targets, "the app has no routes to walk"
    walker = Walker(client)
    token_and_anonymous = ((owner.headers, "token"), ({}, "anonymous"))
    for target in targets:
        # A fresh status of the walker's own each time: an earlier DELETE may have removed it.
        status_id = _fresh_status(client, owner)
        if status_id:
            real["status"] = status_id
        elif "other_status" in real:
            real["status"] = real["other_status"]
        route = target.path_template
        (label, url), *hostile_paths = path_variants(target, real)
        for method in target.methods:
            for probe in all_probes:
                if (
                    method in ("GET", "HEAD", "OPTIONS")
                    and probe.content is not None
                    and probe.name not in GET_BODY_PROBES
                ):
                    continue  # a few body kinds suffice on GET (Mastodon.py sends some there)
                whos = (
                    token_and_anonymous
                    if probe.name in ANONYMOUS_PROBES
                    else ((owner.headers, "token"),)
                )
                for headers, who in whos:
                    walker.send(method, url, route, probe, headers, f"{label} {probe.name} {who}")
            for path_label, path in hostile_paths:
                for headers, who in token_and_anonymous:
                    walker.send(method, path, route, None, headers, f"{path_label} {who}")
                    walker.send(
                        method,
                        path,
                        route,
                        malformed,
                        headers,
                        f"{path_label} malformed-json {who}",
                    )
        # A method the route does not serve: 405 with a JSON error under /api/.
        stray = next(
            (m for m in ("PATCH", "PUT", "DELETE", "POST", "GET") if m not in target.methods), None
        )
        if stray:
            for headers, who in token_and_anonymous:
                walker.send(stray, url, route, None, headers, f"wrong-method {who}")
    print(f"\nwalked {len(targets)} routes with {walker.sent} requests, {len(fields)} field names;")
    print(f"real objects substituted for ids: {real}")
    for target in targets:
        print(f"  {','.join(target.methods):<18} {target.path_template}")
    if walker.violations:
        pytest.fail(summarize(walker.violations))


def summarize(violations: list[Violation], limit: int = 80) -> str:
    """One line per route, method and outcome, with the probes that caused it."""
    groups: dict[tuple[str, str, str], list[Violation]] = {}
    for v in violations:
        groups.setdefault((v.method, v.route, v.outcome), []).append(v)
    lines = []
    for (method, route, outcome), items in groups.items():
        labels = sorted({v.label for v in items})
        shown = ", ".join(labels[:6]) + (f" (+{len(labels) - 6})" if len(labels) > 6 else "")
        lines.append(
            f"{len(items):>4}x {method} {route} -> {outcome}\n        probes: {shown}"
            f"\n        e.g. {items[0].url[:140]}"
        )
    text = "\n".join(lines[:limit])
    more = f"\n... and {len(lines) - limit} more" if len(lines) > limit else ""
    return f"{len(violations)} hostile requests misbehaved ({len(lines)} kinds):\n{text}{more}"
