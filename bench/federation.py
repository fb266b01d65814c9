"""Federation benchmark: a real `pnyx serve` receiving signed activities and fanning a post out.

    .venv/bin/python bench/federation.py --small                # 1,000 followers on 100 servers,
                                                                # 2,000 activities per inbox phase
    .venv/bin/python bench/federation.py                        # 10,000 followers on 1,000 servers,
                                                                # 10,000 activities per inbox phase
    .venv/bin/python bench/federation.py --database both        # SQLite, then PostgreSQL

What it measures (issue 3), each against a baseline measured in the same run:

- **inbox**: signed `Create(Note)` activities from 100 remote actors on 100 "servers", sent to
  the shared inbox over many keep-alive connections. Three phases, each with new activities:
  *combined* (job workers on: accepted per second, and fully processed per second = until
  every status is in the database and no `inbox.process` job is left), *accept only*
  (`PNYX_JOB_WORKERS=0`: the cost of the request path alone) and *drain* (the server restarted
  with workers on, processing the backlog the accept-only phase left: the cost of the worker
  side alone). Baseline: RSA-2048 signature verifications per second on one thread of this
  machine (`cryptography`, PKCS#1 v1.5 + SHA-256 over a draft-cavage signing string like the
  ones the inbox checks), plus Pnyx's whole `signatures.verify_request` for comparison.
  The server's CPU time per activity (from /proc) is divided by one verification's CPU time:
  the issue asks for the inbox's own overhead to stay small next to the signature check. A
  second baseline is the same server and client on its cheapest endpoint
  (`GET /api/v1/instance/rules`): what any request costs there before the inbox does anything.
- **fan-out**: one `POST /api/v1/statuses` by a local user with 10,000 remote followers spread
  over 1,000 servers: time until the last of the 1,000 deliveries (one per server, to its
  shared inbox) has been verified by the sink, and deliveries per second. Baselines: RSA-2048
  signatures per second (each delivery is signed once, for its own Host), Pnyx's
  `signatures.sign_request` per second, and the sink's own capacity (verified deliveries per
  second when the benchmark floods it directly).

How it is built, and why:

- **Data** goes straight into a fresh database before the server starts (SQLite file in a
  temporary directory, or PostgreSQL `pnyx_fbench` recreated), with the schema made by the
  migrations. The local user, its key pair and an OAuth token go through core
  (`accounts.create_local`, `keys.ensure_keypair`, `oauth.issue_token`), so the sink knows the
  author's public key before anything is delivered. Remote accounts and follows are bulk
  inserts (Core `executemany`) with their counters set.
- **1,000 servers on one machine**: Linux routes all of 127.0.0.0/8 to the loopback interface.
  The sink (`bench/federation_sink.py`) listens on 0.0.0.0:PORT and follower server *i* is
  `127.0.{1 + i // 250}.{i % 250 + 1}:PORT`, shared inbox `http://<that>/inbox`. The sink checks
  that each delivery's Host is the address it was really sent to, verifies its signature with
  Pnyx's own `verify_request` and the author's key, and counts it per activity and per host.
  Its CPU time is reported, so one can see it is not the bottleneck (`--sink-processes` adds
  processes sharing the port with SO_REUSEPORT if it ever is).
- **Inbox senders** are remote accounts inserted *with* `public_key_pem` and `public_key_id`,
  so the inbox finds every key in its database and never fetches one: what is measured is the
  steady state of a server that already knows its peers (a first contact adds one actor
  fetch). Their domains are `127.1.x.y:PORT` of the sink, so any fetch the server still made
  would show up in the sink's counts (reported as "unexpected requests at the sink"). The
  local user follows every sender, as someone who sees their posts would.
- **Signing is client cost**, kept out of the measured server cost: all requests of a phase
  are signed (by the benchmark's own draft-cavage signer, with key objects loaded once) right
  before the phase starts, and sent as prepared bytes by a small asyncio HTTP/1.1 client over
  keep-alive connections. Dates stay valid for the server's 12-hour window.
- **Server**: a real `pnyx serve --workers 1` (`--server-workers`) subprocess on a loopback port with
  `PNYX_DOMAIN=127.0.0.1:<port>`, `PNYX_SCHEME=http`, `PNYX_ALLOW_PRIVATE_ADDRESSES=1`,
  `PNYX_RATE_LIMITS=0`, `PNYX_LOG_LEVEL=warning` and `PNYX_JOB_WORKERS` from `--job-workers`
  (job threads in the server process; default 4, Pnyx's default).
- **The machine is shared**: the 1-minute load average during the run is printed; every
  ratio uses baselines measured in the same run (at the start and again at the end; the
  ratios use their mean). CPU-time ratios (server CPU per activity over one verification's
  CPU time) move less with other processes' load than rates do. The commit measured is
  printed too, with a warning when it changed during the run.
- `--profile DIR` records py-spy profiles (threads holding the GIL, collapsed stacks) of the
  server during each phase, to see where the time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import orjson
import sqlalchemy as sa
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from tqdm import tqdm

from pnyx import registry  # noqa: F401 (installs the handlers of the events core records)
from pnyx.config import Settings
from pnyx.core import accounts as core_accounts
from pnyx.core import keys, oauth
from pnyx.db.engine import Database, create_db_engine, normalize_url
from pnyx.db.ids import new_id
from pnyx.db.migrate import upgrade
from pnyx.db.tables import accounts, follows, jobs, statuses
from pnyx.federation import signatures

ROOT = Path(__file__).resolve().parent
PNYX = ROOT.parent / ".venv" / "bin" / "pnyx"
SINK = ROOT / "federation_sink.py"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/pnyx_fbench"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
AP_CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]
USERNAME = "alice"


@dataclass(frozen=True)
class Size:
    followers: int  # remote followers of the local author (fan-out)
    servers: int  # servers they are spread over: one delivery each
    senders: int  # remote actors posting to the inbox, one per server
    activities: int  # Create activities per inbox phase


DEFAULT_SIZE = Size(followers=10_000, servers=1_000, senders=100, activities=10_000)
SMALL_SIZE = Size(followers=1_000, servers=100, senders=50, activities=2_000)


# --- Baselines ------------------------------------------------------------------------------


def _rate(fn, seconds: float, *, min_calls: int = 3) -> dict:
    """Calls per second of `fn` on this thread: by wall clock and by this thread's CPU time."""
    fn()  # warm
    calls, wall0, cpu0 = 0, time.perf_counter(), time.thread_time()
    batch = 1
    while True:
        for _ in range(batch):
            fn()
        calls += batch
        wall = time.perf_counter() - wall0
        if wall >= seconds and calls >= min_calls:
            break
        batch = min(batch * 2, 256)
    cpu = time.thread_time() - cpu0
    return {"calls": calls, "per_s": calls / wall, "per_cpu_s": calls / max(cpu, 1e-9)}


def cavage_headers(key, key_id: str, host: str, path: str, body: bytes, date: str) -> dict:
    """A draft-cavage rsa-sha256 signature over (request-target) host date digest, as Mastodon
    signs deliveries. The benchmark's own signer: it keeps the key object loaded."""
    digest = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
    signing = f"(request-target): post {path}\nhost: {host}\ndate: {date}\ndigest: {digest}"
    signature = key.sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256())
    return {
        "Host": host,
        "Date": date,
        "Digest": digest,
        "Signature": f'keyId="{key_id}",algorithm="rsa-sha256",'
        f'headers="(request-target) host date digest",'
        f'signature="{base64.b64encode(signature).decode()}"',
    }


def http_date() -> str:
    return format_datetime(datetime.now(UTC), usegmt=True)


def measure_baselines(seconds: float) -> dict:
    """RSA-2048 on one thread of this machine, and Pnyx's own signing and checking functions."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    key_id = "http://127.1.0.1:9/users/s0#main-key"
    body = create_activity("http://127.1.0.1:9/users/s0", "baseline", 0)
    host = "127.0.0.1:8000"
    headers = cavage_headers(key, key_id, host, "/inbox", body, http_date())
    signing = (
        f"(request-target): post /inbox\nhost: {host}\ndate: {headers['Date']}\n"
        f"digest: {headers['Digest']}"
    ).encode()
    signature = key.sign(signing, padding.PKCS1v15(), hashes.SHA256())
    pkcs, sha = padding.PKCS1v15(), hashes.SHA256()
    out = {
        "rsa_verify": _rate(lambda: public.verify(signature, signing, pkcs, sha), seconds),
        "verify_request": _rate(
            lambda: signatures.verify_request(
                method="POST",
                path="/inbox",
                headers=headers,
                body=body,
                public_key_pem=public_pem,
                scheme="http",
                expected_host=host,
            ),
            seconds,
        ),
        "rsa_sign": _rate(lambda: key.sign(signing, pkcs, sha), seconds),
        "sign_request": _rate(
            lambda: signatures.sign_request(
                method="POST",
                url=f"http://{host}/inbox",
                body=body,
                key_id=key_id,
                private_key_pem=private_pem,
            ),
            seconds,
        ),
    }
    out["body_bytes"] = len(body)
    return out


def mean_baselines(runs: list[dict]) -> dict:
    """Mean rate of each baseline over its runs: `name` by wall clock, `name_cpu` per CPU second
    (the fairer unit next to the server's CPU time when other processes share the cores)."""
    out = {}
    for key, value in runs[0].items():
        if isinstance(value, dict):
            out[key] = sum(r[key]["per_s"] for r in runs) / len(runs)
            out[key + "_cpu"] = sum(r[key]["per_cpu_s"] for r in runs) / len(runs)
    return out


# --- Documents --------------------------------------------------------------------------------


def create_activity(actor_uri: str, tag: str, n: int) -> bytes:
    """A Create(Note) shaped like Mastodon's: public, HTML content, every 4th with a hashtag."""
    note_id = f"{actor_uri}/statuses/{tag}-{n}"
    host = actor_uri.split("/")[2]
    published = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = (
        f"Post {n} of run {tag}: the assembly gathered on the hill to speak and to listen, "
        f"and somebody asked whether the new fountain would ever be finished."
    )
    tags = []
    if n % 4 == 0:
        tags = [{"type": "Hashtag", "href": f"http://{host}/tags/pnyx", "name": "#pnyx"}]
        text += f' <a href="http://{host}/tags/pnyx" class="mention hashtag">#<span>pnyx</span></a>'
    note = {
        "id": note_id,
        "type": "Note",
        "summary": None,
        "inReplyTo": None,
        "published": published,
        "url": f"http://{host}/@{actor_uri.rsplit('/', 1)[1]}/{tag}-{n}",
        "attributedTo": actor_uri,
        "to": [PUBLIC],
        "cc": [f"{actor_uri}/followers"],
        "sensitive": False,
        "content": f"<p>{text}</p>",
        "contentMap": {"en": f"<p>{text}</p>"},
        "attachment": [],
        "tag": tags,
    }
    activity = {
        "@context": AP_CONTEXT,
        "id": f"{note_id}/activity",
        "type": "Create",
        "actor": actor_uri,
        "published": published,
        "to": note["to"],
        "cc": note["cc"],
        "object": note,
    }
    return orjson.dumps(activity)


def raw_post(path: str, headers: dict, body: bytes) -> bytes:
    lines = [f"POST {path} HTTP/1.1"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines += [
        "Content-Type: application/activity+json",
        f"Content-Length: {len(body)}",
        "User-Agent: pnyx-fbench",
        "",
        "",
    ]
    return "\r\n".join(lines).encode() + body


# --- Data -----------------------------------------------------------------------------------


def follower_host(i: int, port: int) -> str:
    return f"127.0.{1 + i // 250}.{i % 250 + 1}:{port}"


def sender_host(i: int, port: int) -> str:
    return f"127.1.{i // 250}.{i % 250 + 1}:{port}"


@dataclass
class Sender:
    uri: str
    key_id: str
    key: rsa.RSAPrivateKey


@dataclass
class Fixture:
    account_id: int
    token: str
    public_pem: str
    key_id: str
    private_pem: str
    senders: list[Sender] = field(default_factory=list)


def reset_database(url: str) -> None:
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    parsed = sa.engine.make_url(normalize_url(url))
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{parsed.database}"')
    admin.dispose()


def _remote_account(username: str, host: str, now: datetime, **extra) -> dict:
    uri = f"http://{host}/users/{username}"
    row = {
        "id": new_id(),
        "username": username,
        "domain": host,
        "display_name": username.upper(),
        "note": "",
        "note_source": "",
        "fields": [],
        "also_known_as": [],
        "uri": uri,
        "url": f"http://{host}/@{username}",
        "inbox_url": f"{uri}/inbox",
        "shared_inbox_url": f"http://{host}/inbox",
        "outbox_url": f"{uri}/outbox",
        "followers_url": f"{uri}/followers",
        "following_url": f"{uri}/following",
        "public_key_pem": None,
        "public_key_id": None,
        "followers_count": 0,
        "following_count": 0,
        "fetched_at": now,
        "created_at": now,
        "updated_at": now,
    }
    row.update(extra)
    return row


def _chunks(rows: list, size: int = 2000):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def build(url: str, settings: Settings, size: Size, sink_port: int) -> Fixture:
    """Schema, the local author, its followers and the inbox senders, in a fresh database."""
    reset_database(url)
    engine = create_db_engine(url)
    upgrade(engine)
    engine.dispose()
    db = Database(settings)
    try:

        def local(tx):
            account_id, user_id = core_accounts.create_local(
                tx, USERNAME, f"{USERNAME}@fbench.example", "fbench password 1"
            )
            pair = keys.ensure_keypair(tx, account_id)
            app = oauth.create_app(tx, "fbench", [oauth.OOB], ["read", "write"], website=None)
            token, _ = oauth.issue_token(tx, app.id, user_id, ["read", "write"])
            return account_id, pair, token

        account_id, pair, token = db.run_sync(local)
        now = datetime.now(UTC).replace(tzinfo=None)
        fixture = Fixture(
            account_id=account_id,
            token=token,
            public_pem=pair.public_pem,
            private_pem=pair.private_pem,
            key_id=f"{settings.base_url}/users/{USERNAME}#main-key",
        )

        followers = [
            _remote_account(f"f{i}", follower_host(i % size.servers, sink_port), now,
                            following_count=1)
            for i in range(size.followers)
        ]  # fmt: skip
        with tqdm(total=size.senders, desc="sender keys", unit="key", leave=False) as bar:
            sender_rows = []
            for i in range(size.senders):
                key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
                pem = (
                    key.public_key()
                    .public_bytes(
                        serialization.Encoding.PEM,
                        serialization.PublicFormat.SubjectPublicKeyInfo,
                    )
                    .decode()
                )
                row = _remote_account(f"s{i}", sender_host(i, sink_port), now, followers_count=1)
                row["public_key_pem"] = pem
                row["public_key_id"] = row["uri"] + "#main-key"
                sender_rows.append(row)
                fixture.senders.append(Sender(row["uri"], row["public_key_id"], key))
                bar.update()

        follow_rows = [
            {"id": new_id(), "account_id": row["id"], "target_account_id": account_id,
             "show_reblogs": True, "notify": False, "created_at": now}
            for row in followers
        ] + [
            {"id": new_id(), "account_id": account_id, "target_account_id": row["id"],
             "show_reblogs": True, "notify": False, "created_at": now}
            for row in sender_rows
        ]  # fmt: skip
        total = len(followers) + len(sender_rows) + len(follow_rows)
        bar = tqdm(total=total, desc="remote accounts, follows", unit="row", leave=False)
        with bar, db.transaction() as tx:
            for chunk in _chunks(followers + sender_rows):
                tx.conn.execute(accounts.insert(), chunk)
                bar.update(len(chunk))
            for chunk in _chunks(follow_rows):
                tx.conn.execute(follows.insert(), chunk)
                bar.update(len(chunk))
            tx.execute(
                accounts.update()
                .where(accounts.c.id == account_id)
                .values(followers_count=len(followers), following_count=len(sender_rows))
            )
        return fixture
    finally:
        db.dispose()


@dataclass
class DbState:
    remote_statuses: int
    inbox_pending: int
    inbox_failed: int
    inbox_errors: int  # jobs that failed at least once (waiting for a retry, or given up)
    deliver_pending: int
    deliver_errors: int


class Probe:
    """Reads progress from the server's database (a separate connection per look)."""

    def __init__(self, url: str):
        self.engine = sa.create_engine(normalize_url(url), poolclass=sa.pool.NullPool)

    def state(self) -> DbState:
        with self.engine.connect() as conn:
            remote = conn.execute(
                sa.select(sa.func.count()).select_from(statuses).where(statuses.c.local.is_(False))
            ).scalar()
            rows = conn.execute(
                sa.select(
                    jobs.c.kind,
                    sa.func.count(),
                    sa.func.count(jobs.c.failed_at),
                    sa.func.count(jobs.c.last_error),
                ).group_by(jobs.c.kind)
            ).all()
        by_kind = {r[0]: r[1:] for r in rows}
        inbox = by_kind.get("inbox.process", (0, 0, 0))
        deliver = by_kind.get("deliver", (0, 0, 0))
        return DbState(remote, inbox[0] - inbox[1], inbox[1], inbox[2], deliver[0], deliver[2])

    def last_errors(self, kind: str, limit: int = 3) -> list[str]:
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    sa.select(jobs.c.last_error)
                    .where(jobs.c.kind == kind, jobs.c.last_error.is_not(None))
                    .limit(limit)
                ).scalars()
            )

    def close(self) -> None:
        self.engine.dispose()


# --- Processes ------------------------------------------------------------------------------


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(children.get(current, []))
    return out


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process and its descendants, all threads (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for current in _descendants(pid):
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def http_json(port: int, method: str, path: str, token: str | None = None, data=None):
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if body is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


class Server:
    """A real `pnyx serve` subprocess; the port is fixed because it is in every local uri."""

    def __init__(
        self, port: int, url: str, job_workers: int, log_path: Path, data_dir: Path, processes: int
    ):
        self.port = port
        env = dict(os.environ)
        env.update(
            PNYX_DATABASE_URL=url,
            PNYX_DOMAIN=f"127.0.0.1:{port}",
            PNYX_SCHEME="http",
            PNYX_ALLOW_PRIVATE_ADDRESSES="1",
            PNYX_RATE_LIMITS="0",
            PNYX_JOB_WORKERS=str(job_workers),
            PNYX_DATA_DIR=str(data_dir),
            PNYX_LOG_LEVEL="warning",
        )
        self.log_path = log_path
        self.log = log_path.open("ab")
        self.process = subprocess.Popen(
            [
                str(PNYX),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(processes),
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(
                    f"pnyx serve exited with {self.process.returncode}:\n"
                    + self.log_path.read_text(errors="replace")[-3000:]
                )
            try:
                if http_json(self.port, "GET", "/api/v1/instance")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise SystemExit(f"pnyx serve did not answer within {timeout:.0f} s")

    def cpu(self) -> float:
        return process_cpu(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


class Sinks:
    """The sink processes (bench/federation_sink.py) sharing one port."""

    def __init__(self, port: int, count: int, fixture: Fixture, workdir: Path):
        self.port = port
        key_file = workdir / "author.pem"
        key_file.write_text(fixture.public_pem)
        self.stats_files = [workdir / f"sink-{i}.json" for i in range(count)]
        for path in self.stats_files:
            path.unlink(missing_ok=True)  # its appearance is the sign that the sink listens
        self.log = (workdir / "sink.log").open("ab")
        self.processes = [
            subprocess.Popen(
                [
                    sys.executable,
                    str(SINK),
                    "--port",
                    str(port),
                    "--key-file",
                    str(key_file),
                    "--key-id",
                    fixture.key_id,
                    "--stats",
                    str(path),
                ],
                stdout=self.log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
            for path in self.stats_files
        ]
        deadline = time.monotonic() + 30
        while not all(p.exists() for p in self.stats_files):
            if time.monotonic() > deadline or any(p.poll() is not None for p in self.processes):
                self.stop()
                raise SystemExit("the sink did not start: see " + str(workdir / "sink.log"))
            time.sleep(0.05)

    def stats(self) -> dict:
        merged: dict = {"cpu": 0.0, "busy": 0.0, "requests": 0, "verified": 0,
                        "refused": Counter(), "other": Counter(), "activities": {}}  # fmt: skip
        for path in self.stats_files:
            try:
                one = orjson.loads(path.read_bytes())
            except (OSError, orjson.JSONDecodeError):
                continue  # being replaced right now; the next look sees it
            for key in ("cpu", "busy", "requests", "verified"):
                merged[key] += one[key]
            merged["refused"].update(one["refused"])
            merged["other"].update(one["other"])
            for activity_id, seen in one["activities"].items():
                into = merged["activities"].setdefault(
                    activity_id, {"count": 0, "hosts": Counter(), "first": seen["first"], "last": 0}
                )
                into["count"] += seen["count"]
                into["hosts"].update(seen["hosts"])
                into["first"] = min(into["first"], seen["first"])
                into["last"] = max(into["last"], seen["last"])
        return merged

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.log.close()


# --- Load generator -------------------------------------------------------------------------


@dataclass
class Blast:
    statuses: Counter
    started: float
    last_response: float
    latencies: list[float]
    client_cpu: float
    errors: list[str]

    @property
    def seconds(self) -> float:
        return self.last_response - self.started


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length, chunked, close = 0, False, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        elif name == b"connection" and value.strip().lower() == b"close":
            close = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status, close


async def _blast(host: str, port: int, requests: list[bytes], connections: int, bar) -> Blast:
    pending = iter(requests)
    result = Blast(Counter(), time.monotonic(), 0.0, [], 0.0, [])

    async def one_connection() -> None:
        reader = writer = None
        for request in pending:
            for attempt in range(3):
                try:
                    if writer is None:
                        reader, writer = await asyncio.open_connection(host, port)
                    started = time.perf_counter()
                    writer.write(request)
                    status, close = await asyncio.wait_for(_read_response(reader), 120)
                    result.latencies.append(time.perf_counter() - started)
                    result.statuses[status] += 1
                    result.last_response = time.monotonic()
                    bar.update()
                    if close:
                        writer.close()
                        writer = None
                    break
                except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
                    if writer is not None:
                        writer.close()
                    writer = None
                    if attempt == 2:
                        result.errors.append(f"{type(exc).__name__}: {exc}")
                        result.statuses["error"] += 1
        if writer is not None:
            writer.close()

    usage = resource.getrusage(resource.RUSAGE_SELF)
    result.started = time.monotonic()
    await asyncio.gather(*(one_connection() for _ in range(connections)))
    after = resource.getrusage(resource.RUSAGE_SELF)
    result.client_cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    return result


def blast(port: int, requests: list[bytes], connections: int, desc: str) -> Blast:
    with tqdm(total=len(requests), desc=desc, unit="req", leave=False) as bar:
        coro = _blast("127.0.0.1", port, requests, connections, bar)
        try:
            import uvloop
        except ImportError:
            return asyncio.run(coro)
        return uvloop.run(coro)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def inbox_requests(fixture: Fixture, size: Size, server_host: str, tag: str) -> list[bytes]:
    """Signed requests, interleaved so that consecutive ones come from different servers."""
    per_sender = -(-size.activities // len(fixture.senders))
    out: list[bytes] = []
    date = http_date()
    with tqdm(total=size.activities, desc=f"sign {tag}", unit="act", leave=False) as bar:
        for n in range(per_sender):
            for sender in fixture.senders:
                if len(out) == size.activities:
                    break
                body = create_activity(sender.uri, tag, n)
                headers = cavage_headers(sender.key, sender.key_id, server_host, "/inbox", body,
                                         date)  # fmt: skip
                out.append(raw_post("/inbox", headers, body))
                bar.update()
    return out


# --- Phases ---------------------------------------------------------------------------------


def wait_processed(
    probe: Probe, target: int, timeout: float, desc: str, stall: float = 60
) -> tuple[float, DbState]:
    """Poll until `target` remote statuses exist and no inbox job is pending (or nothing moved
    for `stall` seconds: failed jobs wait minutes for their retry, and are reported)."""
    deadline = time.monotonic() + timeout
    moved, last_count = time.monotonic(), -1
    with tqdm(total=target, desc=desc, unit="st", leave=False) as bar:
        while True:
            state = probe.state()
            now = time.monotonic()
            if state.remote_statuses != last_count:
                moved, last_count = now, state.remote_statuses
            elif now - moved > stall:
                return now, state
            bar.n = min(state.remote_statuses, target)
            bar.refresh()
            if state.remote_statuses >= target and state.inbox_pending == 0:
                return now, state
            if state.inbox_pending == 0 and state.remote_statuses < target:
                # Nothing left to process but statuses are missing: some were refused.
                return now, state
            if now > deadline:
                return now, state
            time.sleep(0.1)


def inbox_phase(
    name: str, server: Server, probe: Probe, fixture: Fixture, size: Size, args, *, wait: bool
) -> dict:
    requests = inbox_requests(fixture, size, f"127.0.0.1:{server.port}", f"{name}{time.time_ns()}")
    before = probe.state()
    cpu0 = server.cpu()
    result = blast(server.port, requests, args.connections, f"inbox {name}")
    cpu_accept = server.cpu() - cpu0
    accepted = result.statuses.get(202, 0)
    out = {
        "phase": name,
        "activities": len(requests),
        "statuses": {str(k): v for k, v in result.statuses.items()},
        "errors": result.errors[:5],
        "accept_seconds": result.seconds,
        "accepted_per_s": accepted / result.seconds if result.seconds > 0 else 0.0,
        "p50_ms": percentile(result.latencies, 50) * 1000,
        "p99_ms": percentile(result.latencies, 99) * 1000,
        "client_cpu_s": result.client_cpu,
        "server_cpu_accept_s": cpu_accept,
        "remote_statuses_before": before.remote_statuses,
    }
    if wait:
        target = before.remote_statuses + accepted
        done, state = wait_processed(probe, target, args.timeout, f"processed {name}")
        seconds = done - result.started
        processed = state.remote_statuses - before.remote_statuses
        out.update(
            processed=processed,
            processed_seconds=seconds,
            processed_per_s=processed / seconds if seconds > 0 else 0.0,
            server_cpu_s=server.cpu() - cpu0,
            inbox_failed=state.inbox_failed,
            inbox_pending=state.inbox_pending,
            inbox_errors=state.inbox_errors,
            last_errors=[e[-600:] for e in probe.last_errors("inbox.process")],
        )
    return out


TRIVIAL_PATH = "/api/v1/instance/rules"


def trivial_phase(server: Server, count: int, connections: int) -> dict:
    """The same server and client on its cheapest endpoint: what any request costs here."""
    request = (
        f"GET {TRIVIAL_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        f"User-Agent: pnyx-fbench\r\n\r\n"
    ).encode()
    cpu0 = server.cpu()
    result = blast(server.port, [request] * count, connections, "trivial GET")
    return {
        "phase": "trivial",
        "requests": count,
        "statuses": {str(k): v for k, v in result.statuses.items()},
        "per_s": result.statuses.get(200, 0) / result.seconds if result.seconds > 0 else 0.0,
        "server_cpu_s": server.cpu() - cpu0,
        "p50_ms": percentile(result.latencies, 50) * 1000,
        "p99_ms": percentile(result.latencies, 99) * 1000,
    }


@contextlib.contextmanager
def profiled(server: Server, args, name: str):
    """With --profile DIR: py-spy samples the server (threads holding the GIL) during a phase,
    written as collapsed stacks (DIR/<database>-<phase>.txt, flamegraph input)."""
    spy = shutil.which("py-spy") or str(PNYX.parent / "py-spy")
    if not args.profile or not Path(spy).exists():
        yield
        return
    args.profile.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [spy, "record", "-p", str(server.process.pid), "-o", str(args.profile / f"{name}.txt"),
         "-f", "raw", "-r", "100", "--threads", "--gil"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(0.5)
    try:
        yield
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def drain_phase(server: Server, probe: Probe, accepted: int, before: int, args) -> dict:
    """The server was started with workers on and a backlog of `accepted` inbox jobs."""
    cpu0 = server.cpu()
    first = probe.state()
    t0 = time.monotonic()
    done, state = wait_processed(probe, before + accepted, args.timeout, "drain")
    processed = state.remote_statuses - first.remote_statuses
    seconds = done - t0
    return {
        "phase": "drain",
        "activities": accepted,
        "already_done_at_first_look": first.remote_statuses - before,
        "processed": processed,
        "processed_seconds": seconds,
        "processed_per_s": processed / seconds if seconds > 0 else 0.0,
        "server_cpu_s": server.cpu() - cpu0,
        "inbox_failed": state.inbox_failed,
        "inbox_pending": state.inbox_pending,
        "inbox_errors": state.inbox_errors,
        "last_errors": [e[-600:] for e in probe.last_errors("inbox.process")],
        "total_stored": state.remote_statuses - before,
    }


def sink_capacity(sinks: Sinks, fixture: Fixture, count: int, connections: int) -> dict:
    """Flood the sink directly with deliveries signed by the author: what it can verify."""
    key = serialization.load_pem_private_key(fixture.private_pem.encode(), password=None)
    host = f"127.0.0.1:{sinks.port}"
    activity_id = f"capacity-{time.time_ns()}"
    body = orjson.dumps({"id": activity_id, "type": "Create", "filler": "x" * 1200})
    date = http_date()
    requests = [
        raw_post("/inbox", cavage_headers(key, fixture.key_id, host, "/inbox", body, date), body)
        for _ in tqdm(range(count), desc="sign sink probe", leave=False)
    ]
    before = sinks.stats()
    result = blast(sinks.port, requests, connections, "sink capacity")
    time.sleep(0.2)  # the sink writes its counts every 50 ms
    after = sinks.stats()
    seen = after["activities"].get(activity_id, {"count": 0, "first": 0, "last": 0})
    span = seen["last"] - seen["first"]
    return {
        "requests": count,
        "verified": seen["count"],
        "verified_per_s": (seen["count"] - 1) / span if span > 0 else 0.0,
        "sink_busy_us_per_delivery": (after["busy"] - before["busy"]) / max(seen["count"], 1) * 1e6,
        "client_seconds": result.seconds,
    }


def fanout_phase(server: Server, sinks: Sinks, probe: Probe, fixture: Fixture, size: Size, args):
    expected_hosts = {follower_host(i, sinks.port) for i in range(size.servers)}
    sink0 = sinks.stats()
    cpu0 = server.cpu()
    t0 = time.monotonic()
    status, body = http_json(
        server.port,
        "POST",
        "/api/v1/statuses",
        fixture.token,
        {"status": "Fan-out benchmark: hello, every server.", "visibility": "public"},
    )
    t_answer = time.monotonic()
    if status != 200:
        raise SystemExit(f"POST /api/v1/statuses answered {status}: {body}")
    activity_id = body["uri"] + "/activity"
    deadline = t0 + args.timeout
    seen = {"count": 0, "hosts": Counter(), "first": 0.0, "last": 0.0}
    state = probe.state()
    with tqdm(total=size.servers, desc="fan-out deliveries", unit="srv", leave=False) as bar:
        last_db_look = 0.0
        while True:
            seen = sinks.stats()["activities"].get(activity_id, seen)
            bar.n = seen["count"]
            bar.refresh()
            if seen["count"] >= size.servers or time.monotonic() > deadline:
                break
            if time.monotonic() - last_db_look > 2:
                state, last_db_look = probe.state(), time.monotonic()
                bar.set_postfix(pending=state.deliver_pending, errors=state.deliver_errors)
            time.sleep(0.05)
    # The jobs finish (the worker deletes each after its 202) a moment after the last delivery.
    settle = time.monotonic() + 30
    while (state := probe.state()).deliver_pending and time.monotonic() < settle:
        time.sleep(0.1)
    cpu = server.cpu() - cpu0
    sink1 = sinks.stats()
    hosts = seen["hosts"]
    count = seen["count"]
    last = seen["last"] - t0 if count else float("nan")
    first = seen["first"] - t0 if count else float("nan")
    return {
        "followers": size.followers,
        "servers": size.servers,
        "api_answer_ms": (t_answer - t0) * 1000,
        "first_delivery_s": first,
        "last_delivery_s": last,
        "deliveries": count,
        "distinct_servers": len(hosts),
        "servers_delivered_twice": sum(1 for n in hosts.values() if n > 1),
        "unexpected_servers": len(set(hosts) - expected_hosts),
        "deliveries_per_s": count / last if count and last > 0 else 0.0,
        "deliveries_per_s_after_first": (count - 1) / (last - first)
        if count > 1 and last > first
        else 0.0,
        "server_cpu_s": cpu,
        "deliver_jobs_left": state.deliver_pending,
        "deliver_jobs_with_errors": state.deliver_errors,
        "sink_verified": sink1["verified"] - sink0["verified"],
        "sink_refused": dict(sink1["refused"] - sink0["refused"]),
        "sink_busy_s": sink1["busy"] - sink0["busy"],
        "sink_cpu_s": sink1["cpu"] - sink0["cpu"],
    }


# --- One database ---------------------------------------------------------------------------


def run_database(kind: str, size: Size, args, workdir: Path) -> dict:
    url = f"sqlite:///{workdir / 'pnyx.sqlite3'}" if kind == "sqlite" else args.postgres_url
    port = free_port()
    sink_port = free_port("0.0.0.0")
    settings = Settings(
        domain=f"127.0.0.1:{port}", scheme="http", database_url=url, data_dir=str(workdir)
    )
    print(f"[{kind}] building: {size.followers:,} followers on {size.servers:,} servers, "
          f"{size.senders} inbox senders")  # fmt: skip
    started = time.monotonic()
    fixture = build(url, settings, size, sink_port)
    results: dict = {"database": kind, "build_seconds": time.monotonic() - started, "phases": {}}
    sinks = Sinks(sink_port, args.sink_processes, fixture, workdir)
    probe = Probe(url)
    log_path = workdir / f"serve-{kind}.log"
    load = [os.getloadavg()[0]]
    try:
        results["sink_capacity"] = sink_capacity(sinks, fixture, args.sink_probe, 16)
        print(f"[{kind}] sink capacity: {results['sink_capacity']['verified_per_s']:.0f} "
              f"verified deliveries/s")  # fmt: skip
        server = Server(port, url, args.job_workers, log_path, workdir, args.server_workers)
        try:
            server.wait_ready()
            time.sleep(1)  # let the job threads start polling
            if not args.skip_fanout:
                with profiled(server, args, f"{kind}-fanout"):
                    fan = fanout_phase(server, sinks, probe, fixture, size, args)
                results["fanout"] = fan
                print(f"[{kind}] fan-out: last of {fan['deliveries']} deliveries after "
                      f"{fan['last_delivery_s']:.2f} s, "
                      f"{fan['deliveries_per_s']:.0f}/s")  # fmt: skip
                load.append(os.getloadavg()[0])
            if not args.skip_inbox:
                with profiled(server, args, f"{kind}-combined"):
                    combined = inbox_phase(
                        "combined", server, probe, fixture, size, args, wait=True
                    )
                results["phases"]["combined"] = combined
                print(f"[{kind}] inbox, workers on: {combined['accepted_per_s']:.0f} accepted/s, "
                      f"{combined['processed_per_s']:.0f} processed/s")  # fmt: skip
        finally:
            server.stop()
        if not args.skip_inbox:
            load.append(os.getloadavg()[0])
            server = Server(port, url, 0, log_path, workdir, args.server_workers)
            try:
                server.wait_ready()
                trivial = trivial_phase(server, args.trivial_requests, args.connections)
                results["phases"]["trivial"] = trivial
                print(f"[{kind}] GET {TRIVIAL_PATH}: {trivial['per_s']:.0f} req/s")
                with profiled(server, args, f"{kind}-accept"):
                    accept = inbox_phase("accept", server, probe, fixture, size, args, wait=False)
                results["phases"]["accept"] = accept
                print(f"[{kind}] inbox, workers off: {accept['accepted_per_s']:.0f} accepted/s")
            finally:
                server.stop()
            server = Server(port, url, args.job_workers, log_path, workdir, args.server_workers)
            try:
                server.wait_ready()
                with profiled(server, args, f"{kind}-drain"):
                    drain = drain_phase(
                        server, probe, accept["statuses"].get("202", 0),
                        accept["remote_statuses_before"], args,
                    )  # fmt: skip
                results["phases"]["drain"] = drain
                print(f"[{kind}] inbox backlog drained: {drain['processed_per_s']:.0f}/s")
            finally:
                server.stop()
        load.append(os.getloadavg()[0])
        results["unexpected_sink_requests"] = dict(sinks.stats()["other"])
        results["sink_refused_total"] = dict(sinks.stats()["refused"])
    finally:
        probe.close()
        sinks.stop()
    results["load_average"] = load
    return results


# --- Report ---------------------------------------------------------------------------------


def _n(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def markdown(all_results: list[dict], base: dict, baselines: list[dict], size: Size, args) -> str:
    verify_s, sign_s = base["rsa_verify"], base["rsa_sign"]
    verify_cpu, sign_cpu = base["rsa_verify_cpu"], base["rsa_sign_cpu"]
    lines = [
        f"Federation benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores; "
        f"pnyx serve --workers 1 with PNYX_JOB_WORKERS={args.job_workers}; "
        f"{size.senders} inbox senders, {size.activities:,} activities per inbox phase, "
        f"{args.connections} connections; fan-out to {size.followers:,} followers on "
        f"{size.servers:,} servers; code {args.code[0]}"
        + (
            f" at the start, {args.code[1]} at the end (changed during the run!)"
            if args.code[1] != args.code[0]
            else ""
        ),
        "",
        "Baselines (one thread of this process; start / end of the run, ratios use the mean):",
        "",
        "| baseline | per second | µs each | CPU µs each |",
        "| --- | ---: | ---: | ---: |",
    ]
    labels = {
        "rsa_verify": "RSA-2048 verify (cryptography, PKCS#1 v1.5, SHA-256)",
        "verify_request": "pnyx `signatures.verify_request` (whole check, cavage)",
        "rsa_sign": "RSA-2048 sign",
        "sign_request": "pnyx `signatures.sign_request` (loads the PEM key, signs)",
    }
    for key, label in labels.items():
        runs = " / ".join(_n(b[key]["per_s"]) for b in baselines)
        lines.append(
            f"| {label} | {runs} | {_n(1e6 / base[key], 1)} | {_n(1e6 / base[key + '_cpu'], 1)} |"
        )

    lines += [
        "",
        "Inbox (signed Create(Note) to the shared inbox). *RSA verifies per activity*: how many "
        "RSA-2048 verifications (baseline above) fit in the wall time one activity takes at this "
        "rate; *CPU in RSA verifies*: the server's CPU time per activity (all its threads, from "
        "/proc) in units of one verification's CPU time. The GET row is the same server and "
        "client on its cheapest endpoint.",
        "",
        "| database | phase | requests | accepted/s | fully processed/s | RSA verifies per "
        "activity | server CPU ms per activity | CPU in RSA verifies | p50 / p99 ms | errors |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for res in all_results:
        for name, label in (
            ("trivial", f"GET {TRIVIAL_PATH} (this server's baseline)"),
            ("combined", "workers on: accept + process"),
            ("accept", "accept only (workers off)"),
            ("drain", "process only (the accept phase's backlog)"),
        ):
            p = res["phases"].get(name)
            if not p:
                continue
            ok = "200" if name == "trivial" else "202"
            accepted = p.get("per_s", p.get("accepted_per_s"))
            processed = p.get("processed_per_s")
            rate = processed or accepted
            if name == "trivial":
                cpu = p["server_cpu_s"] / max(p["statuses"].get(ok, 0), 1)
            elif name == "accept":
                cpu = p["server_cpu_accept_s"] / max(p["statuses"].get(ok, 0), 1)
            else:
                cpu = p["server_cpu_s"] / max(p.get("processed", 0), 1)
            latency = f"{p['p50_ms']:.1f} / {p['p99_ms']:.1f}" if "p50_ms" in p else "-"
            bad = sum(v for k, v in p.get("statuses", {}).items() if k != ok)
            count = p.get("requests", p.get("activities"))
            lines.append(
                f"| {res['database']} | {label} | {_n(count)} | "
                f"{_n(accepted) if accepted else '-'} | {_n(processed) if processed else '-'} | "
                f"{_n(verify_s / rate) if rate else '-'} | {cpu * 1000:.2f} | "
                f"{_n(cpu * verify_cpu)} | {latency} | {bad} |"
            )

    lines += [
        "",
        "Fan-out (one POST /api/v1/statuses; one signed delivery per server, each verified by the "
        "sink). *RSA signs per delivery*: RSA-2048 signatures (baseline above) that fit in the "
        "wall "
        "time of one delivery at this rate; *CPU in RSA signs*: the server's CPU time per delivery "
        "in units of one signature's CPU time (the one cost a delivery cannot avoid).",
        "",
        "| database | followers / servers | API answer ms | first delivery s | last delivery s "
        "| deliveries/s | RSA signs per delivery | server CPU ms per delivery | CPU in RSA signs "
        "| verified at sink | sink µs per verification | sink capacity/s |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for res in all_results:
        f = res.get("fanout")
        if not f:
            continue
        per = f["server_cpu_s"] / max(f["deliveries"], 1)
        lines.append(
            f"| {res['database']} | {_n(f['followers'])} / {_n(f['servers'])} | "
            f"{f['api_answer_ms']:.0f} | {f['first_delivery_s']:.2f} | {f['last_delivery_s']:.2f} "
            f"| {_n(f['deliveries_per_s'], 1)} | {_n(sign_s / max(f['deliveries_per_s'], 1e-9))} "
            f"| {per * 1000:.1f} | {_n(per * sign_cpu)} | {f['sink_verified']:,} "
            f"| {f['sink_busy_s'] / max(f['sink_verified'], 1) * 1e6:.0f} "
            f"| {_n(res['sink_capacity']['verified_per_s'])} |"
        )
    lines.append("")
    for res in all_results:
        db = res["database"]
        load = ", ".join(f"{x:.1f}" for x in res["load_average"])
        lines.append(f"- {db}: 1-minute load average during the run: {load} (2 cores; the "
                     f"benchmark's own processes account for about 2)")  # fmt: skip
        f = res.get("fanout")
        if f:
            lines.append(
                f"- {db}: fan-out reached {f['distinct_servers']:,} distinct servers "
                f"({f['unexpected_servers']} unexpected, {f['servers_delivered_twice']} reached "
                f"twice), {f['deliveries']:,} deliveries; "
                f"after the first delivery {_n(f['deliveries_per_s_after_first'], 1)}/s; "
                f"deliver jobs left {f['deliver_jobs_left']}, with errors "
                f"{f['deliver_jobs_with_errors']}; sink refused {f['sink_refused'] or 'none'}; "
                f"server CPU {f['server_cpu_s']:.1f} s, sink CPU {f['sink_cpu_s']:.2f} s"
            )
        for name, p in res["phases"].items():
            if name == "trivial":
                continue
            extra = ""
            if "client_cpu_s" in p:
                extra = (f"load generator CPU {p['client_cpu_s']:.1f} s over "
                         f"{p['accept_seconds']:.1f} s of sending; ")  # fmt: skip
            if "processed" in p:
                extra += (f"{p['processed']:,} stored in {p['processed_seconds']:.1f} s, "
                          f"inbox jobs pending {p['inbox_pending']}, with errors "
                          f"{p['inbox_errors']}, given up {p['inbox_failed']}")  # fmt: skip
            if p.get("last_errors"):
                extra += f"; last errors: {p['last_errors']}"
            if p.get("errors"):
                extra += f"; client errors: {p['errors']}"
            lines.append(f"- {db}: inbox {name}: {extra}")
        lines.append(
            f"- {db}: unexpected requests at the sink (fetches): "
            f"{res.get('unexpected_sink_requests') or 'none'}; refused there: "
            f"{res.get('sink_refused_total') or 'none'}"
        )
    return "\n".join(lines)


def code_version() -> str:
    """The commit being measured, and whether src/ differs from it (helpers share a tree)."""
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT.parent), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT.parent), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head or 'unknown'}{' + uncommitted changes in src/' if dirty else ''}"  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true",
                        help="1,000 followers on 100 servers; 50 senders, "
                             "2,000 activities")  # fmt: skip
    parser.add_argument("--followers", type=int)
    parser.add_argument("--servers", type=int, help="servers the followers are spread over")
    parser.add_argument("--senders", type=int, help="remote actors posting to the inbox")
    parser.add_argument("--activities", type=int, help="activities per inbox phase")
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--postgres-url",
                        default=os.environ.get("PNYX_FBENCH_DATABASE_URL", DEFAULT_PG),
                        help="recreated for the run (DROP DATABASE ... WITH FORCE)")  # fmt: skip
    parser.add_argument("--job-workers", type=int, default=4, help="PNYX_JOB_WORKERS")
    parser.add_argument(
        "--server-workers",
        type=int,
        default=1,
        help="pnyx serve --workers: server processes, each with its job threads",
    )
    parser.add_argument("--connections", type=int, default=64, help="inbox load connections")
    parser.add_argument("--sink-processes", type=int, default=1)
    parser.add_argument("--sink-probe", type=int, default=2000,
                        help="deliveries sent straight to the sink to measure its "
                             "capacity")  # fmt: skip
    parser.add_argument("--baseline-seconds", type=float, default=2.0)
    parser.add_argument("--trivial-requests", type=int, default=3000,
                        help=f"GET {TRIVIAL_PATH} requests, the server's own baseline")  # fmt: skip
    parser.add_argument("--profile", type=Path,
                        help="record py-spy profiles of the server per phase into this "
                             "directory")  # fmt: skip
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per phase at most")
    parser.add_argument("--skip-fanout", action="store_true")
    parser.add_argument("--skip-inbox", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args(argv)

    size = SMALL_SIZE if args.small else DEFAULT_SIZE
    size = Size(
        followers=args.followers or size.followers,
        servers=args.servers or size.servers,
        senders=args.senders or size.senders,
        activities=args.activities or size.activities,
    )
    if size.servers > size.followers or size.servers > 250 * 250:
        parser.error("need servers <= followers and servers <= 62,500")
    if not PNYX.exists():
        raise SystemExit(f"{PNYX} is missing: run `make install` first")

    args.code = [code_version()]
    print(f"code: {args.code[0]}; baselines: {args.baseline_seconds:.0f} s each, one thread")
    baselines = [measure_baselines(args.baseline_seconds)]
    kinds = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    all_results = []
    workdir = Path(tempfile.mkdtemp(prefix="fbench-", dir="/tmp"))
    try:
        for kind in kinds:
            all_results.append(run_database(kind, size, args, workdir))
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    args.code.append(code_version())
    print("baselines again")
    baselines.append(measure_baselines(args.baseline_seconds))
    base = mean_baselines(baselines)
    report = markdown(all_results, base, baselines, size, args)
    print()
    print(report)
    if args.json:
        args.json.write_text(
            json.dumps(
                {"size": size.__dict__, "code": args.code, "baselines": baselines,
                 "results": all_results, "report": report},
                indent=2,
                default=str,
            )
        )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
