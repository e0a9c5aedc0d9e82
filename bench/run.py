"""`make bench`: drive occi-server and a trivial baseline app with wrk on loopback, print a table.

Both run on the same server stack (uvicorn, one worker unless said otherwise). Each scenario
reports req/s, p50/p95/p99 latency, the ratio to the baseline measured in the same run, and the
server's peak RSS. Requires `wrk` (Debian package).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
INFRA = "http://schemas.ogf.org/occi/infrastructure#"


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


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, headers: dict[str, str] | None = None) -> None:
    for _ in range(300):
        try:
            httpx.get(url, headers=headers, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def peak_rss_mb(pid: int) -> float:
    """VmHWM of the process and its children (uvicorn workers), in MB."""
    total = 0
    pids = [pid, *_children(pid)]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
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


def wrk(
    url: str, headers: dict[str, str], seconds: int, connections: int, script: Path | None = None
) -> dict[str, int]:
    command = [
        "wrk",
        "-t",
        "2",
        "-c",
        str(connections),
        "-d",
        f"{seconds}s",
        "-s",
        str(script or HERE / "report.lua"),
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    line = next(x for x in output.splitlines() if x.startswith("{"))
    return json.loads(line)


def measure(
    name: str,
    url: str,
    headers: dict[str, str],
    pid: int,
    args: argparse.Namespace,
    script: Path | None = None,
) -> Result:
    wrk(url, headers, 1, args.connections, script)  # warm-up
    raw = wrk(url, headers, args.seconds, args.connections, script)
    return Result(
        name=name,
        rps=raw["requests"] / (raw["duration_us"] / 1e6),
        p50_ms=raw["p50"] / 1000,
        p95_ms=raw["p95"] / 1000,
        p99_ms=raw["p99"] / 1000,
        errors=raw["errors"],
        rss_mb=peak_rss_mb(pid),
    )


class Server:
    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_baseline(port: int, body_bytes: int) -> Server:
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
        ],
        {"BASELINE_BODY_BYTES": str(body_bytes), "PYTHONPATH": str(HERE.parent)},
    )
    wait_ready(f"http://127.0.0.1:{port}/")
    return server


def start_occi(port: int, data: Path, workers: int) -> tuple[Server, str]:
    database = f"sqlite:///{data / 'bench.sqlite'}"
    token_out = subprocess.run(
        [
            str(BIN / "occi-server"),
            "token",
            "create",
            "--project",
            "bench",
            "--user",
            "bench",
            "--database",
            database,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    token = token_out.strip().splitlines()[-1]
    server = Server(
        [
            str(BIN / "occi-server"),
            "serve",
            "--port",
            str(port),
            "--database",
            database,
            "--workers",
            str(workers),
        ],
        {"OCCI_DATA_DIR": str(data)},
    )
    wait_ready(f"http://127.0.0.1:{port}/-/", {"X-Auth-Token": token})
    return server, token


def seed_compute(base: str, headers: dict[str, str]) -> str:
    storage = httpx.post(
        base + "/storage/",
        headers={
            **headers,
            "Content-Type": "text/occi",
            "Category": f'storage; scheme="{INFRA}"; class="kind"',
            "X-OCCI-Attribute": "occi.storage.size=1.0",
        },
    )
    response = httpx.post(
        base + "/compute/",
        headers={
            **headers,
            "Content-Type": "text/occi",
            "Category": f'compute; scheme="{INFRA}"; class="kind"',
            "Link": f'<{storage.headers["location"]}>; rel="{INFRA}storage"; '
            f'category="{INFRA}storagelink"; occi.storagelink.deviceid="/dev/vdb"',
        },
    )
    response.raise_for_status()
    return response.headers["location"]


def run(args: argparse.Namespace) -> list[Result]:
    results: list[Result] = []
    data = Path(tempfile.mkdtemp(prefix="occi-bench-"))
    try:
        port = free_port()
        occi, token = start_occi(port, data, args.workers)
        base = f"http://127.0.0.1:{port}"
        auth = {"X-Auth-Token": token}
        try:
            qi_size = len(httpx.get(base + "/-/", headers=auth).content)
            compute = seed_compute(base, auth)
            entity_size = len(httpx.get(compute, headers=auth).content)
            pid = occi.process.pid
            results.append(measure("GET /-/ text/plain", base + "/-/", auth, pid, args))
            results.append(
                measure(
                    "GET /-/ text/occi", base + "/-/", {**auth, "Accept": "text/occi"}, pid, args
                )
            )
            results.append(measure("GET compute (with link)", compute, auth, pid, args))
        finally:
            occi.stop()
        for size, names in (
            (qi_size, ("GET /-/ text/plain", "GET /-/ text/occi")),
            (entity_size, ("GET compute (with link)",)),
        ):
            bport = free_port()
            baseline = start_baseline(bport, size)
            try:
                ceiling = measure(
                    f"baseline {size} B",
                    f"http://127.0.0.1:{bport}/",
                    {},
                    baseline.process.pid,
                    args,
                )
            finally:
                baseline.stop()
            results.append(ceiling)
            for result in results:
                if result.name in names:
                    result.ratio = result.rps / ceiling.rps
    finally:
        shutil.rmtree(data, ignore_errors=True)
    return results


def print_table(results: list[Result], args: argparse.Namespace) -> None:
    print(
        f"\nwrk: {args.connections} connections, {args.seconds}s per scenario, "
        f"occi-server workers={args.workers}, cores={os.cpu_count()}"
    )
    header = (
        f"{'scenario':34} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'vs ceiling':>10} {'errors':>6} {'peak RSS MB':>11}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        ratio = f"{r.ratio:.0%}" if r.ratio is not None else "-"
        print(
            f"{r.name:34} {r.rps:9.0f} {r.p50_ms:8.2f} {r.p95_ms:8.2f} {r.p99_ms:8.2f} "
            f"{ratio:>10} {r.errors:6d} {r.rss_mb:11.1f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is required: apt-get install wrk", file=sys.stderr)
        return 2
    print_table(run(args), args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
