"""The live fuzz run (bench/fuzz.py) at CI size: hostile requests from several threads, then
no response >= 500, no request left unanswered, the server alive and the database consistent.
The full run (100,000 requests) is `python -m bench.fuzz --requests 100000`."""

from __future__ import annotations

from bench.fuzz import FuzzConfig, finish, run

from .conftest import StartServer
from .workload import FULL


def test_a_fuzz_run_gets_no_5xx_and_leaves_the_server_alive_and_the_database_consistent(
    start_server: StartServer,
) -> None:
    server = start_server()
    tokens = [server.token("fuzz-a"), server.token("fuzz-b")]
    config = FuzzConfig(
        url=server.url,
        tokens=tokens,
        requests=20_000 if FULL else 1_500,
        seed=20261125,
        concurrency=4,
        time_limit=600,
        database=server.database,
    )
    report = finish(config, run(config), server.alive)
    print(report.text())
    assert report.sent == config.requests
    assert report.server_error_count == 0, report.server_errors
    assert report.transport_error_count == 0, report.transport_errors
    assert report.alive
    assert report.database_checked and report.inconsistencies == []
    # The run reached past authentication and parsing into every kind of outcome.
    classes = report.by_class()
    assert classes.get("2xx", 0) > config.requests // 20
    assert {400, 404, 413, 415} <= set(report.statuses)
    assert report.statuses[201] > 0
