"""A loopback sink posing as many remote servers: it checks every delivery's HTTP signature.

Started by `bench/federation.py` (one or more processes sharing one port with SO_REUSEPORT).
It listens on 0.0.0.0:PORT, so a delivery to any `127.x.y.z:PORT` reaches it: Linux routes all
of 127.0.0.0/8 to the loopback interface, which is how a thousand "servers" fit on one machine.

For every POST it:
- checks that the Host header names the address the connection was really made to (a
  delivery meant for one server must not be counted for another);
- verifies the signature with Pnyx's own `signatures.verify_request` against the public key of
  the one local author (given on the command line), and that the keyId is that author's;
- counts the delivery per activity id and per host, with the (system-wide monotonic) time of
  the first and last verified one, and answers 202 as Mastodon does.

Anything else (a GET, a refused signature) is counted too, so the benchmark can show that the
server under test fetched nothing it should not have and that every signature verified.

The counts go to a small JSON file (`--stats`) rewritten at most every 50 ms when something
changed, plus once on SIGTERM: one file per process, merged by the benchmark. Files are cheap
and need no extra protocol between the processes.

The HTTP/1.1 handling is deliberately minimal (Content-Length bodies, keep-alive) because the
only clients are Pnyx's delivery client (httpx) and the benchmark's own capacity probe.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import time
from collections import Counter
from pathlib import Path

import orjson

from pnyx.federation import signatures

MAX_HEAD = 64 * 1024
MAX_BODY = 4_000_000
WRITE_EVERY = 0.05


class Sink:
    def __init__(self, public_key_pem: str, key_id: str, stats_path: Path):
        self.public_key_pem = public_key_pem
        self.key_id = key_id
        self.stats_path = stats_path
        self.requests = 0
        self.verified = 0
        self.refused: Counter[str] = Counter()
        self.other: Counter[str] = Counter()  # "GET /path" of anything that is not a POST
        self.busy = 0.0  # seconds spent parsing and verifying deliveries
        self.activities: dict[str, dict] = {}
        self.dirty = True

    # --- one request -------------------------------------------------------------------

    def delivery(self, path: str, headers: dict[str, str], body: bytes, local_host: str) -> int:
        started = time.perf_counter()
        try:
            return self._delivery(path, headers, body, local_host)
        finally:
            self.busy += time.perf_counter() - started
            self.dirty = True

    def _delivery(self, path: str, headers: dict[str, str], body: bytes, local_host: str) -> int:
        self.requests += 1
        host = headers.get("host", "")
        if host.lower() != local_host:
            self.refused[f"Host {host!r} is not the address connected to"] += 1
            return 421
        try:
            signed = signatures.verify_request(
                method="POST",
                path=path,
                headers=headers,
                body=body,
                public_key_pem=self.public_key_pem,
                scheme="http",
                expected_host=local_host,
            )
        except signatures.SignatureError as exc:
            self.refused[exc.reason] += 1
            return 401
        if signed.key_id != self.key_id:
            self.refused[f"signed by {signed.key_id}, not by the author"] += 1
            return 401
        try:
            activity_id = str(orjson.loads(body).get("id"))
        except (orjson.JSONDecodeError, AttributeError):
            self.refused["body is not a JSON object"] += 1
            return 400
        now = time.monotonic()
        self.verified += 1
        seen = self.activities.setdefault(
            activity_id, {"count": 0, "hosts": {}, "first": now, "last": now}
        )
        seen["count"] += 1
        seen["hosts"][host] = seen["hosts"].get(host, 0) + 1
        seen["last"] = now
        return 202

    # --- stats -----------------------------------------------------------------------

    def snapshot(self) -> dict:
        return {
            "pid": os.getpid(),
            "cpu": time.process_time(),
            "busy": self.busy,
            "requests": self.requests,
            "verified": self.verified,
            "refused": dict(self.refused),
            "other": dict(self.other),
            "activities": self.activities,
        }

    def write(self) -> None:
        if not self.dirty:
            return
        self.dirty = False
        tmp = self.stats_path.with_suffix(".tmp")
        tmp.write_bytes(orjson.dumps(self.snapshot()))
        os.replace(tmp, self.stats_path)

    async def writer_loop(self) -> None:
        while True:
            await asyncio.sleep(WRITE_EVERY)
            self.write()

    # --- HTTP/1.1 --------------------------------------------------------------------

    async def connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        sockname = writer.get_extra_info("sockname")
        local_host = f"{sockname[0]}:{sockname[1]}"
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                except asyncio.LimitOverrunError:
                    writer.write(b"HTTP/1.1 431 Too Large\r\nContent-Length: 0\r\n\r\n")
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, _, rest = lines[0].partition(" ")
                target = rest.rpartition(" ")[0]
                headers: dict[str, str] = {}
                for line in lines[1:]:
                    if not line:
                        continue
                    name, _, value = line.partition(":")
                    key = name.strip().lower()
                    value = value.strip()
                    headers[key] = f"{headers[key]}, {value}" if key in headers else value
                length = int(headers.get("content-length", "0") or 0)
                if length > MAX_BODY or "chunked" in headers.get("transfer-encoding", ""):
                    writer.write(b"HTTP/1.1 413 Too Large\r\nContent-Length: 0\r\n\r\n")
                    return
                body = await reader.readexactly(length) if length else b""
                if method == "POST":
                    status = self.delivery(target, headers, body, local_host)
                else:
                    self.other[f"{method} {target}"] += 1
                    self.dirty = True
                    status = 404
                reason = {202: "Accepted", 404: "Not Found"}.get(status, "Refused")
                writer.write(f"HTTP/1.1 {status} {reason}\r\nContent-Length: 0\r\n\r\n".encode())
                if headers.get("connection", "").lower() == "close":
                    return
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()


async def serve(args) -> None:
    sink = Sink(Path(args.key_file).read_text(), args.key_id, Path(args.stats))
    server = await asyncio.start_server(
        sink.connection,
        host="0.0.0.0",
        port=args.port,
        reuse_port=True,
        backlog=4096,
        limit=MAX_HEAD,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    sink.write()  # the file's existence tells the benchmark that this process listens
    task = asyncio.create_task(sink.writer_loop())
    async with server:
        await stop.wait()
    task.cancel()
    sink.dirty = True
    sink.write()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key-file", required=True, help="the author's public key (PEM)")
    parser.add_argument("--key-id", required=True, help="the keyId deliveries must carry")
    parser.add_argument("--stats", required=True, help="JSON file this process writes")
    args = parser.parse_args(argv)
    try:
        import uvloop
    except ImportError:  # plain asyncio works too, a little slower
        asyncio.run(serve(args))
    else:
        uvloop.run(serve(args))


if __name__ == "__main__":
    main()
