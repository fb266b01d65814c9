"""Signing in through the site's real form, for the tests that drive pages with a TestClient
(the browser tests have their own, `browser.sign_in`)."""

from __future__ import annotations

import re

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "correct horse battery"


def csrf_token(page_text: str) -> str:
    """The CSRF token a page's form carries."""
    return TOKEN.search(page_text).group(1)


def sign_in(client, username: str, password: str = PASSWORD) -> None:
    """Sign in through the real form; the client keeps the session and CSRF cookies."""
    page = client.get("/auth/sign_in")
    answer = client.post(
        "/auth/sign_in",
        data={"login": username, "password": password, "csrf_token": csrf_token(page.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


HTML = {"Accept": "text/html"}


def as_person(client, username: str | None) -> None:
    """The browser becomes `username`'s (or nobody's)."""
    client.cookies.clear()
    if username is not None:
        sign_in(client, username)


def page(client, path: str, **headers) -> str:
    """A page's HTML, which must answer 200."""
    answer = client.get(path, headers={**HTML, **headers})
    assert answer.status_code == 200, (path, answer.status_code, answer.text[:500])
    return answer.text


def api(client, method: str, path: str, user, **options) -> dict:
    """An API call as `user`, which must answer 200."""
    answer = client.request(method, path, headers=user.headers, **options)
    assert answer.status_code == 200, answer.text
    return answer.json()
