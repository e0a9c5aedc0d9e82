"""Fairness: another tenant's `GET /-/` while one tenant runs the heaviest requests the limits
allow (issue 15, requirement 1: its p99 stays under 50 ms).

    .venv/bin/python -m bench.fairness [--seconds 10] [--heavy-clients 2]

One server (embedded backend, SQLite, one worker, default limits). The victim sends `GET /-/`
one request at a time on a kept-alive connection; meanwhile `--heavy-clients` threads of the
other tenant repeat one of:

- `links`: create a compute with `limits.max_links` (16) inline network interfaces on a
  network of its own, then delete it;
- `chg_pwd`: `POST /compute/?action=chg_pwd` on a collection of `limits.max_action_members`
  (500) computes;
- `basic`: HTTP Basic with wrong passwords, as fast as the server answers (401, then 429);
- `none`: nothing (the victim alone, for comparison).

Printed per scenario: the victim's request count, p50, p99 and worst latency, and what the
heavy tenant's requests answered.
"""

from __future__ import annotations

import argparse
import collections
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from bench.harness import make_token, start_occi
from bench.seed import seed_computes

INFRA = "http://schemas.ogf.org/occi/infrastructure#"
NETWORK_MIXIN = "http://schemas.ogf.org/occi/infrastructure/network#"
CHG_PWD = 'chg_pwd; scheme="http://schemas.openstack.org/instance/action#"; class="action"'


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def heavy_links(base: str, token: str) -> Callable[[httpx.Client], int]:
    headers = {"X-Auth-Token": token, "Content-Type": "text/plain"}
    created = httpx.post(
        base + "/network/",
        headers={
            **headers,
            "Category": f'network; scheme="{INFRA}"; class="kind", '
            f'ipnetwork; scheme="{NETWORK_MIXIN}"; class="mixin"',
            "X-OCCI-Attribute": 'occi.network.address="10.77.0.0/16"',
        },
    )
    created.raise_for_status()
    network = "/" + created.headers["location"].split("/", 3)[3]
    link = f'Link: <{network}>; rel="{INFRA}network"; category="{INFRA}networkinterface"'
    body = "\n".join([f'Category: compute; scheme="{INFRA}"; class="kind"', *[link] * 16])

    def run(client: httpx.Client) -> int:
        response = client.post("/compute/", headers=headers, content=body)
        if response.status_code == 201:
            client.delete("/" + response.headers["location"].split("/", 3)[3], headers=headers)
        return response.status_code

    return run


def heavy_chg_pwd(base: str, token: str) -> Callable[[httpx.Client], int]:
    headers = {
        "X-Auth-Token": token,
        "Content-Type": "text/occi",
        "Category": CHG_PWD,
        "X-OCCI-Attribute": 'org.openstack.credentials.admin_pwd="s3cret"',
    }

    def run(client: httpx.Client) -> int:
        return client.post("/compute/?action=chg_pwd", headers=headers).status_code

    return run


def heavy_basic(base: str, token: str) -> Callable[[httpx.Client], int]:
    counter = iter(range(10**9))

    def run(client: httpx.Client) -> int:
        n = next(counter)
        return client.get("/-/", auth=(f"user{n % 50}", f"guess{n}")).status_code

    return run


def scenario(
    base: str, victim: str, heavy: Callable[[httpx.Client], int] | None, args: argparse.Namespace
) -> str:
    stop = threading.Event()
    answers: collections.Counter[int] = collections.Counter()

    def hammer() -> None:
        assert heavy is not None
        with httpx.Client(base_url=base, timeout=120) as client:
            while not stop.is_set():
                answers[heavy(client)] += 1

    threads = [threading.Thread(target=hammer) for _ in range(args.heavy_clients if heavy else 0)]
    for thread in threads:
        thread.start()
    time.sleep(1.0 if heavy else 0)
    times: list[float] = []
    with httpx.Client(base_url=base, headers={"X-Auth-Token": victim}, timeout=60) as client:
        deadline = time.monotonic() + args.seconds
        while time.monotonic() < deadline:
            start = time.perf_counter()
            assert client.get("/-/").status_code == 200
            times.append(time.perf_counter() - start)
    stop.set()
    for thread in threads:
        thread.join()
    return (
        f"{len(times)} GET /-/, p50 {percentile(times, 0.5) * 1000:.1f} ms, "
        f"p99 {percentile(times, 0.99) * 1000:.1f} ms, worst {max(times) * 1000:.1f} ms; "
        f"heavy tenant: {dict(answers)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--heavy-clients", type=int, default=2)
    parser.add_argument("--only", default="none,links,chg_pwd,basic")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="occi-fair-") as tmp:
        data = Path(tmp)
        url = f"sqlite:///{data / 'bench.sqlite'}"
        victim = make_token(url, "victim")
        heavy = make_token(url, "heavy")
        seed_computes(url, "heavy", 500)
        server, base = start_occi(data, victim)
        makers = {"links": heavy_links, "chg_pwd": heavy_chg_pwd, "basic": heavy_basic}
        try:
            for name in args.only.split(","):
                maker = makers.get(name)
                load = maker(base, heavy) if maker else None
                print(f"{name}: {scenario(base, victim, load, args)}", flush=True)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
