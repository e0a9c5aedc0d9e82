"""Where a request's time goes, without HTTP: the ASGI app called in-process, then cProfile.

    .venv/bin/python -m bench.profile [--requests N] [--scenario NAME] [--top K]

Prints microseconds per request for each scenario, for occi-server's app and for the trivial
baseline app (bench/baseline_app.py) driven the same way, so the difference is the OCCI layer's
own cost; with --scenario, also the top functions by cumulative time.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

INFRA = "http://schemas.ogf.org/occi/infrastructure#"
ACTIONS = "http://schemas.ogf.org/occi/infrastructure/compute/action#"
App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def _scope(method: str, path: str, headers: dict[str, str], query: str = "") -> dict[str, Any]:
    return {
        "type": "http",
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "server": ("127.0.0.1", 8787),
        "client": ("127.0.0.1", 50000),
    }


async def _call(
    app: App, scope: dict[str, Any], body: bytes = b""
) -> tuple[int, dict[str, str], bytes]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = sent[0]
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], headers, b"".join(m.get("body", b"") for m in sent[1:])


def _build(data: Path) -> tuple[App, dict[str, str]]:
    os.environ["OCCI_DATA_DIR"] = str(data)
    os.environ["OCCI_DATABASE_URL"] = f"sqlite:///{data / 'profile.sqlite'}"
    os.environ["OCCI_AUTH"] = "token"
    from bench.harness import bench_config

    os.environ["OCCI_CONFIG"] = str(bench_config(data))
    from occi_server.db.migrate import upgrade
    from occi_server.http.app import create_app_from_env
    from occi_server.identity.store import IdentityStore

    upgrade(os.environ["OCCI_DATABASE_URL"])
    app = create_app_from_env()
    from occi_server.db.engine import make_engine

    store = IdentityStore(make_engine(os.environ["OCCI_DATABASE_URL"]))
    token = store.create_token("bench", "bench")
    return app, {"X-Auth-Token": token}


def _scenarios(app: App, auth: dict[str, str]) -> dict[str, Callable[[], Awaitable[Any]]]:
    loop_call = _call
    occi = {**auth, "Content-Type": "text/occi"}
    storage = asyncio.run(
        loop_call(
            app,
            _scope(
                "POST",
                "/storage/",
                {
                    **occi,
                    "Category": f'storage; scheme="{INFRA}"; class="kind"',
                    "X-OCCI-Attribute": "occi.storage.size=1.0",
                },
            ),
        )
    )
    compute = asyncio.run(
        loop_call(
            app,
            _scope(
                "POST",
                "/compute/",
                {
                    **occi,
                    "Category": f'compute; scheme="{INFRA}"; class="kind"',
                    "Link": f'<{storage[1]["location"]}>; rel="{INFRA}storage"; '
                    f'category="{INFRA}storagelink"; occi.storagelink.deviceid="/dev/vdb"',
                },
            ),
        )
    )
    location = "/" + compute[1]["location"].split("/", 3)[3]
    from bench.seed import seed_computes

    seed_computes(os.environ["OCCI_DATABASE_URL"], "bench", 10_000)
    create_headers = {**occi, "Category": f'compute; scheme="{INFRA}"; class="kind"'}

    async def create_delete() -> None:
        created = await loop_call(app, _scope("POST", "/compute/", create_headers))
        path = "/" + created[1]["location"].split("/", 3)[3]
        status = (await loop_call(app, _scope("DELETE", path, auth)))[0]
        assert status == 200, status

    uri_list = {**auth, "Accept": "text/uri-list"}
    return {
        "listing-10k": lambda: loop_call(app, _scope("GET", "/compute/", uri_list)),
        "listing-10k-plain": lambda: loop_call(app, _scope("GET", "/compute/", auth)),
        "page-of-50": lambda: loop_call(app, _scope("GET", "/compute/", auth, "page=1&number=50")),
        "filter-1-of-10k": lambda: loop_call(
            app,
            _scope("GET", "/compute/", {**auth, "X-OCCI-Attribute": 'occi.core.title="vm-5000"'}),
        ),
        "query": lambda: loop_call(app, _scope("GET", "/-/", auth)),
        "query-json": lambda: loop_call(
            app, _scope("GET", "/-/", {**auth, "Accept": "application/occi+json"})
        ),
        "entity": lambda: loop_call(app, _scope("GET", location, auth)),
        "entity-json": lambda: loop_call(
            app, _scope("GET", location, {**auth, "Accept": "application/occi+json"})
        ),
        "action": lambda: loop_call(
            app,
            _scope(
                "POST",
                location,
                {**occi, "Category": f'restart; scheme="{ACTIONS}"; class="action"'},
                "action=restart",
            ),
        ),
        "create-delete": create_delete,
    }


async def _baseline() -> App:
    os.environ["BASELINE_BODY_BYTES"] = "13000"
    from bench.baseline_app import app

    return app  # type: ignore[return-value]


def _time(run: Callable[[], Awaitable[Any]], requests: int) -> tuple[float, float]:
    """Wall and CPU microseconds per request (CPU time holds up on a busy machine)."""

    async def loop() -> tuple[float, float]:
        for _ in range(min(200, requests)):  # warm caches
            answer = await run()
            # A scenario that fails would time its error answer (once: a wrong action scheme).
            assert not isinstance(answer, tuple) or answer[0] < 400, answer
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(requests):
            await run()
        return (
            (time.perf_counter() - wall) / requests * 1e6,
            (time.process_time() - cpu) / requests * 1e6,
        )

    return asyncio.run(loop())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--scenario", help="profile this scenario with cProfile")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--sort", default="cumulative")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app, auth = _build(Path(tmp))
        scenarios = _scenarios(app, auth)
        if args.scenario and args.scenario not in scenarios:
            parser.error(f"no scenario {args.scenario!r}; known: {', '.join(scenarios)}")
        baseline = asyncio.run(_baseline())
        wall, cpu = _time(lambda: _call(baseline, _scope("GET", "/", {})), args.requests)
        print(f"{'':24} {'wall us':>9} {'CPU us':>9}  per request")
        print(f"{'baseline (static body)':24} {wall:9.1f} {cpu:9.1f}")
        for name, run in scenarios.items():
            if args.scenario and name != args.scenario:
                continue
            count = max(10, args.requests // 200) if name.startswith("listing") else args.requests
            wall, cpu = _time(run, count)
            print(f"{name:24} {wall:9.1f} {cpu:9.1f}")
        if args.scenario:
            profiler = cProfile.Profile(time.process_time)
            run = scenarios[args.scenario]

            async def loop() -> None:
                for _ in range(args.requests):
                    await run()

            profiler.enable()
            asyncio.run(loop())
            profiler.disable()
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
