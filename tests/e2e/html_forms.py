"""Walk server-rendered HTML forms the way a person in a browser does, without a browser.

The OAuth authorization-code flow goes through HTML pages (sign in, consent, the out-of-band
code). These helpers find a page's forms, fill them keeping hidden fields such as the CSRF
token, press a chosen button and read an element by id, using only the standard library's HTML
parser, so the end-to-end tests exercise the real pages over HTTP.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin

import httpx


class Forms(HTMLParser):
    """The forms of an HTML page (inputs and buttons), and any element with a given id."""

    def __init__(self, wanted_id: str | None = None):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._button: dict | None = None
        self.wanted_id = wanted_id
        self.wanted: dict | None = None
        self._wanted_depth = 0

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if self.wanted is not None and self._wanted_depth > 0:
            self._wanted_depth += 1
        if self.wanted_id and a.get("id") == self.wanted_id and self.wanted is None:
            self.wanted = {"tag": tag, "attrs": a, "text": ""}
            self._wanted_depth = 1 if tag not in ("input", "img", "br") else 0
        if tag == "form":
            self._form = {
                "action": a.get("action", ""),
                "method": a.get("method", "get"),
                "inputs": [],
                "buttons": [],
            }
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "image"):
                self._form["buttons"].append(
                    {"name": a.get("name"), "value": a.get("value", ""), "text": a.get("value", "")}
                )
            else:
                self._form["inputs"].append(
                    {
                        "name": a.get("name"),
                        "type": kind,
                        "value": a.get("value", ""),
                        "checked": "checked" in a,
                    }
                )
        elif tag == "button" and self._form is not None:
            if a.get("type", "submit").lower() == "submit":
                self._button = {"name": a.get("name"), "value": a.get("value", ""), "text": ""}
                self._form["buttons"].append(self._button)
        elif tag == "textarea" and self._form is not None:
            self._form["inputs"].append(
                {"name": a.get("name"), "type": "textarea", "value": "", "checked": False}
            )

    def handle_endtag(self, tag):
        if self.wanted is not None and self._wanted_depth > 0:
            self._wanted_depth -= 1
        if tag == "form":
            self._form = None
        elif tag == "button":
            self._button = None

    def handle_data(self, data):
        if self._button is not None:
            self._button["text"] += data
        if self.wanted is not None and self._wanted_depth > 0:
            self.wanted["text"] += data


def parse(html: str, wanted_id: str | None = None) -> Forms:
    parser = Forms(wanted_id)
    parser.feed(html)
    parser.close()
    return parser


def submit(
    http: httpx.Client,
    page: httpx.Response,
    form: dict,
    fields: dict[str, str],
    button: dict | None,
) -> httpx.Response:
    """Submit a form as a browser would: hidden fields kept, our fields filled, one button."""
    data: list[tuple[str, str]] = []
    for field in form["inputs"]:
        name = field["name"]
        if not name:
            continue
        if name in fields:
            data.append((name, fields[name]))
        elif field["type"] in ("checkbox", "radio"):
            if field["checked"]:
                data.append((name, field["value"] or "on"))
        else:
            data.append((name, field["value"]))
    if button is not None and button.get("name"):
        data.append((button["name"], button["value"]))
    action = urljoin(str(page.url), form["action"] or str(page.url))
    if form["method"].lower() == "get":
        return http.get(action, params=data, follow_redirects=False)
    encoded = urlencode(data).encode()
    return http.post(
        action,
        content=encoded,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )


APPROVE = re.compile(r"approve|authori[sz]e|allow|accept|grant|confirm|yes", re.I)
DENY = re.compile(r"deny|reject|cancel|refuse|decline|no\b", re.I)


def settle(http: httpx.Client, response: httpx.Response, stop_at: str | None):
    """Follow redirects like a browser, except one to the app's own redirect_uri: that URL is
    where the app takes over, so it is returned instead of fetched."""
    for _hop in range(10):
        if not response.is_redirect:
            return response, None
        target = urljoin(str(response.url), response.headers["location"])
        if stop_at and target.startswith(stop_at):
            return response, target
        response = http.get(target, follow_redirects=False)
    raise AssertionError(f"too many redirects, last {response.url}")


def _consent_choice(forms: list[dict], approve: bool) -> tuple[dict, dict] | None:
    """The consent form and the button that approves (or denies) the request."""
    for form in forms:
        method_field = next((i["value"] for i in form["inputs"] if i["name"] == "_method"), "")
        deny_form = method_field.lower() == "delete" or bool(DENY.search(form["action"]))
        for button in form["buttons"]:
            label = f"{button.get('name') or ''} {button['value']} {button['text']}"
            if approve and not deny_form and APPROVE.search(label) and not DENY.search(label):
                return form, button
            if not approve and (deny_form or DENY.search(label)):
                return form, button
    if approve and len(forms) == 1 and forms[0]["buttons"]:
        return forms[0], forms[0]["buttons"][0]
    return None


def _walk(
    http: httpx.Client,
    url: str,
    email: str,
    password: str,
    stop_at: str | None,
    approve: bool = True,
):
    """Sign in, approve (or deny), and return ("code", code-on-page) or ("redirect", app-url)."""
    page, landed = settle(http, http.get(url, follow_redirects=False), stop_at)
    if landed:
        return "redirect", landed
    assert page.status_code == 200, f"GET {url} -> {page.status_code}: {page.text[:500]}"
    for _step in range(6):
        parsed = parse(page.text, "authorization-code")
        if parsed.wanted is not None:
            code = (parsed.wanted["attrs"].get("value") or parsed.wanted["text"]).strip()
            assert code, f"empty authorization code on {page.url}"
            return "code", code
        sign_in = [f for f in parsed.forms if any(i["type"] == "password" for i in f["inputs"])]
        if sign_in:
            form = sign_in[0]
            fields = {}
            for field in form["inputs"]:
                name = field["name"] or ""
                if field["type"] == "password":
                    fields[name] = password
                elif field["type"] in ("email", "text") and re.search(
                    r"email|user|login|acct|name", name, re.I
                ):
                    fields[name] = email
            buttons = form["buttons"]
            page = submit(http, page, form, fields, buttons[0] if buttons else None)
        else:
            choice = _consent_choice(parsed.forms, approve)
            assert choice is not None, (
                f"no sign-in form, approve button or authorization code on {page.url} "
                f"(HTTP {page.status_code}): {page.text[:1500]}"
            )
            page = submit(http, page, choice[0], {}, choice[1])
        page, landed = settle(http, page, stop_at)
        if landed:
            return "redirect", landed
        assert page.status_code < 400, (
            f"{page.request.method} {page.url} -> {page.status_code}: {page.text[:1000]}"
        )
    raise AssertionError(f"no authorization code after six pages; last was {page.url}")


def authorize_in_browser(http: httpx.Client, url: str, email: str, password: str) -> str:
    """Walk the HTML sign-in and consent pages from an authorize URL to the out-of-band code.

    Like a person in a browser: sign in with the form that has a password field (keeping its
    CSRF token), press the approving button of the consent page, read the code from the
    element with id "authorization-code".
    """
    kind, value = _walk(http, url, email, password, None)
    assert kind == "code", f"expected the out-of-band code page, got a redirect to {value}"
    return value


def authorize_to_redirect(
    http: httpx.Client,
    url: str,
    email: str,
    password: str,
    redirect_uri: str,
    *,
    approve: bool = True,
) -> dict[str, str]:
    """The same walk for an app with a real redirect_uri: the query the app receives there."""
    kind, value = _walk(http, url, email, password, redirect_uri, approve)
    assert kind == "redirect", "expected a redirect to the app, got an out-of-band code page"
    return dict(httpx.URL(value).params)


CSRF = re.compile(r"csrf|authenticity", re.I)


def without_csrf(form: dict) -> dict:
    """The same form with its CSRF field(s) dropped, as a cross-site forgery would send it."""
    kept = [i for i in form["inputs"] if not (i["name"] and CSRF.search(i["name"]))]
    assert len(kept) < len(form["inputs"]), f"form without a CSRF field: {form}"
    return {**form, "inputs": kept}
