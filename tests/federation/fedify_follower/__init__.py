"""A follower on another ActivityPub implementation: `follower.mjs` run under node, an actor
served by Fedify (https://fedify.dev), written independently of Pnyx.

`FedifyFollower` starts it as a subprocess on a loopback port (Fedify is installed on first
use by `tests/federation/fedify.py`, which skips, or fails under PNYX_REQUIRE_BROWSER=1, when
node or npm is missing), tells it whom to follow, and reads back what it did: the follows and
whether they were accepted, the Moves it received and what it made of them, and any error
Fedify reported. Its stderr (Fedify's warnings) is kept in `log_path`.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
from pathlib import Path

import httpx

from .. import fedify

SCRIPT = Path(__file__).with_name("follower.mjs")
START_TIMEOUT = 60.0  # seconds; node loading Fedify on a busy 2-core machine


class FedifyFollower:
    """One Fedify actor, `name`, on 127.0.0.1, as a subprocess (a context manager)."""

    def __init__(self, log_path: Path, name: str = "ffollower"):
        self.name = name
        self.log_path = log_path
        self.port = 0
        self._process: subprocess.Popen | None = None
        self._log = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def actor(self) -> str:
        return f"{self.base_url}/users/{self.name}"

    @property
    def handle(self) -> str:
        return f"{self.name}@127.0.0.1:{self.port}"

    def start(self) -> FedifyFollower:
        home = fedify.home()  # skips or fails with the reason when node or npm is missing
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self._process = subprocess.Popen(
            ["node", str(SCRIPT)],
            env={**os.environ, "FEDIFY_HOME": str(home), "FOLLOWER_NAME": self.name},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._log,
            start_new_session=True,
        )
        ready, _, _ = select.select([self._process.stdout], [], [], START_TIMEOUT)
        line = self._process.stdout.readline() if ready else b""
        if not line:
            self.stop()
            raise RuntimeError(f"follower.mjs did not start:\n{self.logs()}")
        self.port = int(json.loads(line)["port"])
        return self

    def follow(self, actor_uri: str) -> str:
        """Follow the actor at `actor_uri` (Fedify fetches it and sends a signed Follow)."""
        answer = httpx.post(self.base_url + "/control/follow", json={"uri": actor_uri}, timeout=60)
        assert answer.status_code == 200, (answer.text, self.logs())
        return answer.json()["follow"]

    def state(self) -> dict:
        """{"actor", "following": {uri: {follow, accepted, undone}}, "moves", "errors"}."""
        return httpx.get(self.base_url + "/control/state", timeout=30).json()

    def logs(self) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")
        return ""

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)
                    process.wait(10)
            process.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> FedifyFollower:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
