"""Per-request overhead of the OCCI layer against the same raw OpenStack calls (test bed up).

    python -m tests.openstack.overhead [ROUNDS]

Starts the openstack-backed server, makes one compute as alice and waits for ACTIVE, then times
ROUNDS (default 50) rounds of one request of each kind, interleaved so that a change in the
machine's load weighs on every kind alike, and prints the median and 95th percentile in ms:
  raw Nova GET /servers/<id>               vs  OCCI GET /compute/<id>
  raw Nova GET /servers/detail             vs  OCCI GET /compute/
and, because a compute's rendering needs its ports, floating IPs, subnets, attachments and
security groups, the raw fan-out the backend makes (run concurrently, as the backend does; the
flavors and images it caches are not in it).
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


def _timings_ms(
    cases: dict[str, Callable[[], httpx.Response]], rounds: int
) -> dict[str, tuple[float, float]]:
    """Per case, the median and the 95th percentile of `rounds` calls, in ms."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, call in cases.items():
            started = time.perf_counter()
            response = call()
            times[name].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text
    return {
        name: (statistics.median(t), statistics.quantiles(t, n=20)[-1]) for name, t in times.items()
    }


def _cinder(env: dict[str, str]) -> str:
    return f"http://127.0.0.1:8776/v3/{env['OCCI_TESTBED_PROJECT_ID1']}"


def measure(rounds: int) -> dict[str, tuple[float, float]]:
    env = read_env(TESTBED / "testbed.env")
    token = keystone_token(env, 1)
    server = OpenStackServer(env, Path(tempfile.mkdtemp(prefix="occi-overhead-"))).start()
    occi = SettlingClient(server.url, token, fmt="text/plain")
    raw = httpx.Client(headers={"X-Auth-Token": token})
    nova = {"OpenStack-API-Version": "compute 2.79"}
    pool = ThreadPoolExecutor(max_workers=6)
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
            f"{NEUTRON}/security-groups?project_id={project}",
        ]

        def concurrent() -> httpx.Response:
            answers = [pool.submit(raw.get, url, headers=nova) for url in fan_out[:1]]
            answers += [pool.submit(raw.get, url) for url in fan_out[1:]]
            answers = [a.result() for a in answers]
            return next((a for a in answers if a.status_code != 200), answers[0])

        cases = {
            "raw nova GET /servers/<id>": lambda: raw.get(fan_out[0], headers=nova),
            "raw fan-out for one compute (6 calls, concurrent)": concurrent,
            "OCCI GET /compute/<id>": lambda: occi.get(path),
            "raw nova GET /servers/detail": lambda: raw.get(f"{NOVA}/servers/detail", headers=nova),
            "OCCI GET /compute/": lambda: occi.get("/compute/"),
        }
        for call in cases.values():
            call()  # warm caches and connection pools
        return _timings_ms(cases, rounds)
    finally:
        occi.cleanup()
        pool.shutdown()
        raw.close()
        server.stop()


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    for name, (median, p95) in measure(rounds).items():
        print(f"{name:52s} median {median:7.1f} ms  p95 {p95:7.1f} ms  (n={rounds})")


if __name__ == "__main__":
    main()
