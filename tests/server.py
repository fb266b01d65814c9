"""A real `pnyx serve` process on loopback, for end-to-end and federation tests.

In-process test clients skip the parts a real deployment relies on: the console script, settings
read from the environment, migrations at start, uvicorn's HTTP parsing, the in-process job
worker, several processes sharing one database. `PnyxServer` starts the real command in a
subprocess with its own data directory and database, waits until it answers, and stops it
cleanly. Several can run at once (federation tests start two or three), each on its own free
port and its own database.

    with PnyxServer(tmp_path / "a") as server:
        server.create_user("alice", "alice@example.com", "a long password")
        httpx.get(server.base_url + "/api/v1/instance")

On failure, `server.logs()` returns what the process wrote to stderr and stdout; the e2e
conftest attaches it to the failing test's report.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

STARTUP_TIMEOUT = 90.0  # seconds; PostgreSQL migrations on a busy 2-core machine take a while
STOP_TIMEOUT = 15.0
CLI_TIMEOUT = 120.0

_counter = itertools.count(1)


def pnyx_executable() -> str:
    """The `pnyx` console script of the environment running the tests (normally .venv/bin)."""
    beside = Path(sys.executable).parent / "pnyx"
    if beside.exists():
        return str(beside)
    found = shutil.which("pnyx")
    if found:
        return found
    repo_venv = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "pnyx"
    return str(repo_venv)


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _normalize(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class ServerError(RuntimeError):
    """The server did not start, died, or a CLI command against it failed."""


class PnyxServer:
    """One `pnyx serve` subprocess with its own port, data directory and database.

    backend: "sqlite" (a file in the data directory) or "postgres" (a fresh database on the
    server named by `postgres_url`, default PNYX_TEST_DATABASE_URL, dropped again on stop).
    env: extra PNYX_* settings (e.g. {"PNYX_REGISTRATIONS": "closed"}).
    executable: the `pnyx` console script to run (default: the test environment's).
    same_instance_as: another running server whose instance this one serves too (its domain
    and database): a second web process of one instance, on a port of its own.
    """

    def __init__(
        self,
        data_dir: str | os.PathLike | None = None,
        *,
        backend: str = "sqlite",
        postgres_url: str | None = None,
        env: dict[str, str] | None = None,
        workers: int = 1,
        startup_timeout: float = STARTUP_TIMEOUT,
        executable: str | None = None,
        same_instance_as: PnyxServer | None = None,
    ):
        if backend not in ("sqlite", "postgres"):
            raise ValueError(f"backend must be sqlite or postgres, not {backend!r}")
        self.backend = backend
        self._own_dir = data_dir is None
        self.data_dir = Path(data_dir or tempfile.mkdtemp(prefix="pnyx-server-"))
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.postgres_url = postgres_url or os.environ.get("PNYX_TEST_DATABASE_URL", "")
        if backend == "postgres" and not self.postgres_url:
            raise ValueError("the postgres backend needs PNYX_TEST_DATABASE_URL")
        self.extra_env = dict(env or {})
        self.workers = workers
        self.startup_timeout = startup_timeout
        self.executable = executable or pnyx_executable()
        self.same_instance_as = same_instance_as
        self.port = 0
        self.database_url = ""
        self._pg_database: str | None = None
        self._process: subprocess.Popen | None = None
        self._log_path = self.data_dir / "server.log"
        self._log_file = None

    # ----------------------------------------------------------------- addresses

    @property
    def domain(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.domain}"

    @property
    def instance_domain(self) -> str:
        """The instance's name (another server's when this one serves the same instance)."""
        return self.same_instance_as.domain if self.same_instance_as else self.domain

    def url(self, path: str) -> str:
        return self.base_url + path

    # ----------------------------------------------------------------- environment

    def environment(self) -> dict[str, str]:
        """The environment of the server and of CLI commands run against it."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("PNYX_") or k == "PNYX_TEST_DATABASE_URL"
        }
        env.update(
            {
                "PNYX_DOMAIN": self.instance_domain,
                "PNYX_SCHEME": "http",
                "PNYX_DATA_DIR": str(self.data_dir),
                "PNYX_DATABASE_URL": self.database_url,
                "PNYX_RATE_LIMITS": "0",
                "PNYX_ALLOW_PRIVATE_ADDRESSES": "1",
                # A pnyx.toml in the caller's directory must not leak into the test server.
                "PNYX_CONFIG": str(self.data_dir / "no-such-pnyx.toml"),
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(self.extra_env)
        return env

    def _create_database(self) -> None:
        if self.same_instance_as is not None:
            self.database_url = self.same_instance_as.database_url
            return
        if self.backend == "sqlite":
            self.database_url = f"sqlite:///{(self.data_dir / 'pnyx.sqlite3').resolve()}"
            return
        import sqlalchemy as sa

        base = sa.engine.make_url(_normalize(self.postgres_url))
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        name = f"{base.database or 'pnyx_test'}_srv_{worker}_{os.getpid()}_{next(_counter)}"
        name = name[:48] + "_" + uuid.uuid4().hex[:8]
        admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        finally:
            admin.dispose()
        self._pg_database = name
        self.database_url = base.set(database=name).render_as_string(hide_password=False)

    def _drop_database(self) -> None:
        if not self._pg_database:
            return
        import sqlalchemy as sa

        base = sa.engine.make_url(_normalize(self.postgres_url))
        admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self._pg_database}" WITH (FORCE)')
        finally:
            admin.dispose()
        self._pg_database = None

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> PnyxServer:
        """Start the process and wait until GET /api/v1/instance answers; retry a taken port."""
        if self._process is not None:
            raise ServerError("server already started")
        self._create_database()
        last_error: Exception | None = None
        for _attempt in range(3):
            self.port = free_port()
            try:
                self._spawn_and_wait()
                return self
            except ServerError as exc:
                last_error = exc
                self._halt()
                taken = "address already in use"
                if taken not in str(exc) and taken not in self.logs().lower():
                    break
        self._drop_database()
        raise ServerError(f"{last_error}\n--- pnyx serve output ---\n{self.logs()}")

    def _spawn_and_wait(self) -> None:
        self._log_file = open(self._log_path, "ab")  # noqa: SIM115 - closed in _halt
        self._process = subprocess.Popen(
            [
                self.executable,
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
            ],
            env=self.environment(),
            cwd=self.data_dir,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: uvicorn workers are stopped with it
        )
        deadline = time.monotonic() + self.startup_timeout
        with httpx.Client(timeout=5.0) as http:
            while True:
                code = self._process.poll()
                if code is not None:
                    raise ServerError(f"pnyx serve exited with status {code} while starting")
                try:
                    answer = http.get(self.url("/api/v1/instance"))
                except httpx.TransportError:
                    answer = None
                if answer is not None:
                    self._check_it_is_us(answer)
                    return
                if time.monotonic() > deadline:
                    raise ServerError(
                        f"pnyx serve did not answer on {self.base_url} "
                        f"within {self.startup_timeout:.0f}s"
                    )
                time.sleep(0.1)

    def _check_it_is_us(self, answer: httpx.Response) -> None:
        """Another server that grabbed the port between our probe and our bind would answer
        too; ours names our domain. (Any other answer is fine while /api/v1/instance is new.)"""
        if answer.status_code != 200:
            return
        try:
            uri = answer.json().get("uri")
        except (ValueError, AttributeError):
            return
        if uri is not None and uri != self.instance_domain:
            raise ServerError(f"address already in use: {self.base_url} is served by {uri}")

    def _halt(self) -> int | None:
        """Terminate, then kill if it lingers. Returns the exit status."""
        code = None
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    self._kill_group(process.pid)
                    process.wait(STOP_TIMEOUT)
            code = process.returncode
            self._kill_group(process.pid)  # any worker process that outlived its parent
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        return code

    @staticmethod
    def _kill_group(pgid: int) -> None:
        """SIGKILL the process group we created for the server (and nothing else)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)

    def stop(self) -> None:
        """Stop the process and drop its PostgreSQL database; the data directory stays for
        post-mortems unless we made it ourselves."""
        try:
            self._halt()
        finally:
            try:
                self._drop_database()
            finally:
                if self._own_dir:
                    shutil.rmtree(self.data_dir, ignore_errors=True)

    def pause(self) -> None:
        """Stop the process but keep its port, data and database, to `resume()` later (a
        server that is down for a while, as far as other servers can tell)."""
        self._halt()

    def resume(self) -> None:
        """Start again on the same port with the same data, after `pause()`."""
        if self._process is not None:
            raise ServerError("server is running")
        self._spawn_and_wait()

    def popen_cli(self, *args: str) -> subprocess.Popen:
        """A long-running `pnyx ARGS...` (e.g. `worker`) against this server's database, in its
        own process group; stop it with `os.killpg(p.pid, signal.SIGKILL)` to simulate a crash."""
        return subprocess.Popen(
            [self.executable, *args],
            env=self.environment(),
            cwd=self.data_dir,
            stdin=subprocess.DEVNULL,
            stdout=open(self.data_dir / "cli.log", "ab"),  # noqa: SIM115 - lives with the process
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def logs(self) -> str:
        """Everything the process wrote to stdout and stderr so far."""
        with contextlib.suppress(OSError):
            return self._log_path.read_text(errors="replace")
        return ""

    def __enter__(self) -> PnyxServer:
        return self.start()

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            sys.stderr.write(f"\n--- pnyx serve output ({self.base_url}) ---\n{self.logs()}\n")
        self.stop()

    # ----------------------------------------------------------------- CLI

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run `pnyx ARGS...` against this server's database and settings."""
        result = subprocess.run(
            [self.executable, *args],
            env=self.environment(),
            cwd=self.data_dir,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT,
        )
        if check and result.returncode != 0:
            raise ServerError(
                f"`pnyx {' '.join(args)}` exited with {result.returncode}\n"
                f"stdout: {result.stdout}\nstderr: {result.stderr}"
            )
        return result

    def create_user(
        self, username: str, email: str, password: str, *, admin: bool = False
    ) -> subprocess.CompletedProcess:
        """`pnyx user create NAME --email E --password P [--admin]`."""
        args = ["user", "create", username, "--email", email, "--password", password]
        if admin:
            args.append("--admin")
        return self.cli(*args)
