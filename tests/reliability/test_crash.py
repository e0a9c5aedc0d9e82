"""`kill -9` in the middle of a burst of creates and links, then a restart on the same database:
every entity acknowledged with a 201 is there, and nothing half-made remains (no link without
both ends, no compute without its templates, no address without its holder).

The kill comes when a random number of creates have been acknowledged (not after a delay), so
requests are in flight whatever the machine's speed. Rounds repeat on the same database.
"""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.support.server import ServerProcess

from .conftest import StartServer
from .workload import COMPUTE, FULL, INFRA, Api, assert_consistent, path_of

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
