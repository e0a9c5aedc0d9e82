"""`kill -9` in the middle of a burst of creates and links, then a restart on the same database:
every entity acknowledged with a 201 is there, and nothing half-made remains (no link without
both ends, no compute without its templates, no address without its holder).

The kill comes when a random number of creates have been acknowledged (not after a delay), so
requests are in flight whatever the machine's speed. Rounds repeat on the same database.
"""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy import text

from occi_server.db.engine import make_engine
from tests.support.server import ServerProcess

from .conftest import StartServer
from .workload import COMPUTE, COMPUTE_ACTION, FULL, INFRA, Api, assert_consistent, path_of

ROUNDS = 8 if FULL else 3
THREADS = 6


class Burst:
    """Threads creating computes (with an inline interface), volumes and attachments until the
    server goes away; what the server acknowledged is recorded."""

    def __init__(self, server: ServerProcess, token: str, network: str, kill_after: int) -> None:
        self.server = server
        self.token = token
        self.network = network
        self.kill_after = kill_after
        self.acknowledged: list[str] = []
        self.changed = threading.Condition()

    def ack(self, response: httpx.Response) -> str | None:
        if response.status_code != 201:
            assert response.status_code < 500, (response.status_code, response.text)
            return None
        path = path_of(response)
        with self.changed:
            self.acknowledged.append(path)
            self.changed.notify_all()
        return path

    def run(self, seed: int) -> None:
        rng = random.Random(seed)
        api = Api(self.server.url, self.token)
        computes: list[str] = []
        volumes: list[str] = []
        try:
            while True:
                roll = rng.random()
                if roll < 0.4 or not computes:
                    link = (
                        f'<{self.network}>; rel="{INFRA}network"; '
                        f'category="{INFRA}networkinterface"'
                    )
                    response = api.send(
                        "POST", "/compute/", [("Category", COMPUTE), ("Link", link)]
                    )
                    if path := self.ack(response):
                        computes.append(path)
                elif roll < 0.7 or not volumes:
                    if path := self.ack(api.send("POST", "/storage/", _STORAGE)):
                        volumes.append(path)
                else:
                    self.ack(api.attach(rng.choice(computes), volumes.pop()))
        except httpx.TransportError:
            return  # the server was killed
        finally:
            api.close()

    def wait_and_kill(self) -> None:
        with self.changed:
            self.changed.wait_for(lambda: len(self.acknowledged) >= self.kill_after, timeout=120)
        self.server.kill()


_STORAGE = [
    ("Category", f'storage; scheme="{INFRA}"; class="kind"'),
    ("X-OCCI-Attribute", "occi.storage.size=1"),
]


def test_kill_9_during_a_burst_keeps_every_acknowledged_entity_and_nothing_half_made(
    start_server: StartServer,
) -> None:
    server = start_server()
    token = server.token("crash")
    setup = Api(server.url, token)
    network = setup.network("10.70.0.0/22")
    setup.close()
    acknowledged: list[str] = []
    rng = random.Random(9)
    for crash in range(ROUNDS):
        burst = Burst(server, token, network, kill_after=rng.randrange(10, 40))
        with ThreadPoolExecutor(max_workers=THREADS + 1) as pool:
            workers = [pool.submit(burst.run, crash * 100 + i) for i in range(THREADS)]
            pool.submit(burst.wait_and_kill).result()
            for worker in workers:
                worker.result()
        assert server.process is not None and server.process.returncode == -9
        assert len(burst.acknowledged) >= burst.kill_after
        acknowledged += burst.acknowledged

        server.start()
        api = Api(server.url, token)
        missing = [p for p in acknowledged if api.send("GET", p).status_code != 200]
        assert missing == [], f"crash {crash + 1}: acknowledged but gone: {missing}"
        listed = set(api.locations("/compute/")) | set(api.locations("/storage/"))
        listed |= set(api.locations("/storage/link/"))
        assert {p for p in acknowledged if not p.startswith("/networklink/")} <= listed
        api.close()
        assert_consistent(server)


# -- intents: operations acknowledged before a slow hypervisor finished them -----------------
SLOW = "[cloud]\nsimulated_delay = 0.25\n"  # each guest operation takes 250 ms
TARGET = {"stop": "inactive", "start": "active"}


def _settle(api: Api, paths: list[str], timeout: float = 60.0) -> dict[str, dict[str, str]]:
    """Wait until no compute has an operation under way; their attributes then."""
    deadline = time.monotonic() + timeout
    while True:
        found = {p: api.attributes(api.send("GET", p)) for p in paths}
        busy = [p for p, a in found.items() if "org.openstack.compute.task_state" in a]
        if not busy:
            return found
        assert time.monotonic() < deadline, f"still busy after {timeout}s: {busy}"
        time.sleep(0.2)


def _unfinished(url: str) -> int:
    """Intents a killed server left pending or running."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            query = "SELECT count(*) FROM intents WHERE status IN ('pending', 'running')"
            return int(connection.execute(text(query)).scalar_one())
    finally:
        engine.dispose()


def _toggle(server: ServerProcess, token: str, paths: list[str], acked: dict[str, str]) -> None:
    """Stop and start computes until the server goes away; the last action each one had
    acknowledged (a 200: answered with the transitional state) is recorded."""
    api = Api(server.url, token)
    rng = random.Random(len(paths))
    try:
        while True:
            path = rng.choice(paths)
            term = "start" if acked.get(path) == "stop" else "stop"
            acked["in flight"] = f"{path} {term}"  # may be applied without an answer
            response = api.action(path, term, COMPUTE_ACTION)
            del acked["in flight"]
            if response.status_code == 200:
                acked[path] = term
            else:  # busy with the previous operation: 409, never a 5xx
                assert response.status_code == 409, (response.status_code, response.text)
    except httpx.TransportError:
        return
    finally:
        api.close()


def test_kill_9_with_operations_in_flight_resumes_them_on_restart(
    start_server: StartServer, tmp_path: Path
) -> None:
    config = tmp_path / "slow.toml"
    config.write_text(SLOW)
    server = start_server("slow", env={"OCCI_CONFIG": str(config)})
    token = server.token("crash-intents")
    api = Api(server.url, token)
    paths = [api.compute(f"vm{i}") for i in range(6)]
    booting = api.attributes(api.send("GET", paths[0]))
    assert booting["org.openstack.compute.state"] in ("BUILD", "ACTIVE")
    assert {a["occi.compute.state"] for a in _settle(api, paths).values()} == {"active"}
    api.close()
    acked: dict[str, str] = {}
    interrupted = 0
    for crash in range(2):
        thread = threading.Thread(target=_toggle, args=(server, token, paths, acked))
        thread.start()
        time.sleep(1.0 + crash)  # several operations acknowledged, some still running
        server.kill()
        thread.join(30)
        assert server.process is not None and server.process.returncode == -9
        interrupted += _unfinished(server.database)
        server.start()
        api = Api(server.url, token)
        settled = _settle(api, paths)
        api.close()
        unanswered = acked.pop("in flight", "").split()
        for path, term in acked.items():
            attributes = settled[path]
            if (
                unanswered
                and unanswered[0] == path
                and attributes["occi.compute.state"] == (TARGET[unanswered[1]])
            ):
                acked[path] = term = unanswered[1]  # killed after its commit, before the answer
            assert attributes["occi.compute.state"] == TARGET[term], (crash, path, attributes)
            assert attributes["occi.compute.state.message"].startswith(term[:4])
    assert acked, "no operation was acknowledged"
    assert interrupted > 0, "the kills never came while an operation was in flight"
    assert_consistent(server)
