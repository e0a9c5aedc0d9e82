"""Per-request overhead of the OCCI layer against the raw OpenStack calls it needs (test bed up).

    python -m tests.openstack.overhead [--rounds N] [--user N] [--big] [--keep] [--populate]

Starts the openstack-backed server, makes one compute as alice and waits for ACTIVE, then times
ROUNDS (default 200) rounds of one request of each case, interleaved so that a change in the
machine's load weighs on every case alike, and prints the median and 95th percentile in ms.
The raw cases are the calls the backend makes, in its stages, each stage concurrent:

  one compute:  Nova server | Neutron ports of the server | the project's security groups,
                then the floating IPs of those ports | their subnets
  listing:      Nova servers/detail (what a text listing needs), and for the JSON rendering
                servers/detail | the project's ports | security groups, then floating IPs | subnets

--big first fills the project (of test bed user N, default 1: alice) with 500 volumes and 200
floating IPs (kept with --keep, reused when present; --populate only fills it), to show that a
compute's cost does not grow with its project. Each case also
prints the calls the services logged for it (their access logs): these include the services'
calls to each other (Nova asks Neutron for a server's ports and groups), so compare an OCCI
case's count with its raw case's.
"""

from __future__ import annotations

import argparse
import statistics
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
NOVA_VERSION = {"OpenStack-API-Version": "compute 2.79"}
BIG_VOLUMES, BIG_FIPS = 500, 200
BIG_NAME = "overhead-big"
LOGS = ("keystone", "glance", "nova-api", "neutron", "cinder-api")
Case = Callable[[], httpx.Response]


def _timings_ms(cases: dict[str, Case], rounds: int) -> dict[str, tuple[float, float]]:
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


def _log_lines() -> dict[str, int]:
    counts = {}
    for name in LOGS:
        path = TESTBED / "log" / f"{name}-uwsgi.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        counts[name] = sum(1 for line in text.splitlines() if "=> generated" in line)
    return counts


def calls_of(call: Case) -> dict[str, int]:
    """The OpenStack calls one request makes, per service, from the services' access logs."""
    time.sleep(0.3)
    before = _log_lines()
    call()
    time.sleep(0.5)  # uWSGI writes the line after the answer
    after = _log_lines()
    return {name: after[name] - before[name] for name in LOGS if after[name] != before[name]}


class Raw:
    """The caller's own token straight to the services, stages of concurrent calls."""

    def __init__(self, env: dict[str, str], token: str, user: int = 1) -> None:
        self.http = httpx.Client(headers={"X-Auth-Token": token}, timeout=60)
        self.pool = ThreadPoolExecutor(max_workers=8)
        self.project = env[f"OCCI_TESTBED_PROJECT_ID{user}"]
        self.cinder = f"http://127.0.0.1:8776/v3/{self.project}"

    def get(self, url: str, **params: object) -> httpx.Response:
        headers = NOVA_VERSION if url.startswith(NOVA) else {}
        return self.http.get(url, params=params, headers=headers)  # type: ignore[arg-type]

    def together(self, *calls: Callable[[], httpx.Response]) -> list[httpx.Response]:
        answers = [f.result() for f in [self.pool.submit(c) for c in calls]]
        for answer in answers:
            answer.raise_for_status()
        return answers

    def one_compute(self, ident: str) -> httpx.Response:
        server, ports, _ = self.together(
            lambda: self.get(f"{NOVA}/servers/{ident}"),
            lambda: self.get(f"{NEUTRON}/ports", device_id=ident),
            self._groups,
        )
        self._port_details(ports.json()["ports"])
        return server

    def listing(self) -> httpx.Response:
        servers, ports, _ = self.together(
            lambda: self.get(f"{NOVA}/servers/detail"),
            lambda: self.get(f"{NEUTRON}/ports", project_id=self.project),
            self._groups,
        )
        self._port_details(ports.json()["ports"])
        return servers

    def _groups(self) -> httpx.Response:
        fields = ["id", "name", "description"]
        return self.get(f"{NEUTRON}/security-groups", project_id=self.project, fields=fields)

    def _port_details(self, ports: list[dict[str, object]]) -> None:
        ids = [p["id"] for p in ports if str(p.get("device_owner", "")).startswith("compute:")]
        subnets = [f["subnet_id"] for p in ports for f in p.get("fixed_ips") or []]  # type: ignore[attr-defined]
        if ids:
            self.together(
                lambda: self.get(f"{NEUTRON}/floatingips", port_id=ids),
                lambda: self.get(f"{NEUTRON}/subnets", id=subnets),
            )

    def close(self) -> None:
        self.pool.shutdown()
        self.http.close()


def populate(raw: Raw) -> None:
    """BIG_VOLUMES volumes and BIG_FIPS floating IPs in alice's project (reused when there)."""
    volumes = _all(raw, f"{raw.cinder}/volumes", "volumes", name=BIG_NAME)
    public = raw.get(f"{NEUTRON}/networks", **{"router:external": "true"}).json()["networks"][0]
    fips = _all(raw, f"{NEUTRON}/floatingips", "floatingips", description=BIG_NAME)
    body = {"volume": {"size": 1, "name": BIG_NAME}}
    fip = {"floatingip": {"floating_network_id": public["id"], "description": BIG_NAME}}
    jobs = [lambda: raw.http.post(f"{raw.cinder}/volumes", json=body)] * (
        BIG_VOLUMES - len(volumes)
    )
    jobs += [lambda: raw.http.post(f"{NEUTRON}/floatingips", json=fip)] * (BIG_FIPS - len(fips))
    started = time.monotonic()
    for answer in raw.pool.map(lambda job: job(), jobs):
        answer.raise_for_status()
    print(f"populated: {len(jobs)} objects made in {time.monotonic() - started:.0f}s")


def depopulate(raw: Raw) -> None:
    urls = [
        f"{raw.cinder}/volumes/{v['id']}"
        for v in _all(raw, f"{raw.cinder}/volumes", "volumes", name=BIG_NAME)
    ]
    urls += [
        f"{NEUTRON}/floatingips/{f['id']}"
        for f in _all(raw, f"{NEUTRON}/floatingips", "floatingips", description=BIG_NAME)
    ]
    list(raw.pool.map(raw.http.delete, urls))
    print(f"depopulated: {len(urls)} objects deleted")


def _all(raw: Raw, url: str, key: str, **params: object) -> list[dict[str, object]]:
    """Every item, following the markers (the test bed pages at a few items)."""
    found: list[dict[str, object]] = []
    while True:
        body = raw.get(url, **params).json()
        found += body[key]
        if not body[key] or not any(n["rel"] == "next" for n in body.get(key + "_links", [])):
            return found
        params = {**params, "marker": body[key][-1]["id"]}


def measure(rounds: int, big: bool, keep: bool, user: int = 1, only_populate: bool = False) -> None:
    env = read_env(TESTBED / "testbed.env")
    token = keystone_token(env, user)
    raw = Raw(env, token, user)
    if big or only_populate:
        populate(raw)
    if only_populate:
        raw.close()
        return
    server = OpenStackServer(env, Path(tempfile.mkdtemp(prefix="occi-overhead-"))).start()
    # One kept client, as the raw cases have: httpx.get() makes a new client (and its TLS
    # context) per call, about 30 ms here, which was once counted as the OCCI layer's cost.
    http = httpx.Client(timeout=60)
    occi = SettlingClient(server.url, token, fmt="text/plain", http=http)
    as_json = {"Accept": "application/occi+json", "X-Auth-Token": token}
    try:
        path = occi.create("/compute/", categories=[COMPUTE_KIND])
        ident = path.rsplit("/", 1)[1]
        cases: dict[str, Case] = {
            "raw nova GET /servers/<id>": lambda: raw.get(f"{NOVA}/servers/{ident}"),
            "raw calls of one compute (2 stages)": lambda: raw.one_compute(ident),
            "OCCI GET /compute/<id>": lambda: occi.get(path),
            "raw nova GET /servers/detail": lambda: raw.get(f"{NOVA}/servers/detail"),
            "OCCI GET /compute/ (text/plain)": lambda: occi.get("/compute/"),
            "raw calls of the JSON listing (2 stages)": raw.listing,
            "OCCI GET /compute/ (JSON)": lambda: http.get(
                server.url + "/compute/", headers=as_json
            ),
        }
        for call in cases.values():
            call()  # warm caches and connection pools
        counts = {name: calls_of(call) for name, call in cases.items()}
        for name, (median, p95) in _timings_ms(cases, rounds).items():
            made = counts.get(name)
            calls = f"  calls {sum(made.values())} {made}" if made is not None else ""
            print(f"{name:42s} median {median:6.1f} ms  p95 {p95:6.1f} ms  (n={rounds}){calls}")
    finally:
        occi.cleanup()
        http.close()
        server.stop()
        if big and not keep:
            depopulate(raw)
        raw.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--big", action="store_true", help="500 volumes, 200 floating IPs")
    parser.add_argument("--keep", action="store_true", help="keep the big project's objects")
    parser.add_argument("--user", type=int, default=1, help="test bed user (1 alice, 2 bob...)")
    parser.add_argument("--populate", action="store_true", help="only fill the big project")
    args = parser.parse_args()
    measure(args.rounds, args.big, args.keep, args.user, args.populate)


if __name__ == "__main__":
    main()
