"""Start the real `occi-server serve` process on a free port, and stop it by PID.

The database is a SQLite file in `data_dir`, or a fresh PostgreSQL database of its own when
OCCI_TEST_DATABASE asks for one (tests/support/databases.py); restarts keep the same one.
The server's output is read continuously (a full pipe would block a chatty server) and kept
in `output`.
"""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import Engine

from occi_server.db.engine import make_engine
from occi_server.db.migrate import upgrade
from occi_server.identity.store import IdentityStore
from tests.support import databases

BIN = Path(sys.executable).parent / "occi-server"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli(*args: str, env: dict[str, str] | None = None) -> str:
    """Run an occi-server command and return its stdout."""
    command = [str(BIN)] if BIN.exists() else [sys.executable, "-m", "occi_server.cli"]
    result = subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"occi-server {' '.join(args)} failed: {result.stderr}")
    return result.stdout


@dataclass
class ServerProcess:
    data_dir: Path
    port: int = field(default_factory=free_port)
    auth: str = "token"
    extra_args: tuple[str, ...] = ()
    process: subprocess.Popen[str] | None = None
    output: list[str] = field(default_factory=list)
    # Empty: chosen on first use (SQLite in data_dir, or a fresh PostgreSQL database).
    database_url: str = ""
    env: dict[str, str] = field(default_factory=dict)
    # Another installation's occi-server (a built wheel's); default: this environment's.
    binary: str = ""
    # TLS (--ssl-certfile): the CA bundle that verifies the server's certificate.
    ca_file: str | None = None
    # Seconds the server has to answer after its start (a busy machine needs more).
    ready_timeout: float = 30.0
    _reader: threading.Thread | None = None
    _engine: Engine | None = None
    _identities: IdentityStore | None = None

    @property
    def url(self) -> str:
        scheme = "https" if self.ca_file else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    @property
    def database(self) -> str:
        if not self.database_url:
            self.database_url = databases.fresh_url(self.data_dir, "occi")
        return self.database_url

    @property
    def verify(self) -> ssl.SSLContext | bool:
        return ssl.create_default_context(cafile=self.ca_file) if self.ca_file else True

    def token(self, project: str, user: str = "alice") -> str:
        """A token for `user` in `project`, minted in this process in the server's database
        as `occi-server token create` does (tests/e2e/test_lifecycle.py runs that command):
        a subprocess costs 1-2 s a call on a loaded machine, and the e2e modules mint many."""
        if self._identities is None:
            if self.process is None:
                upgrade(self.database)  # `serve` migrates on start; before it, we must
            self._engine = make_engine(self.database)
            self._identities = IdentityStore(self._engine)
        self._identities.ensure_project(project)
        self._identities.ensure_user(project, user)
        return self._identities.create_token(project, user)

    def start(self) -> ServerProcess:
        command = [str(BIN)] if BIN.exists() else [sys.executable, "-m", "occi_server.cli"]
        if self.binary:
            command = [self.binary]
        self.process = subprocess.Popen(
            [
                *command,
                "serve",
                "--port",
                str(self.port),
                "--database",
                self.database,
                "--auth",
                self.auth,
                *self.extra_args,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            env={**os.environ, "OCCI_DATA_DIR": str(self.data_dir), **self.env},
        )
        self._reader = threading.Thread(target=self._drain, args=(self.process,), daemon=True)
        self._reader.start()
        self._wait_ready(self.ready_timeout)
        return self

    def _drain(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.output.append(line)

    def _join_reader(self) -> None:
        if self._reader is not None:
            self._reader.join(timeout=10)
            self._reader = None

    def lines(self, *markers: str, timeout: float = 5.0) -> list[str]:
        """Output lines holding every marker, waited for (the output is read in a thread)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [line for line in list(self.output) if all(m in line for m in markers)]
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def alive(self) -> bool:
        """The process runs and answers HTTP."""
        if self.process is None or self.process.poll() is not None:
            return False
        try:
            httpx.get(self.url + "/-/", timeout=10.0)
        except httpx.TransportError:
            return False
        return True

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                self._join_reader()
                raise RuntimeError(f"server exited early: {''.join(self.output)}")
            try:
                httpx.get(self.url + "/-/", timeout=1.0, verify=self.verify)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        # Never leave it behind: a server that answers late would hold its port and CPU.
        assert self.process is not None
        self.process.kill()
        self.process.wait()
        self._join_reader()
        raise RuntimeError(f"server did not start in time: {''.join(self.output)[-2000:]}")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self._join_reader()
        if self._engine is not None:
            self._engine.dispose()
            self._engine, self._identities = None, None
        return code

    def kill(self) -> int:
        """SIGKILL: no shutdown, no flush, no rollback — a crash."""
        return self.stop(signal.SIGKILL)
