"""Fedify (https://fedify.dev), an ActivityPub framework for TypeScript written independently
of Pnyx, as the judge of Pnyx's Object Integrity Proofs (FEP-8b32): `fedify_verify.mjs` runs
its `verifyObject` under node on documents fetched from a real `pnyx serve`.

Fedify and the data-integrity v2 JSON-LD context (from the npm package of the context's
editors, Digital Bazaar; Fedify 1.5 preloads only v1, and the tests never reach the network)
are installed from the npm registry on first use into the tests' cache folder, as axe-core is
(`tests/web/browser.py`). Fedify 1.5.9 is the last release that runs on node 20 (1.6 and later
ask for node 22). Without node or npm the tests skip and say so, unless PNYX_REQUIRE_BROWSER=1
(CI), where that is a failure.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from web.browser import cache_dir, skip_or_fail

PACKAGES = ("@fedify/fedify@1.5.9", "@digitalbazaar/data-integrity-context@2.0.1")
SCRIPT = Path(__file__).with_name("fedify_verify.mjs")
HINT = "install node and npm (Debian: apt-get install nodejs npm) so the tests can fetch Fedify"


def home() -> Path:
    """The folder Fedify is installed in, installing it on first use (one install per machine,
    shared by xdist workers under a file lock)."""
    target = cache_dir() / "fedify-1.5.9"
    marker = target / "node_modules" / "@fedify" / "fedify" / "package.json"
    context = target / "node_modules" / "@digitalbazaar" / "data-integrity-context"
    if shutil.which("node") is None:
        skip_or_fail(f"node is missing: {HINT}")
    if marker.is_file() and context.is_dir():
        return target
    npm = shutil.which("npm")
    if npm is None:
        skip_or_fail(f"npm is missing: {HINT}")
    target.mkdir(parents=True, exist_ok=True)
    with open(target / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (marker.is_file() and context.is_dir()):
                done = subprocess.run(
                    [npm, "install", "--prefix", str(target), "--no-audit", "--no-fund",
                     "--loglevel=error", *PACKAGES],
                    capture_output=True,
                    text=True,
                    timeout=300,
                )  # fmt: skip
                if done.returncode != 0 or not marker.is_file():
                    pytest.fail(
                        f"`npm install {' '.join(PACKAGES)}` into {target} failed "
                        f"(exit {done.returncode}):\n{done.stdout}\n{done.stderr}",
                        pytrace=False,
                    )
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return target


def verify(items: list[dict]) -> dict[str, dict]:
    """Fedify's verdict on each item ({"name", "url"} fetched, or {"name", "document"}), by
    name: {"verified": bool, "proofs": n, "keys": [key ids], "reason": why not}."""
    done = subprocess.run(
        ["node", str(SCRIPT)],
        input=json.dumps(items),
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "FEDIFY_HOME": str(home())},
    )
    if done.returncode != 0:
        pytest.fail(f"fedify_verify.mjs failed:\n{done.stdout}\n{done.stderr}", pytrace=False)
    results = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return {result["name"]: result for result in results}
