"""Several workers on one database, a hypervisor that takes time: every intent is applied
by exactly one worker (each is claimed once: its attempts stay at 1) and every compute ends
in its target state."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import text

from occi_server.db.engine import make_engine

from .conftest import StartServer
from .test_scale_out import WORKERS, workers_of
from .workload import COMPUTE_ACTION, Api, assert_consistent

COMPUTES = 8


def test_each_intent_is_applied_once_by_one_of_the_workers(
    start_server: StartServer, tmp_path: Path
) -> None:
    config = tmp_path / "slow.toml"
    config.write_text("[cloud]\nsimulated_delay = 0.1\n")
    server = start_server(
        "workers", env={"OCCI_CONFIG": str(config)}, extra_args=("--workers", str(WORKERS))
    )
    assert len(workers_of(server)) == WORKERS
    token = server.token("intents")

    def boot_and_stop(index: int) -> str:
        api = Api(server.url, token)  # a connection each: the kernel spreads them over workers
        try:
            path = api.compute(f"vm{index}")
            deadline = time.monotonic() + 60
            while api.action(path, "stop", COMPUTE_ACTION).status_code == 409:  # still booting
                assert time.monotonic() < deadline, f"{path} never booted"
                time.sleep(0.05)
            return path
        finally:
            api.close()

    with ThreadPoolExecutor(max_workers=COMPUTES) as pool:
        paths = list(pool.map(boot_and_stop, range(COMPUTES)))
    api = Api(server.url, token)
    deadline = time.monotonic() + 60
    while (states := {api.attributes(api.send("GET", p))["occi.compute.state"] for p in paths}) != {
        "inactive"
    }:
        assert time.monotonic() < deadline, states
        time.sleep(0.1)
    api.close()
    engine = make_engine(server.database)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT status, attempts FROM intents")).all()
    finally:
        engine.dispose()
    assert len(rows) == 2 * COMPUTES  # a create and a stop each
    assert {(status, attempts) for status, attempts in rows} == {("done", 1)}
    assert_consistent(server)
