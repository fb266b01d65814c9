"""Helpers for the real-browser tests: find Chromium, sign in, run axe-core, check layout.

The browser tests drive Debian's Chromium (`/usr/bin/chromium`) through Playwright against a
real `pnyx serve`. Playwright's own browser downloads are never used: `executable_path` points
at the system browser, so the tests need nothing beyond Debian's and PyPI's packages. When the
browser or the `playwright` package is missing the tests skip and say how to get them, unless
PNYX_REQUIRE_BROWSER=1 (CI sets it), where a missing browser is a failure: a CI run that
silently skipped every browser test would look green while checking nothing.

Controls are found as a screen reader finds them, by role and accessible name
(`page.get_by_role("button", name="Favourite")`, `page.get_by_label("Post text")`), so the
tests also check that every control has a name.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

CHROMIUM_HINT = "install Debian's chromium: apt-get install chromium"
PLAYWRIGHT_HINT = "install the test extras: .venv/bin/pip install -e '.[test]' (playwright)"
NPM_HINT = "install npm (Debian: apt-get install npm) so the tests can fetch axe-core"
AXE_SPEC = "axe-core@4"
PASSWORD = "correct horse battery staple"
BAD_IMPACTS = ("serious", "critical")
NAV_TIMEOUT_MS = 30_000


# --------------------------------------------------------------------------- availability


def chromium_path() -> str | None:
    """Debian's Chromium, or the browser named by PNYX_CHROMIUM."""
    named = os.environ.get("PNYX_CHROMIUM")
    if named:
        return named if os.access(named, os.X_OK) else None
    for candidate in (
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return f"the playwright package is missing: {PLAYWRIGHT_HINT}"
    if chromium_path() is None:
        return f"Chromium is missing: {CHROMIUM_HINT}"
    return None


def required() -> bool:
    return os.environ.get("PNYX_REQUIRE_BROWSER", "") not in ("", "0")


def skip_or_fail(reason: str) -> None:
    """Skip with `reason`, or fail when the environment says browsers are required (CI)."""
    if required():
        pytest.fail(f"{reason} (PNYX_REQUIRE_BROWSER is set)", pytrace=False)
    pytest.skip(reason)


def launch(playwright):
    """Headless Chromium from the system, sized for CI machines (no /dev/shm assumptions)."""
    return playwright.chromium.launch(
        executable_path=chromium_path(),
        headless=True,
        args=["--disable-dev-shm-usage", "--no-first-run", "--disable-extensions"],
    )


# --------------------------------------------------------------------------- pages


@dataclass
class Watch:
    """What went wrong inside a page while a test used it: script errors, refused scripts or
    styles (the strict CSP), failed requests. Tests print it when they fail and may assert
    it is empty."""

    errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)

    def attach(self, page) -> None:
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: script error: {exc}"))
        page.on("console", self._console(page))
        page.on("response", self._response)

    def _console(self, page):
        def record(message) -> None:
            if message.type != "error":
                return
            text = message.text
            if text.startswith("Failed to load resource"):
                return  # the response handler names the URL
            self.errors.append(f"{page.url}: console error: {text}")

        return record

    def _response(self, response) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            self.failed_requests.append(f"{response.status} {response.url}")

    def clear(self) -> None:
        self.errors.clear()
        self.failed_requests.clear()


def new_page(context):
    """A page with a `Watch` attached (as `page.watch`)."""
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.set_default_navigation_timeout(NAV_TIMEOUT_MS)
    watch = Watch()
    watch.attach(page)
    page.watch = watch
    return page


def sign_in(page, base_url: str, login: str, password: str = PASSWORD) -> None:
    """Sign in through the real form, as a person would."""
    page.goto(base_url + "/auth/sign_in")
    page.get_by_label(re.compile(r"username", re.I)).fill(login)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    cookies = {c["name"] for c in page.context.cookies(base_url)}
    assert "pnyx_session" in cookies, f"signing in as {login} failed; the page says:\n" + (
        page.locator("main").inner_text() if page.locator("main").count() else page.content()
    )


def in_database(server, fn, *args):
    """Run `fn(tx, *args)` in one transaction on the server's own database (set-up only)."""
    from pnyx.config import Settings
    from pnyx.db.engine import Database

    settings = Settings(
        domain=server.domain, scheme="http", database_url=server.database_url, job_workers=0
    )
    database = Database(settings)
    try:
        return database.run_sync(fn, *args)
    finally:
        database.dispose()


def start_session(server, username: str) -> str:
    """A web session for `username` made directly in the server's database (set-up only, like
    seeding through the API: the sign-in form itself is tested by the flows)."""
    from pnyx.core import accounts, oauth

    def work(tx):
        account = accounts.find_local(tx, username)
        assert account is not None, f"no local user {username}"
        user = accounts.user_for_account(tx, account.id)
        return oauth.start_session(tx, user.id, "pnyx browser tests")

    return in_database(server, work)


def signed_in_context(browser, server, username: str, **options):
    """A browser context where `username` is signed in."""
    context = browser.new_context(base_url=server.base_url, **options)
    context.add_cookies(
        [
            {
                "name": "pnyx_session",
                "value": start_session(server, username),
                "url": server.base_url,
                "httpOnly": True,
                "sameSite": "Lax",
            }
        ]
    )
    return context


def eventually(check, *, timeout: float = 30.0, pause: float = 0.25):
    """Poll `check()` until it returns something truthy (bounded); return the last value."""
    deadline = time.monotonic() + timeout
    result = check()
    while not result and time.monotonic() < deadline:
        time.sleep(pause)
        result = check()
    return result


def main_text(page) -> str:
    main = page.locator("main")
    return main.inner_text() if main.count() else page.inner_text("body")


# --------------------------------------------------------------------------- layout


def horizontal_overflow(page) -> dict | None:
    """None when the page fits its viewport's width; else the widths and the widest elements,
    so a failure names what sticks out."""
    return page.evaluate(
        """() => {
          const doc = document.documentElement;
          if (doc.scrollWidth <= window.innerWidth) return null;
          const wide = [];
          for (const el of document.body.querySelectorAll('*')) {
            const r = el.getBoundingClientRect();
            if (r.right > window.innerWidth + 0.5 && r.width > 0) {
              let name = el.tagName.toLowerCase();
              if (el.id) name += '#' + el.id;
              if (el.classList.length) name += '.' + [...el.classList].join('.');
              wide.push(name + ' (right edge ' + Math.round(r.right) + 'px)');
            }
          }
          return {scrollWidth: doc.scrollWidth, innerWidth: window.innerWidth,
                  elements: wide.slice(0, 8)};
        }"""
    )


def focus_report(page) -> dict:
    """What has the keyboard focus, and whether it is visibly marked."""
    return page.evaluate(
        """() => {
          const el = document.activeElement;
          if (!el || el === document.body) return {tag: 'body', text: '', outline: 'none'};
          const style = getComputedStyle(el);
          return {
            tag: el.tagName.toLowerCase(),
            text: (el.innerText || el.value || el.getAttribute('aria-label') || '').trim(),
            href: el.getAttribute('href'),
            id: el.id,
            outline: style.outlineStyle,
            outlineWidth: style.outlineWidth,
            boxShadow: style.boxShadow,
          };
        }"""
    )


# --------------------------------------------------------------------------- axe-core


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pnyx-tests"


def axe_source() -> str:
    """The source of axe-core, installed from the npm registry on first use (one install per
    machine, shared by xdist workers under a file lock)."""
    target = cache_dir() / "axe-core"
    script = target / "node_modules" / "axe-core" / "axe.min.js"
    if script.is_file():
        return script.read_text()
    npm = shutil.which("npm")
    if npm is None:
        skip_or_fail(f"npm is missing: {NPM_HINT}")
    target.mkdir(parents=True, exist_ok=True)
    with open(target / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not script.is_file():
                done = subprocess.run(
                    [npm, "install", "--prefix", str(target), "--no-audit", "--no-fund",
                     "--loglevel=error", AXE_SPEC],
                    capture_output=True,
                    text=True,
                    timeout=300,
                )  # fmt: skip
                if done.returncode != 0 or not script.is_file():
                    pytest.fail(
                        f"`npm install {AXE_SPEC}` into {target} failed "
                        f"(exit {done.returncode}):\n{done.stdout}\n{done.stderr}",
                        pytrace=False,
                    )
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return script.read_text()


def axe_version() -> str:
    package = cache_dir() / "axe-core" / "node_modules" / "axe-core" / "package.json"
    with contextlib.suppress(OSError, ValueError):
        return json.loads(package.read_text())["version"]
    return "?"


def run_axe(page, source: str) -> list[dict]:
    """axe-core's violations on the page as it is now. `page.evaluate` runs outside the page's
    Content Security Policy, so the pages keep their strict policy during the check."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(source)
    return page.evaluate(
        """async () => {
          const result = await axe.run(document, {resultTypes: ['violations']});
          return result.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
            nodes: v.nodes.map(n => ({
              target: n.target.join(' '), html: n.html, summary: n.failureSummary,
            })),
          }));
        }"""
    )


def serious(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v["impact"] in BAD_IMPACTS]


def describe(violations: list[dict], *, nodes_per_rule: int = 5) -> str:
    """Violations as a person reads them: the rule, why, where, and what to fix."""
    lines = []
    for v in violations:
        lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:nodes_per_rule]:
            lines.append(f"    at {node['target']}")
            lines.append(f"       {node['html'][:200]}")
            for hint in (node["summary"] or "").splitlines():
                if hint.strip():
                    lines.append(f"       {hint.strip()}")
        if len(v["nodes"]) > nodes_per_rule:
            lines.append(f"    ... and {len(v['nodes']) - nodes_per_rule} more")
    return "\n".join(lines)


# --------------------------------------------------------------------------- demo data


@dataclass
class Person:
    """A user of a test server, with a Mastodon.py client logged in by password."""

    username: str
    api: object  # mastodon.Mastodon
    id: str


@dataclass
class Demo:
    """A small instance with something on every page: people who follow each other, posts
    with a hashtag, a content warning, a poll, a reply, a followers-only post, notifications."""

    alice: Person  # an admin, the person whose pages are checked
    bob: Person
    carol: Person
    public_id: str
    poll_id: str
    private_id: str
    reply_id: str


def login(server, username: str, *, admin: bool = False, display_name: str = "") -> Person:
    """Create the user with the CLI and log in by password through the Mastodon API (set-up
    only: the browser tests themselves use the web pages)."""
    from mastodon import Mastodon

    server.create_user(username, f"{username}@example.com", PASSWORD, admin=admin)
    client_id, client_secret = Mastodon.create_app(
        "Pnyx browser tests", scopes=["read", "write", "follow"], api_base_url=server.base_url
    )
    api = Mastodon(
        client_id=client_id,
        client_secret=client_secret,
        api_base_url=server.base_url,
        version_check_mode="none",
        request_timeout=60,
    )
    api.log_in(
        username=f"{username}@example.com",
        password=PASSWORD,
        scopes=["read", "write", "follow"],
        allow_http=True,
    )
    if display_name:
        api.account_update_credentials(display_name=display_name)
    return Person(username, api, str(api.account_verify_credentials()["id"]))


def _remote_account(tx, username: str, domain: str, display_name: str) -> int:
    """An account of another server, stored the way federation stores one (no server behind
    it: pages must show what is stored without fetching)."""
    from pnyx.core.remote_store import IncomingAccount, store_account

    return store_account(
        tx,
        IncomingAccount(
            uri=f"https://{domain}/users/{username}",
            username=username,
            domain=domain,
            inbox_url=f"https://{domain}/users/{username}/inbox",
            display_name=display_name,
            note="<p>Writes from another server.</p>",
            url=f"https://{domain}/@{username}",
        ),
    )


def _report_from_afar(tx, target_id: int, status_ids: list[int]) -> None:
    """A report (a Flag from another server) for the moderators' page to show."""
    from pnyx.core import remote_store
    from pnyx.db.tables import accounts

    rita = tx.scalar(sa.select(accounts.c.id).where(accounts.c.username == "rita"))
    remote_store.store_report(
        tx, rita, target_id, status_ids, "Off-topic advertising.", "https://remote.example/f/1"
    )


def seed_demo(server) -> Demo:
    from pnyx.core import instance_settings

    def rules(tx):
        instance_settings.add_rule(tx, "Be kind: argue with ideas, not with people.")
        instance_settings.add_rule(
            tx, "No spam or advertising.", "Say who you are when you promote your own work."
        )

    def announcement(tx):
        from pnyx.core import announcements, moderation

        announcements.create(
            tx, moderation.OPERATOR, announcements.Draft("The library closes early on Friday.")
        )

    in_database(server, rules)
    in_database(server, announcement)  # its edit form is on the admin page
    in_database(server, _remote_account, "rita", "remote.example", "Rita from afar")
    alice = login(server, "alice", admin=True, display_name="Alice Liddell")
    bob = login(server, "bob", display_name="Bob")
    carol = login(server, "carol", display_name="Carol")
    alice.api.account_update_credentials(
        note="Writes about assemblies, harbours and the long war.",
        fields=[("Website", "https://example.com/alice"), ("Pronouns", "she/her")],
    )
    bob.api.account_follow(alice.id)
    alice.api.account_follow(bob.id)
    carol.api.account_follow(alice.id)
    public = alice.api.status_post(
        "The assembly meets on the hill at dawn. Bring olives. #pnyx https://example.com/agenda"
    )
    poll = alice.api.status_post(
        "Should the new fountain be finished before the festival?",
        spoiler_text="Fountain politics",
        poll=alice.api.make_poll(["Yes, before", "After the festival", "Never"], 86400),
    )
    private = alice.api.status_post("Only my followers read this.", visibility="private")
    bob.api.status_post("Grain prices are up again in the harbour. #pnyx")
    carol.api.status_post("Theatre tonight: a comedy about philosophers.")
    reply = bob.api.status_post("@alice I will bring the olives.", in_reply_to_id=public["id"])
    alice.api.status_update(
        public["id"],
        "The assembly meets on the hill at dawn. Bring olives and bread. #pnyx "
        "https://example.com/agenda",
    )
    bob.api.status_favourite(public["id"])
    bob.api.status_reblog(public["id"])
    carol.api.poll_vote(poll["poll"]["id"], [0])
    in_database(server, _report_from_afar, int(bob.id), [int(reply["id"])])
    return Demo(
        alice, bob, carol, str(public["id"]), str(poll["id"]), str(private["id"]), str(reply["id"])
    )
