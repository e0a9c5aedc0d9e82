"""The HTTP edge under load and under a slow-client flood, for each candidate server stack.

    .venv/bin/python -m bench.edge [--stacks today,edge,granian,hypercorn] [--seconds 10]
                                   [--flood 3000] [--nofile 1024:1024]

For each stack it serves the same OCCI app (the same database, token auth) and measures:

- GET /-/ with wrk (2 threads x 32 connections), as `make bench` does;
- the flood: `--flood` connections that each send a request line and then one header byte a
  second (reconnecting 0.1 s after the server closes one), against a server whose file limit
  is `--nofile` (soft:hard; 1024:1024 by default: the usual soft default, which the server
  then cannot raise), while a legitimate client opens a new connection
  for a `GET /-/` every 50 ms; it reports that client's answered share, p50, p99 and worst
  time (5 s timeout).

granian and hypercorn are measured only when installed (`pip install granian hypercorn`).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.harness import BIN, Server, free_port, make_token, measure

APP = "occi_server.http.app:create_app_from_env"


@dataclass
class Probe:
    sent: int = 0
    answered: int = 0
    times: list[float] | None = None

    def summary(self) -> str:
        times = sorted(self.times or [0.0])
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        return (
            f"{self.answered}/{self.sent} answered, p50 {statistics.median(times) * 1000:.1f} ms,"
            f" p99 {p99 * 1000:.1f} ms, worst {times[-1] * 1000:.1f} ms"
        )


def commands(stack: str, port: int, database: str) -> list[str] | None:
    host = ["--host", "127.0.0.1", "--port", str(port)]
    if stack == "edge":
        return [str(BIN / "occi-server"), "serve", *host, "--database", database]
    if stack == "today":  # uvicorn with h11, as `serve` ran it before the edge protocol
        return [
            str(BIN / "uvicorn"),
            "--factory",
            APP,
            *host,
            "--http",
            "h11",
            "--h11-max-incomplete-event-size",
            "131072",
            "--log-level",
            "warning",
            "--no-access-log",
            "--no-server-header",
        ]
    if stack == "granian" and shutil.which("granian", path=str(BIN)):
        return [
            str(BIN / "granian"),
            "--interface",
            "asgi",
            "--factory",
            APP,
            *host,
            "--http",
            "1",
            "--no-ws",
            "--http1-header-read-timeout",
            "10000",
            "--backpressure",
            "1000",
            "--log-level",
            "warning",
        ]
    if stack == "hypercorn" and shutil.which("hypercorn", path=str(BIN)):
        return [
            str(BIN / "hypercorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--read-timeout",
            "10",
            "--keep-alive",
            "5",
            "--log-level",
            "warning",
            APP.replace(":create_app_from_env", ":create_app_from_env()"),
        ]
    return None


def start(stack: str, data: Path, token: str, nofile: str | None) -> tuple[Server, str] | None:
    port = free_port()
    database = f"sqlite:///{data / 'bench.sqlite'}"
    command = commands(stack, port, database)
    if command is None:
        return None
    if nofile is not None:
        command = ["prlimit", f"--nofile={nofile}", *command]
    env = {"OCCI_DATA_DIR": str(data), "OCCI_DATABASE_URL": database, "OCCI_AUTH": "token"}
    url = f"http://127.0.0.1:{port}"
    return Server(command, env, url + "/-/", {"X-Auth-Token": token}), url


async def _slow_client(port: int, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        try:
            writer.write(b"GET /-/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            while not stop.is_set():
                await writer.drain()
                await asyncio.sleep(1.0)
                writer.write(b"a")
        except OSError:
            pass
        finally:
            writer.close()
        await asyncio.sleep(0.1)


def _flood(port: int, count: int, stop: asyncio.Event, ready: threading.Event) -> None:
    async def run() -> None:
        tasks = [asyncio.create_task(_slow_client(port, stop)) for _ in range(count)]
        await asyncio.sleep(3)  # let the connections pile up before probing
        ready.set()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(run())


def flood(url: str, token: str, count: int, seconds: float) -> Probe:
    port = int(url.rsplit(":", 1)[1])
    loop_stop = asyncio.Event()
    ready = threading.Event()
    thread = threading.Thread(target=_flood, args=(port, count, loop_stop, ready), daemon=True)
    thread.start()
    ready.wait(30)
    probe = Probe(times=[])
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        probe.sent += 1
        start = time.monotonic()
        try:
            response = httpx.get(url + "/-/", headers={"X-Auth-Token": token}, timeout=5)
            if response.status_code == 200:
                probe.answered += 1
        except httpx.HTTPError:
            pass
        assert probe.times is not None
        probe.times.append(time.monotonic() - start)
        time.sleep(0.05)
    loop_stop.set()  # read by the flood's loop on its next wake-up (at most a second)
    thread.join(10)
    return probe


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stacks", default="today,edge,granian,hypercorn")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--flood", type=int, default=3000)
    parser.add_argument("--nofile", default="1024:1024", help="soft:hard file limit")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="occi-edge-") as tmp:
        data = Path(tmp)
        token = make_token(f"sqlite:///{data / 'bench.sqlite'}", "bench")
        for stack in args.stacks.split(","):
            started = start(stack, data, token, None)
            if started is None:
                print(f"{stack}: not installed")
                continue
            server, url = started
            try:
                result = measure(
                    f"{stack}: GET /-/",
                    url + "/-/",
                    server.pid,
                    seconds=args.seconds,
                    connections=32,
                    headers={"X-Auth-Token": token},
                )
            finally:
                server.stop()
            print(
                f"{result.name}: {result.rps:.0f} req/s, p50 {result.p50_ms:.2f} ms, "
                f"p99 {result.p99_ms:.2f} ms, {result.errors} errors",
                flush=True,
            )
            started = start(stack, data, token, args.nofile)
            assert started is not None
            server, url = started
            try:
                probe = flood(url, token, args.flood, args.seconds * 2)
            finally:
                server.stop()
            print(f"{stack}: flood of {args.flood} slow clients: {probe.summary()}", flush=True)


if __name__ == "__main__":
    main()
