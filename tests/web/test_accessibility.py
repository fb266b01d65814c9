"""Every page passes axe-core (no serious or critical violation) in light and dark, fits a
390 px wide phone without sideways scrolling, and is usable from the keyboard.

axe-core comes from the npm registry (installed once per machine under ~/.cache/pnyx-tests by
`browser.axe_source`) and runs inside Chromium on each page of a real `pnyx serve` with a
little demo data. A failure lists each violated rule, the elements, and axe's hint.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from . import browser as helpers

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-accessibility")]

DESKTOP = {"width": 1280, "height": 800}
PHONE_WIDTH = 390


@dataclass(frozen=True)
class Page:
    name: str
    path: str  # may use {alice}, {public_id}, {poll_id}, {private_id}, {reply_id}
    signed_in: bool


PAGES = [
    Page("landing", "/", False),
    Page("local", "/public/local", False),
    Page("federated", "/public", False),
    Page("hashtag", "/tags/pnyx", False),
    Page("sign-in", "/auth/sign_in", False),
    Page("sign-up", "/auth/sign_up", False),
    Page("privacy-policy", "/privacy-policy", False),
    Page("feeds", "/feeds", False),
    Page("explore", "/explore", False),
    Page("explore-tags", "/explore/tags", False),
    Page("explore-links", "/explore/links", False),
    Page("post-signed-out", "/@alice/{public_id}", False),
    Page("profile-signed-out", "/@alice", False),
    Page("search-signed-out", "/search?q=alice", False),
    Page("home", "/home", True),
    Page("home-ranked-feed", "/home?feed=diverse", True),
    Page("feeds-signed-in", "/feeds", True),
    Page("explore-signed-in", "/explore", True),
    Page("explore-suggestions", "/explore/suggestions", True),
    Page("feed-compose", "/feeds/compose", True),
    Page("compose", "/compose", True),
    Page("compose-reply", "/compose?in_reply_to={public_id}", True),
    Page("compose-quote", "/compose?quote={public_id}", True),
    Page("edit-post", "/statuses/{poll_id}/edit", True),
    Page("edit-history", "/statuses/{public_id}/history", True),
    Page("delete-post", "/statuses/{private_id}/delete", True),
    Page("local-signed-in", "/public/local", True),
    Page("thread", "/@alice/{public_id}", True),
    Page("post-with-poll", "/@alice/{poll_id}", True),
    Page("followers-only-post", "/@alice/{private_id}", True),
    Page("reply", "/@bob/{reply_id}", True),
    Page("own-profile", "/@alice", True),
    Page("other-profile", "/@bob", True),
    Page("remote-profile", "/@rita@remote.example", True),
    Page("profile-with-replies", "/@alice/with_replies", True),
    Page("followers", "/@alice/followers", True),
    Page("following", "/@alice/following", True),
    Page("notifications", "/notifications", True),
    Page("search", "/search?q=alice", True),
    Page("search-hashtag", "/search?q=%23pnyx", True),
    Page("follow-requests", "/follow_requests", True),
    Page("settings", "/settings", True),
    Page("settings-profile", "/settings/profile", True),
    Page("settings-account", "/settings/account", True),
    Page("settings-preferences", "/settings/preferences", True),
    Page("admin", "/admin", True),
    Page("admin-accounts", "/admin/accounts", True),
    Page("admin-instance", "/admin/instance", True),
    Page("admin-reports", "/admin/reports", True),
    Page("admin-announcements", "/admin/announcements", True),
    Page("admin-custom-emojis", "/admin/custom_emojis", True),
]


@dataclass
class Site:
    server: object
    demo: helpers.Demo
    axe: str
    anonymous: object  # a Playwright page, signed out
    member: object  # a Playwright page, signed in as alice (an admin)

    def url(self, page: Page) -> str:
        demo = self.demo
        return self.server.base_url + page.path.format(
            alice="alice",
            public_id=demo.public_id,
            poll_id=demo.poll_id,
            private_id=demo.private_id,
            reply_id=demo.reply_id,
        )


@pytest.fixture(scope="module")
def site(chromium, web_server):
    axe = helpers.axe_source()
    demo = helpers.seed_demo(web_server)
    anonymous_context = chromium.new_context(viewport=DESKTOP, color_scheme="light")
    member_context = helpers.signed_in_context(
        chromium, web_server, "alice", viewport=DESKTOP, color_scheme="light"
    )
    try:
        yield Site(
            web_server,
            demo,
            axe,
            helpers.new_page(anonymous_context),
            helpers.new_page(member_context),
        )
    finally:
        anonymous_context.close()
        member_context.close()


def structure_problems(page) -> list[str]:
    """What axe reports only as 'moderate' but our pages promise: a language, a title, one
    main landmark, exactly one h1."""
    facts = page.evaluate(
        """() => ({
          lang: document.documentElement.lang,
          title: document.title.trim(),
          mains: document.querySelectorAll('main, [role=main]').length,
          h1: [...document.querySelectorAll('h1')].map(h => h.innerText.trim()),
          shownHidden: [...document.querySelectorAll('[hidden]')]
            .filter(e => e.getClientRects().length > 0)
            .map(e => e.outerHTML.slice(0, 120)),
        })"""
    )
    problems = []
    if not facts["lang"]:
        problems.append("<html> has no lang attribute")
    if not facts["title"]:
        problems.append("the page has no <title>")
    if facts["mains"] != 1:
        problems.append(f"{facts['mains']} main landmarks (expected 1)")
    if facts["shownHidden"]:
        problems.append(
            "elements with the `hidden` attribute are displayed (a stylesheet gives them a "
            f"`display`): {facts['shownHidden']}"
        )
    if len(facts["h1"]) != 1:
        problems.append(f"{len(facts['h1'])} <h1> elements (expected 1): {facts['h1']}")
    return problems


@pytest.mark.parametrize("page_spec", PAGES, ids=[p.name for p in PAGES])
def test_page_is_accessible_in_both_themes_and_fits_a_phone(site: Site, page_spec: Page):
    page = site.member if page_spec.signed_in else site.anonymous
    page.watch.clear()
    page.set_viewport_size(DESKTOP)
    page.emulate_media(color_scheme="light")
    url = site.url(page_spec)
    response = page.goto(url)
    assert response is not None and response.status == 200, (
        f"GET {url} answered {response.status if response else 'nothing'}:\n"
        + helpers.main_text(page)[:1000]
    )
    landed = urlsplit(page.url).path
    if landed != urlsplit(url).path:
        assert not landed.startswith("/auth/"), f"{url} sent the browser to {page.url}"
    problems: list[str] = []
    problems += structure_problems(page)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        bad = helpers.serious(helpers.run_axe(page, site.axe))
        if bad:
            problems.append(
                f"axe-core {helpers.axe_version()}, {scheme} theme:\n" + helpers.describe(bad)
            )
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
    overflow = helpers.horizontal_overflow(page)
    if overflow:
        problems.append(f"scrolls sideways at {PHONE_WIDTH} px: {overflow}")
    page.set_viewport_size(DESKTOP)
    problems += page.watch.errors
    problems += [f"failed request: {r}" for r in page.watch.failed_requests]
    assert not problems, f"{page_spec.name} ({url}):\n" + "\n".join(problems)


def tab_until(page, wanted: set[str], limit: int = 40) -> list[dict]:
    """Press Tab from the top of the page until every link text in `wanted` had the focus (or
    `limit` presses); returns what had the focus, in order."""
    seen: list[dict] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        seen.append(helpers.focus_report(page))
        if not missing_links(wanted, seen):
            break
    return seen


def missing_links(wanted: set[str], seen: list[dict]) -> set[str]:
    """The wanted link texts that had no focus yet; a link's text may go on after the name
    ("Notifications (2 new)")."""
    return {w for w in wanted if not any(s["text"].startswith(w) for s in seen)}


@pytest.mark.parametrize(
    ("signed_in", "path", "nav"),
    [
        (False, "/", {"Local", "Federated", "Search", "Sign in", "Sign up"}),
        (True, "/home", {"Home", "Notifications", "Local", "Federated", "Search", "Profile"}),
    ],
    ids=["signed-out", "signed-in"],
)
def test_keyboard_reaches_the_skip_link_then_the_navigation_with_a_visible_focus(
    site: Site, signed_in: bool, path: str, nav: set[str]
):
    page = site.member if signed_in else site.anonymous
    page.set_viewport_size(DESKTOP)
    page.goto(site.server.base_url + path)
    seen = tab_until(page, nav)
    first = seen[0]
    assert first["tag"] == "a" and first["href"] == "#main", f"first Tab stop: {first}"
    assert "skip" in first["text"].lower(), f"first Tab stop is not the skip link: {first}"
    names = [s["text"] for s in seen]
    missing = missing_links(nav, seen)
    assert not missing, f"{missing} never had the focus; Tab order: {names}"
    invisible = [s for s in seen if s["outline"] == "none" and s["boxShadow"] in ("none", "")]
    assert not invisible, f"focus not visible on: {invisible}"
    # The skip link moves the focus to the main content.
    page.goto(site.server.base_url + path)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement && document.activeElement.id") == "main"


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def test_no_link_on_any_page_leads_nowhere(site: Site):
    """Every same-site link of every listed page answers (no 404, no 500), for the visitor
    who sees it: a navigation or footer link to a page that does not exist fails here."""
    cookies = {c["name"]: c["value"] for c in site.member.context.cookies()}
    base = site.server.base_url
    broken: dict[str, set[str]] = {}
    checked: dict[tuple[bool, str], int] = {}
    with (
        httpx.Client(base_url=base, timeout=30) as anonymous,
        httpx.Client(base_url=base, timeout=30, cookies=cookies) as member,
    ):
        for spec in PAGES:
            client = member if spec.signed_in else anonymous
            answer = client.get(site.url(spec).removeprefix(base))
            if answer.status_code != 200:
                continue  # reported by the page's own test
            parser = _Links()
            parser.feed(answer.text)
            for href in parser.hrefs:
                target = urljoin(str(answer.url), href)
                if not target.startswith(base + "/"):
                    continue  # other sites, mailto:, javascript: ...
                target = target.split("#", 1)[0]
                key = (spec.signed_in, target)
                if key not in checked:
                    checked[key] = client.get(target.removeprefix(base)).status_code
                if checked[key] >= 400:
                    broken.setdefault(f"{checked[key]} {target.removeprefix(base)}", set()).add(
                        spec.name
                    )
    assert checked, "no links found at all"
    assert not broken, "links that lead nowhere:\n" + "\n".join(
        f"- {link} (on {', '.join(sorted(pages))})" for link, pages in sorted(broken.items())
    )
