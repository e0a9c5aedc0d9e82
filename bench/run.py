"""`make bench`: occi-server against a trivial app on the same stack, driven by wrk on loopback.

Prints one table: req/s, p50/p95/p99 latency, ratio to the ceiling (the trivial app serving a
static body of the same size, measured in the same run) and peak RSS; then the listing growth
curve. `--soak MINUTES` adds the mixed-load soak with RSS growth. Needs `wrk` (Debian package).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

import httpx

from bench.harness import (
    Result,
    current_rss_mb,
    make_token,
    measure,
    start_baseline,
    start_occi,
)
from bench.seed import seed_computes

INFRA = "http://schemas.ogf.org/occi/infrastructure#"
JSON = "application/occi+json"


def seed_compute(base: str, token: str) -> str:
    auth = {"X-Auth-Token": token, "Content-Type": "text/occi"}
    storage = httpx.post(
        base + "/storage/",
        headers={
            **auth,
            "Category": f'storage; scheme="{INFRA}"; class="kind"',
            "X-OCCI-Attribute": "occi.storage.size=1.0",
        },
    )
    response = httpx.post(
        base + "/compute/",
        headers={
            **auth,
            "Category": f'compute; scheme="{INFRA}"; class="kind"',
            "Link": f'<{storage.headers["location"]}>; rel="{INFRA}storage"; '
            f'category="{INFRA}storagelink"; occi.storagelink.deviceid="/dev/vdb"',
        },
    )
    response.raise_for_status()
    return "/" + response.headers["location"].split("/", 3)[3]


def with_ceiling(
    result: Result, url: str, headers: dict[str, str], args: argparse.Namespace
) -> list[Result]:
    """Measure the trivial app serving a body as large as `url`'s, and set the ratio."""
    size = len(httpx.get(url, headers=headers).content)
    baseline, base = start_baseline(size)
    try:
        ceiling = measure(
            f"  ceiling: static {size} B",
            base + "/",
            baseline.pid,
            seconds=args.seconds,
            connections=args.connections,
        )
    finally:
        baseline.stop()
    result.ratio = result.rps / ceiling.rps
    return [result, ceiling]


def catalogue_scenarios(data: Path, args: argparse.Namespace) -> list[Result]:
    token = make_token(f"sqlite:///{data / 'bench.sqlite'}", "bench")
    server, base = start_occi(data, token)
    auth = {"X-Auth-Token": token}
    results: list[Result] = []
    try:
        compute = seed_compute(base, token)
        common = {"seconds": args.seconds, "connections": args.connections}
        env = {"OCCI_TOKEN": token, "OCCI_COMPUTE": compute}
        for label, headers in (("text/plain", auth), ("json", {**auth, "Accept": JSON})):
            qi = measure(f"GET /-/ {label}", base + "/-/", server.pid, headers=headers, **common)
            results += with_ceiling(qi, base + "/-/", headers, args)
            one = measure(
                f"GET compute+link {label}", base + compute, server.pid, headers=headers, **common
            )
            results += with_ceiling(one, base + compute, headers, args)
        restart = measure(
            "POST ?action=restart",
            base + compute + "?action=restart",
            server.pid,
            script="restart.lua",
            env=env,
            **common,
        )
        cycles = measure(
            "create+delete (cycles/s)",
            base,
            server.pid,
            script="create_delete.lua",
            env=env,
            **common,
        )
        cycles.rps /= 2
        mixed = measure("mixed read/write", base, server.pid, script="mixed.lua", env=env, **common)
        results += [restart, cycles, mixed]
    finally:
        server.stop()
    return results


def templates_scenario(data: Path, args: argparse.Namespace) -> list[Result]:
    config = data / "500.toml"
    config.write_text(
        "".join(
            f'[[cloud.flavors]]\nname = "flavor-{i}"\n'
            f"vcpus = {1 + i % 16}\nram_mb = {128 * (1 + i % 64)}\n"
            for i in range(500)
        )
    )
    token = make_token(f"sqlite:///{data / 'bench.sqlite'}", "templates")
    server, base = start_occi(data, token, config=config)
    auth = {"X-Auth-Token": token}
    try:
        qi = measure(
            "GET /-/ with 500 templates",
            base + "/-/",
            server.pid,
            headers=auth,
            seconds=args.seconds,
            connections=args.connections,
        )
        return with_ceiling(qi, base + "/-/", auth, args)
    finally:
        server.stop()


def listing_scenarios(data: Path, args: argparse.Namespace) -> tuple[list[Result], list[str]]:
    database = f"sqlite:///{data / 'bench.sqlite'}"
    token = make_token(database, "listing")
    server, base = start_occi(data, token)
    results: list[Result] = []
    curve: list[str] = []
    try:
        for size in args.sizes:
            seed_computes(database, "listing", size)
            listed = httpx.get(
                base + "/compute/",
                timeout=120,
                headers={"X-Auth-Token": token, "Accept": "text/uri-list"},
            )
            if (
                len(listed.text.split()) != size
            ):  # a benchmark of the wrong thing is worse than none
                raise RuntimeError(f"expected {size} computes, listed {len(listed.text.split())}")
            for label, accept in (("uri-list", "text/uri-list"), ("text/plain", "text/plain")):
                result = measure(
                    f"list {size} computes {label}",
                    base + "/compute/",
                    server.pid,
                    headers={"X-Auth-Token": token, "Accept": accept},
                    seconds=args.seconds,
                    # One at a time: the p50 is then what one listing takes, not the wait
                    # behind other listings queued on the same worker.
                    connections=1,
                )
                results.append(result)
                curve.append(f"{label:10} N={size:>7}: p50 {result.p50_ms:8.1f} ms")
            if size == 10_000:
                wanted = {"X-Auth-Token": token, "X-OCCI-Attribute": 'occi.core.title="vm-5000"'}
                results.append(
                    measure(
                        "filter 1 of 10000 by attribute",
                        base + "/compute/",
                        server.pid,
                        headers=wanted,
                        seconds=args.seconds,
                        connections=args.connections,
                    )
                )
    finally:
        server.stop()
    return results, curve


def workers_scenario(data: Path, args: argparse.Namespace) -> list[Result]:
    token = make_token(f"sqlite:///{data / 'bench.sqlite'}", "workers")
    results: list[Result] = []
    for workers in (1, 2):
        server, base = start_occi(data, token, workers=workers)
        try:
            env = {"OCCI_TOKEN": token, "OCCI_COMPUTE": seed_compute(base, token)}
            results.append(
                measure(
                    f"read mix, {workers} worker(s)",
                    base,
                    server.pid,
                    script="read_mix.lua",
                    env=env,
                    seconds=args.seconds,
                    connections=args.connections,
                )
            )
        finally:
            server.stop()
    results[1].ratio = results[1].rps / results[0].rps
    results[1].note = "ratio = 2 workers / 1 worker"
    return results


def soak(data: Path, args: argparse.Namespace) -> str:
    token = make_token(f"sqlite:///{data / 'bench.sqlite'}", "soak")
    server, base = start_occi(data, token)
    try:
        env = {"OCCI_TOKEN": token, "OCCI_COMPUTE": seed_compute(base, token)}
        measure(
            "soak warm-up",
            base,
            server.pid,
            script="mixed.lua",
            env=env,
            seconds=60,
            connections=args.connections,
            warmup=False,
        )
        start = current_rss_mb(server.pid)
        result = measure(
            "soak",
            base,
            server.pid,
            script="mixed.lua",
            env=env,
            seconds=args.soak * 60,
            connections=args.connections,
            warmup=False,
        )
        end = current_rss_mb(server.pid)
        return (
            f"soak {args.soak} min mixed: {result.rps:.0f} req/s, RSS {start:.1f} -> "
            f"{end:.1f} MB ({(end - start) / start:+.1%}), errors {result.errors}"
        )
    finally:
        server.stop()


def print_table(results: list[Result], args: argparse.Namespace) -> None:
    print(
        f"\nwrk 4.1, 2 threads, {args.connections} connections (listings: 1), {args.seconds}s "
        f"per scenario; occi-server 1 worker unless said; {os.cpu_count()} cores"
    )
    header = (
        f"{'scenario':36} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'ratio':>7} {'errors':>6} {'peak RSS MB':>11}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        ratio = f"{r.ratio:.0%}" if r.ratio is not None else "-"
        print(
            f"{r.name:36} {r.rps:9.0f} {r.p50_ms:8.2f} {r.p95_ms:8.2f} {r.p99_ms:8.2f} "
            f"{ratio:>7} {r.errors:6d} {r.rss_mb:11.1f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--soak", type=int, default=0, help="minutes of mixed soak (0: none)")
    parser.add_argument("--only", choices=["catalogue", "templates", "listing", "workers"])
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is required: apt-get install wrk", file=sys.stderr)
        return 2
    data = Path(tempfile.mkdtemp(prefix="occi-bench-"))
    results: list[Result] = []
    curve: list[str] = []
    try:
        if args.only in (None, "catalogue"):
            results += catalogue_scenarios(data, args)
        if args.only in (None, "templates"):
            results += templates_scenario(data, args)
        if args.only in (None, "listing"):
            listed, curve = listing_scenarios(data, args)
            results += listed
        if args.only in (None, "workers"):
            results += workers_scenario(data, args)
        print_table(results, args)
        if curve:
            print("\nlisting growth (p50 latency of GET /compute/):")
            print("\n".join("  " + line for line in curve))
        if args.soak:
            print("\n" + soak(data, args))
    finally:
        shutil.rmtree(data, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
