"""Start the real `occi-server serve` process on a free port, and stop it by PID."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

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

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database(self) -> str:
        return f"sqlite:///{self.data_dir / 'occi.sqlite'}"

    def token(self, project: str, user: str = "alice") -> str:
        out = cli(
            "token", "create", "--project", project, "--user", user, "--database", self.database
        )
        return out.strip().splitlines()[-1]

    def start(self) -> ServerProcess:
        command = [str(BIN)] if BIN.exists() else [sys.executable, "-m", "occi_server.cli"]
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
            env={**os.environ, "OCCI_DATA_DIR": str(self.data_dir)},
        )
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                output = self.process.stdout.read() if self.process.stdout else ""
                raise RuntimeError(f"server exited early: {output}")
            try:
                httpx.get(self.url + "/-/", timeout=1.0)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("server did not start in time")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        if self.process.stdout:
            self.output.append(self.process.stdout.read())
        return code
