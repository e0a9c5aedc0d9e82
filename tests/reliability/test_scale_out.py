"""Several server workers on one port sharing one database — SQLite or PostgreSQL (psycopg 3) —
behave as one server: no lost update across workers, a catalogue change made through one
worker is seen through every other at once, hostile traffic gets no 5xx, and the database
stays consistent."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from bench.fuzz import FuzzConfig, finish, run

from tests.support import databases
from tests.support.server import ServerProcess

from .conftest import StartServer
from .workload import FULL, Api, assert_consistent

WORKERS = 2
CLIENTS = 8
INCREMENTS = 100 if FULL else 6


def workers_of(server: ServerProcess) -> list[int]:
    assert server.process is not None
    pid = server.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(c) for c in children if _is_worker(int(c))]


def _is_worker(pid: int) -> bool:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"spawn_main" in command  # not multiprocessing's resource tracker


@pytest.fixture
def database(tmp_path: Path) -> str:
    """The suite's database: CI runs the suite on SQLite and again on PostgreSQL
    (OCCI_TEST_DATABASE=postgresql); `OCCI_SCALE_OUT_POSTGRESQL=1` adds PostgreSQL here to an
    SQLite run when one is reachable."""
    if os.environ.get("OCCI_SCALE_OUT_POSTGRESQL") and not databases.is_postgresql():
        if not databases.postgresql_reachable():
            pytest.skip("no PostgreSQL at " + databases.admin_url().render_as_string())
        return databases.fresh_postgresql_url()
    return databases.fresh_url(tmp_path, "scale")


def increment(api: Api, counter: str) -> int:
    """Read-modify-write under If-Match until it lands; the number of 412s it met."""
    conflicts = 0
    while True:
        current = api.send("GET", counter)
        value = int(api.attributes(current)["occi.core.title"])
        response = api.send(
            "POST",
            counter,
            [("X-OCCI-Attribute", f'occi.core.title="{value + 1}"')],
            headers={"If-Match": current.headers["etag"]},
        )
        if response.status_code == 200:
            return conflicts
        assert response.status_code == 412, response.text
        conflicts += 1


def test_workers_sharing_a_database_behave_as_one_server(
    start_server: StartServer, database: str
) -> None:
    server = start_server(database_url=database, extra_args=("--workers", str(WORKERS)))
    assert len(workers_of(server)) == WORKERS
    token = server.token("scale")
    api = Api(server.url, token)
    counter = api.compute("0")

    def client(_: int) -> int:
        # Each client has its own connection: the kernel spreads them over the workers.
        mine = Api(server.url, token)
        try:
            return sum(increment(mine, counter) for _ in range(INCREMENTS))
        finally:
            mine.close()

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        conflicts = sum(pool.map(client, range(CLIENTS)))
    value = api.attributes(api.send("GET", counter))["occi.core.title"]
    assert value == str(CLIENTS * INCREMENTS), f"lost updates ({conflicts} conflicts seen)"

    # A user mixin made through one worker is in every worker's query interface at once.
    api.mixin("scaled", "/scaled/")
    for _ in range(6):
        fresh = httpx.get(server.url + "/-/", headers={"X-Auth-Token": token}, timeout=30)
        assert "scaled;" in fresh.text
    scaled = 'scaled; scheme="http://reliability.example/tags#"; class="mixin"'
    gone = api.send("DELETE", "/-/", [("Category", scaled)])
    assert gone.status_code == 200
    for _ in range(6):
        fresh = httpx.get(server.url + "/-/", headers={"X-Auth-Token": token}, timeout=30)
        assert "scaled;" not in fresh.text
    api.close()

    config = FuzzConfig(
        url=server.url,
        tokens=[token, server.token("scale-b")],
        requests=5_000 if FULL else 300,
        seed=5,
        concurrency=6,
        database=server.database,
    )
    report = finish(config, run(config), server.alive)
    assert report.ok, report.text()
    assert len(workers_of(server)) == WORKERS
    assert_consistent(server)


def test_each_worker_listens_on_its_own_socket_and_gets_connections(
    start_server: StartServer,
) -> None:
    """SO_REUSEPORT (http/workers.py): a burst of new connections is spread over the workers
    by the kernel, instead of going to whichever worker's accept loop woke first."""
    server = start_server(extra_args=("--workers", str(WORKERS)))
    workers = workers_of(server)
    assert len(workers) == WORKERS
    assert sorted(_listening_pids(server.port, [server.process.pid, *workers])) == sorted(  # type: ignore[union-attr]
        workers
    )
    token = server.token("spread")
    before = {pid: _connections_accepted(pid, server.port) for pid in workers}
    clients = [httpx.Client(base_url=server.url, timeout=30) for _ in range(24)]
    try:
        for client in clients:
            response = client.get("/-/", headers={"X-Auth-Token": token})
            assert response.status_code == 200
        held = {pid: _connections_accepted(pid, server.port) - before[pid] for pid in workers}
    finally:
        for client in clients:
            client.close()
    assert all(count > 0 for count in held.values()), held


def _socket_inodes(pid: int) -> set[str]:
    found = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            found.add(target[8:-1])
    return found


def _tcp_sockets(port: int) -> list[tuple[str, str, str]]:
    """(local port, state, inode) of every IPv4 TCP socket on `port` (listening or accepted)."""
    rows = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        if local_port == port:
            rows.append((str(local_port), fields[3], fields[9]))
    return rows


def _listening_pids(port: int, pids: list[int]) -> list[int]:
    listening = {inode for _, state, inode in _tcp_sockets(port) if state == "0A"}
    return [pid for pid in pids if _socket_inodes(pid) & listening]


def _connections_accepted(pid: int, port: int) -> int:
    established = {inode for _, state, inode in _tcp_sockets(port) if state == "01"}
    return len(_socket_inodes(pid) & established)
