"""Screenshots of the main pages for the README: `make screenshots`.

Starts a throwaway `pnyx serve` (SQLite in a temporary directory), fills it with a little demo
data (the same people and posts as the browser tests: tests/web/browser.py `seed_demo`), and
saves each page at desktop (1280x800) and phone (390x844) size, light theme, as
docs/screenshots/<page>-desktop.png and <page>-phone.png. Needs Debian's Chromium
(`apt-get install chromium`) and the test extras (playwright, Mastodon.py).

    .venv/bin/python tools/screenshots.py                 # every page
    .venv/bin/python tools/screenshots.py home profile    # some of them
    .venv/bin/python tools/screenshots.py --out /tmp/shots
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from server import PnyxServer  # noqa: E402
from web import browser as helpers  # noqa: E402

SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
# name -> (path, signed in as alice?)
PAGES = {
    "landing": ("/", False),
    "sign-up": ("/auth/sign_up", False),
    "home": ("/home", True),
    "thread": ("/@alice/{public_id}", True),
    "poll": ("/@alice/{poll_id}", True),
    "profile": ("/@alice", False),
    "notifications": ("/notifications", True),
    "search": ("/search?q=%23pnyx", True),
    "settings": ("/settings/profile", True),
    "admin": ("/admin/instance", True),
    "reports": ("/admin/reports", True),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="*", help=f"some of {', '.join(PAGES)} (default: all)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    wanted = args.pages or list(PAGES)
    unknown = [name for name in wanted if name not in PAGES]
    if unknown:
        parser.error(f"unknown page(s) {', '.join(unknown)}; choose from {', '.join(PAGES)}")
    reason = helpers.missing_browser()
    if reason:
        raise SystemExit(f"Cannot take screenshots: {reason}")
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="pnyx-screenshots-") as tmp:
        server = PnyxServer(
            Path(tmp) / "server",
            env={
                "PNYX_PASSWORD_HASHING": "fast-insecure",
                "PNYX_INSTANCE_TITLE": "Pnyx",
                "PNYX_INSTANCE_DESCRIPTION": "A small assembly of friends and neighbours, "
                "part of the fediverse.",
            },
        )
        with server, sync_playwright() as playwright:
            demo = helpers.seed_demo(server)
            values = {
                "public_id": demo.public_id,
                "poll_id": demo.poll_id,
                "private_id": demo.private_id,
            }
            browser = helpers.launch(playwright)
            try:
                for size, (width, height) in SIZES.items():
                    viewport = {"width": width, "height": height}
                    contexts = {
                        False: browser.new_context(viewport=viewport, color_scheme="light"),
                        True: helpers.signed_in_context(
                            browser, server, "alice", viewport=viewport, color_scheme="light"
                        ),
                    }
                    for name in wanted:
                        path, signed_in = PAGES[name]
                        page = contexts[signed_in].new_page()
                        answer = page.goto(server.url(path.format(**values)))
                        if answer is None or answer.status != 200:
                            status = answer.status if answer else "nothing"
                            raise SystemExit(f"{path} answered {status}")
                        # Not "networkidle": a timeline keeps its live stream open.
                        page.wait_for_load_state("load")
                        page.wait_for_timeout(300)
                        target = args.out / f"{name}-{size}.png"
                        page.screenshot(path=str(target), animations="disabled")
                        saved.append(target)
                        page.close()
                    for context in contexts.values():
                        context.close()
            finally:
                browser.close()
    for path in saved:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
