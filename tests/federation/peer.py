"""A small ActivityPub server of our own on loopback, standing in for another implementation.

It is not Pnyx: it serves WebFinger, one actor (with its key), whatever documents a test
puts in `docs` and files in `files` (images, for the media cache), records every activity POSTed to it, and sends activities of its own, signed
with the actor's key as any server would. A test gives it the behaviour it needs through
`on_activity` (for example, answer a Follow with an Accept the way Takahē does).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from pnyx.core.keys import generate_keypair
from pnyx.federation import signatures

AP = "application/activity+json"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


class Peer:
    """One actor, `username`, at http://127.0.0.1:<port>/users/<username>."""

    def __init__(self, username: str = "taka"):
        self.username = username
        self.keys = generate_keypair()
        self.docs: dict[str, dict] = {}
        self.files: dict[str, tuple[bytes, str]] = {}  # path -> (body, content type)
        self.file_requests: list[str] = []
        self.received: list[dict] = []
        self.on_activity: Callable[[dict], None] | None = None
        self._lock = threading.Lock()
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                path = self.path.split("?")[0]
                if path in peer.files:
                    peer.file_requests.append(path)
                    body, content_type = peer.files[path]
                    self.send_response(200)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                doc = peer.docs.get(path)
                body = json.dumps(doc).encode() if doc is not None else b""
                kind = "application/jrd+json" if "webfinger" in self.path else AP
                self.send_response(200 if doc is not None else 404)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                activity = json.loads(body)
                with peer._lock:  # recorded before the answer: the sender's job ends after
                    peer.received.append(activity)
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()
                if peer.on_activity is not None:
                    # Answer after our 202, as a real server answers from its queue.
                    threading.Thread(target=peer.on_activity, args=(activity,)).start()

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        threading.Thread(target=self.http.serve_forever, args=(0.02,), daemon=True).start()
        self.docs["/.well-known/webfinger"] = {
            "subject": f"acct:{username}@{self.domain}",
            "links": [{"rel": "self", "type": AP, "href": self.actor}],
        }
        self.docs[f"/users/{username}"] = self.actor_document()

    @property
    def domain(self) -> str:
        return f"127.0.0.1:{self.http.server_port}"

    @property
    def base(self) -> str:
        return f"http://{self.domain}"

    @property
    def actor(self) -> str:
        return f"{self.base}/users/{self.username}"

    def actor_document(self) -> dict:
        return {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": self.actor,
            "type": "Person",
            "preferredUsername": self.username,
            "name": f"{self.username.title()} Elsewhere",
            "inbox": f"{self.actor}/inbox",
            "outbox": f"{self.actor}/outbox",
            "followers": f"{self.actor}/followers",
            "following": f"{self.actor}/following",
            "url": f"{self.base}/@{self.username}",
            "endpoints": {"sharedInbox": f"{self.base}/inbox"},
            "publicKey": {
                "id": f"{self.actor}#main-key",
                "owner": self.actor,
                "publicKeyPem": self.keys.public_pem,
            },
        }

    def serve_file(self, path: str, body: bytes, content_type: str) -> str:
        """Serve `body` at `path` (an image, say); returns its URL."""
        self.files[path] = (body, content_type)
        return self.base + path

    def of_type(self, kind: str) -> list[dict]:
        with self._lock:
            return [a for a in self.received if a.get("type") == kind]

    def send(self, inbox: str, activity: dict) -> int:
        """POST `activity` to `inbox`, signed by our actor; returns the HTTP status."""
        body = json.dumps(activity).encode()
        headers = signatures.sign_request(
            method="POST",
            url=inbox,
            body=body,
            key_id=f"{self.actor}#main-key",
            private_key_pem=self.keys.private_pem,
        )
        answer = httpx.post(
            inbox, content=body, headers={**headers, "Content-Type": AP}, timeout=30
        )
        return answer.status_code

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()
