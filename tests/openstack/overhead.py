"""Per-request overhead of the OCCI layer against the same raw OpenStack calls (test bed up).

    python -m tests.openstack.overhead [ROUNDS]

Starts the openstack-backed server, makes one compute as alice and waits for ACTIVE, then times
ROUNDS (default 50) interleaved requests of each kind and prints the medians in ms:
  raw Nova GET /servers/<id>               vs  OCCI GET /compute/<id>
  raw Nova GET /servers/detail             vs  OCCI GET /compute/
and, because a compute's rendering needs its ports, floating IPs, subnets and attachments, the
raw fan-out the backend makes (run concurrently, as the backend does).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.openstack.conftest import TESTBED, OpenStackServer, keystone_token, read_env
from tests.openstack.settle import SettlingClient
from tests.support.occi_client import COMPUTE_KIND

NOVA, NEUTRON = "http://127.0.0.1:8774/v2.1", "http://127.0.0.1:9696/v2.0"


def _median_ms(call: Callable[[], httpx.Response], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = call()
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
    return statistics.median(times) * 1000


def _cinder(env: dict[str, str]) -> str:
    return f"http://127.0.0.1:8776/v3/{env['OCCI_TESTBED_PROJECT_ID1']}"


def measure(rounds: int) -> dict[str, float]:
    env = read_env(TESTBED / "testbed.env")
    token = keystone_token(env, 1)
    server = OpenStackServer(env, Path(tempfile.mkdtemp(prefix="occi-overhead-"))).start()
    occi = SettlingClient(server.url, token, fmt="text/plain")
    raw = httpx.Client(headers={"X-Auth-Token": token})
    nova = {"OpenStack-API-Version": "compute 2.79"}
    pool = ThreadPoolExecutor(max_workers=5)
    try:
        path = occi.create("/compute/", categories=[COMPUTE_KIND])
        ident = path.rsplit("/", 1)[1]
        project = env["OCCI_TESTBED_PROJECT_ID1"]
        fan_out = [
            f"{NOVA}/servers/{ident}",
            f"{NEUTRON}/ports?device_id={ident}",
            f"{NEUTRON}/floatingips?project_id={project}",
            f"{NEUTRON}/subnets",
            f"{_cinder(env)}/volumes/detail",
        ]

        def concurrent() -> httpx.Response:
            answers = [pool.submit(raw.get, url, headers=nova) for url in fan_out[:1]]
            answers += [pool.submit(raw.get, url) for url in fan_out[1:]]
            answers = [a.result() for a in answers]
            return next((a for a in answers if a.status_code != 200), answers[0])

        cases = {
            "raw nova GET /servers/<id>": lambda: raw.get(fan_out[0], headers=nova),
            "raw fan-out for one compute (5 calls, concurrent)": concurrent,
            "OCCI GET /compute/<id>": lambda: occi.get(path),
            "raw nova GET /servers/detail": lambda: raw.get(f"{NOVA}/servers/detail", headers=nova),
            "OCCI GET /compute/": lambda: occi.get("/compute/"),
        }
        for call in cases.values():
            call()  # warm caches and connection pools
        return {name: _median_ms(call, rounds) for name, call in cases.items()}
    finally:
        occi.cleanup()
        pool.shutdown()
        raw.close()
        server.stop()


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    for name, value in measure(rounds).items():
        print(f"{name:55s} median {value:7.1f} ms  (n={rounds})")


if __name__ == "__main__":
    main()
