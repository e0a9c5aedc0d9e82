"""The HTTP edge (http/transport.py) against the real server process, on raw sockets: idle and slow
connections are closed or answered 408 in time, a body shorter than its Content-Length is never
acted on, a huge head is cut off unread, and legitimate clients still get in past the
connection cap (issue 15, row 3)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.server import ServerProcess

CAP = 40


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data = tmp_path_factory.mktemp("edge")
    config = data / "occi.toml"
    config.write_text(
        "[server]\nheader_timeout = 1.0\nbody_timeout = 1.0\nidle_timeout = 1\n"
        f"max_connections = {CAP}\n[limits]\nmax_header_bytes = 4096\n"
    )
    process = ServerProcess(data_dir=data, extra_args=("--config", str(config))).start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def token(server: ServerProcess) -> str:
    return server.token("edge")


def connect(server: ServerProcess) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    return sock


def answer(sock: socket.socket) -> tuple[bytes, float]:
    """What the server sends until it closes (or 10 s pass), and how long that took."""
    start = time.monotonic()
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data, time.monotonic() - start


def test_a_connection_that_sends_nothing_is_closed(server: ServerProcess) -> None:
    with connect(server) as sock:
        data, took = answer(sock)
    assert data == b""
    assert took < 5


def test_a_dripped_request_head_is_answered_408(server: ServerProcess) -> None:
    with connect(server) as sock:
        start = time.monotonic()
        sock.sendall(b"GET /-/ HTTP/1.1\r\n")
        # A byte every 0.3 s: each would have cancelled uvicorn's own keep-alive timer.
        for byte in b"Host: 127.0.0.1\r\nX-Slow: abc":
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                break
            time.sleep(0.3)
            if time.monotonic() - start > 3:
                break
        data, _ = answer(sock)
    assert data.startswith(b"HTTP/1.1 408 ")
    assert time.monotonic() - start < 5


def test_a_body_shorter_than_its_content_length_is_not_acted_on(
    server: ServerProcess, token: str
) -> None:
    body = (
        b'Category: compute; scheme="http://schemas.ogf.org/occi/infrastructure#"; class="kind"\n'
    )
    head = (
        "POST /compute/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
        f"X-Auth-Token: {token}\r\nContent-Length: {len(body) + 50}\r\n\r\n"
    ).encode()
    with connect(server) as sock:
        sock.sendall(head + body)
        data, took = answer(sock)
    assert data.startswith(b"HTTP/1.1 408 ")
    assert took < 5
    listing = httpx.get(server.url + "/compute/", headers={"X-Auth-Token": token})
    assert listing.status_code == 200
    assert "/compute/" not in listing.text  # the truncated create never ran


def test_a_huge_request_head_is_refused_without_being_kept(server: ServerProcess) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /-/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ")
        sent = 0
        try:
            while sent < 2_000_000:
                sock.sendall(b"a" * 16384)
                sent += 16384
        except OSError:
            pass  # the server closed the connection
        data, _ = answer(sock)
    assert data.startswith(b"HTTP/1.1 431 ")


def test_a_request_head_over_the_limit_is_an_occi_431(server: ServerProcess) -> None:
    response = httpx.get(server.url + "/-/", headers={"X-Big": "a" * 5000})
    assert response.status_code == 431
    assert "request headers exceed 4096 bytes" in response.text


def test_legitimate_clients_get_in_past_a_flood_of_idle_connections(
    server: ServerProcess, token: str
) -> None:
    flood = [connect(server) for _ in range(CAP * 3)]
    for sock in flood:
        sock.sendall(b"GET /-/ HTTP/1.1\r\n")  # a head begun, never finished
    try:
        for _ in range(5):
            response = httpx.get(server.url + "/-/", headers={"X-Auth-Token": token}, timeout=5)
            assert response.status_code == 200
        # Every one of the flood is closed: the oldest to make room, the rest past the deadline.
        assert all(_closed(sock) for sock in flood)
    finally:
        for sock in flood:
            sock.close()


def _closed(sock: socket.socket) -> bool:
    sock.settimeout(3)
    try:
        data = sock.recv(100)
        return data == b"" or data.startswith(b"HTTP/1.1 408 ")
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_a_kept_alive_connection_serves_many_requests(server: ServerProcess, token: str) -> None:
    with httpx.Client(base_url=server.url, headers={"X-Auth-Token": token}) as client:
        for _ in range(20):
            assert client.get("/-/").status_code == 200


def test_a_body_in_the_same_read_as_the_head_is_not_counted_as_head(
    server: ServerProcess, token: str
) -> None:
    body = b"X-OCCI-Location: /compute/1\n" * 500  # 14 KB: more than the head's 8 KB cap
    head = (
        "POST /compute/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
        f"X-Auth-Token: {token}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    with connect(server) as sock:
        sock.sendall(head + body)  # one write: the server reads head and body together
        data, _ = answer(sock)
    assert not data.startswith(b"HTTP/1.1 431 "), data[:200]
