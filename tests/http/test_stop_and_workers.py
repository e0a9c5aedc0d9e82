"""SIGTERM with a request in flight, and metrics added up across worker processes (real
server processes)."""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.support.occi_client import COMPUTE_KIND
from tests.support.server import ServerProcess


def _request_head(token: str, body: bytes) -> bytes:
    return (
        "POST /compute/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
        f"X-Auth-Token: {token}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()


def test_sigterm_lets_the_request_in_flight_finish_then_exits_0(tmp_path: Path) -> None:
    server = ServerProcess(data_dir=tmp_path, env={"OCCI_GRACE_SECONDS": "20"}).start()
    token = server.token("graceful")
    body = f"Category: {COMPUTE_KIND}\r\n".encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as conn:
        conn.sendall(_request_head(token, body) + body[:10])  # the body is still coming
        time.sleep(0.5)
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # new connections are refused once it stops
            try:
                socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
            except OSError:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("still accepting connections after SIGTERM")
        assert server.process.poll() is None  # waiting for our request
        conn.sendall(body[10:])
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 201 "), answer[:200]
    assert server.process.wait(timeout=20) == 0


def _requests_total(url: str) -> float:
    text = httpx.get(url + "/metrics", timeout=10).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "occi_http_requests_total" and sample.labels["route"] == "/healthz"
    )


def test_metrics_add_up_every_workers_requests(tmp_path: Path) -> None:
    metrics_dir = tmp_path / "metrics"
    server = ServerProcess(
        data_dir=tmp_path,
        extra_args=("--workers", "2"),
        env={
            "OCCI_METRICS_ALLOW_FROM": "127.0.0.1/32",
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        },
    ).start()
    try:
        before = _requests_total(server.url)
        for _ in range(40):  # a connection each: the kernel spreads them over both workers
            assert httpx.get(server.url + "/healthz", timeout=10).status_code == 200
        pids = {p.name.rsplit("_", 1)[-1] for p in metrics_dir.glob("counter_*.db")}
        assert len(pids) == 2, pids  # both workers counted some
        for _ in range(4):  # whichever worker answers the scrape sees all of them
            assert _requests_total(server.url) - before == 40
    finally:
        assert server.stop() == 0
