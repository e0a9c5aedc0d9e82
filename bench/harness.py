"""Processes and measurements for the benchmark: servers on loopback, wrk runs, peak RSS."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from occi_server.config import QuotasConfig

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
LUA = HERE / "lua"


@dataclass
class Result:
    name: str
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    rss_mb: float
    ratio: float | None = None
    note: str = ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def peak_rss_mb(pid: int) -> float:
    """VmHWM of the process and its children (uvicorn workers), in MB."""
    total = 0
    for process in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{process}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def current_rss_mb(pid: int) -> float:
    total = 0
    for process in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{process}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def _children(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(p) for p in found]


class Server:
    """A server process on loopback, stopped by PID."""

    def __init__(
        self,
        command: list[str],
        env: dict[str, str],
        ready: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.process = subprocess.Popen(
            command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for _ in range(300):
            try:
                httpx.get(ready, headers=headers, timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{ready} did not come up")

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_baseline(body_bytes: int) -> tuple[Server, str]:
    port = free_port()
    server = Server(
        [
            str(BIN / "uvicorn"),
            "bench.baseline_app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
            "--no-server-header",
        ],
        {"BASELINE_BODY_BYTES": str(body_bytes), "PYTHONPATH": str(HERE.parent)},
        f"http://127.0.0.1:{port}/",
    )
    return server, f"http://127.0.0.1:{port}"


def make_token(database: str, project: str) -> str:
    out = subprocess.run(
        [
            str(BIN / "occi-server"),
            "token",
            "create",
            "--project",
            project,
            "--user",
            "bench",
            "--database",
            database,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.strip().splitlines()[-1]


# A benchmark makes thousands of resources in one project: the default quotas would refuse
# them (403) and the figures would measure refusals.
UNLIMITED = {name: -1 for name in QuotasConfig.model_fields}
UNLIMITED_QUOTAS = "[quotas]\n" + "".join(f"{name} = -1\n" for name in UNLIMITED)


def bench_config(data: Path, config: Path | None = None) -> Path:
    """`config` (or an empty one) with the quotas lifted, as a file in `data`."""
    text = config.read_text(encoding="utf-8") if config is not None else ""
    made = data / f"bench-{config.stem if config else 'default'}.toml"
    made.write_text(text + "\n" + UNLIMITED_QUOTAS, encoding="utf-8")
    return made


def start_occi(
    data: Path, token: str, workers: int = 1, config: Path | None = None
) -> tuple[Server, str]:
    port = free_port()
    config = bench_config(data, config)
    command = [
        str(BIN / "occi-server"),
        "serve",
        "--port",
        str(port),
        "--database",
        f"sqlite:///{data / 'bench.sqlite'}",
        "--workers",
        str(workers),
    ]
    if config is not None:
        command += ["--config", str(config)]
    server = Server(
        command,
        {"OCCI_DATA_DIR": str(data)},
        f"http://127.0.0.1:{port}/-/",
        {"X-Auth-Token": token},
    )
    return server, f"http://127.0.0.1:{port}"


def wrk(
    url: str,
    *,
    seconds: int,
    connections: int,
    headers: dict[str, str] | None = None,
    script: str | None = None,
    env: dict[str, str] | None = None,
) -> dict[str, int]:
    """Run wrk with a scenario script (or plain GETs) plus the JSON reporter."""
    source = (LUA / script).read_text() if script else ""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(source + "\n" + (LUA / "report.lua").read_text())
        combined = handle.name
    command = [
        "wrk",
        "-t",
        str(min(2, connections)),
        "-c",
        str(connections),
        "-d",
        f"{seconds}s",
        "--timeout",
        "30s",
        "-s",
        combined,
    ]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    try:
        output = subprocess.run(
            [*command, url],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, **(env or {})},
        ).stdout
    finally:
        os.unlink(combined)
    return json.loads(next(x for x in output.splitlines() if x.startswith("{")))


def measure(
    name: str,
    url: str,
    pid: int,
    *,
    seconds: int,
    connections: int,
    headers: dict[str, str] | None = None,
    script: str | None = None,
    env: dict[str, str] | None = None,
    warmup: bool = True,
) -> Result:
    if warmup:
        wrk(url, seconds=1, connections=connections, headers=headers, script=script, env=env)
    raw = wrk(
        url, seconds=seconds, connections=connections, headers=headers, script=script, env=env
    )
    return Result(
        name=name,
        rps=raw["requests"] / (raw["duration_us"] / 1e6),
        p50_ms=raw["p50"] / 1000,
        p95_ms=raw["p95"] / 1000,
        p99_ms=raw["p99"] / 1000,
        errors=raw["errors"],
        rss_mb=peak_rss_mb(pid),
    )
