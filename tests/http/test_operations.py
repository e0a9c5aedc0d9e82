"""What an operator sees of a running server: /healthz, /readyz, /metrics, request ids and the
access log, against real `occi-server serve` processes."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from alembic import command
from prometheus_client.parser import text_string_to_metric_families

from occi_server.db.engine import make_engine
from occi_server.db.migrate import alembic_config, upgrade_engine
from tests.support.occi_client import COMPUTE_KIND, INFRA, OcciClient
from tests.support.server import ServerProcess, cli

OS_USER_DATA = "http://schemas.openstack.org/compute/instance#"


@pytest.fixture(scope="module")
def observed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server with metrics for 127.0.0.1 and /readyz checked afresh on every probe."""
    data = tmp_path_factory.mktemp("ops")
    config = data / "occi.toml"
    config.write_text('[health]\ncache_seconds = 0\n[metrics]\nallow_from = ["127.0.0.1/32"]\n')
    server = ServerProcess(data_dir=data, extra_args=("--config", str(config))).start()
    yield server
    server.stop()


def samples(url: str, **headers: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = httpx.get(url + "/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def test_healthz_and_readyz_answer_json_without_credentials(observed: ServerProcess) -> None:
    live = httpx.get(observed.url + "/healthz")
    assert live.status_code == 200 and live.json() == {"status": "ok"}
    assert live.headers["content-type"] == "application/json"
    ready = httpx.get(observed.url + "/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "checks": {"database": "ok"}}
    assert httpx.head(observed.url + "/readyz").status_code == 200
    assert httpx.post(observed.url + "/healthz").status_code == 405


def test_health_endpoints_are_not_in_the_query_interface(observed: ServerProcess) -> None:
    client = OcciClient(observed.url, observed.token("ops-q"), fmt="text/plain")
    for accept in ("text/plain", "application/occi+json", "text/uri-list"):
        body = client.get("/-/", headers={"Accept": accept}).text
        for path in ("healthz", "readyz", "metrics"):
            assert path not in body


def test_readyz_names_the_database_when_it_is_not_migrated(observed: ServerProcess) -> None:
    engine = make_engine(observed.database)
    config = alembic_config()
    try:
        with engine.connect() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "-1")
            connection.commit()
        ready = httpx.get(observed.url + "/readyz")
        assert ready.status_code == 503
        body = ready.json()
        assert body["status"] == "unavailable" and body["down"] == ["database"]
        assert "db upgrade" in body["checks"]["database"]
        assert httpx.get(observed.url + "/healthz").status_code == 200  # still alive
    finally:
        upgrade_engine(engine)
        engine.dispose()
    assert httpx.get(observed.url + "/readyz").status_code == 200


def test_metrics_count_requests_by_route_template_method_and_status(
    observed: ServerProcess,
) -> None:
    client = OcciClient(observed.url, observed.token("ops-m"), fmt="text/plain")
    before = samples(observed.url)
    created = client.create("/compute/", categories=[COMPUTE_KIND])
    client.get(created)
    client.get(created)
    client.get("/compute/")
    httpx.get(observed.url + "/compute/")  # no credentials: 401
    after = samples(observed.url)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    entity = {"route": "/compute/{id}", "method": "GET", "status": "200"}
    assert moved("occi_http_requests_total", **entity) == 2
    assert moved("occi_http_requests_total", route="/compute/", method="POST", status="201") == 1
    assert moved("occi_http_requests_total", route="/compute/", method="GET", status="401") == 1
    assert (
        moved("occi_http_request_duration_seconds_count", route="/compute/{id}", method="GET") == 2
    )
    assert moved("occi_http_request_duration_seconds_sum", route="/compute/{id}", method="GET") > 0
    assert moved("occi_backend_call_duration_seconds_count", service="database") > 0
    assert value(after, "occi_http_open_connections") >= 1
    # No entity id ever becomes a label value.
    assert not any(created.rsplit("/", 1)[-1] in str(key) for key in after)


def test_metrics_are_refused_outside_the_allowed_networks_and_off_by_default(
    server: ServerProcess, tmp_path: Path
) -> None:
    off = httpx.get(server.url + "/metrics")  # the suite's server configures no metrics
    assert off.status_code == 404 and "metrics.token" in off.json()["error"]
    guarded = ServerProcess(
        data_dir=tmp_path,
        env={"OCCI_METRICS_TOKEN": "s3cret-metrics", "OCCI_METRICS_ALLOW_FROM": "10.0.0.0/8"},
    ).start()
    try:
        refused = httpx.get(guarded.url + "/metrics")
        assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith(
            "Bearer"
        )
        wrong = httpx.get(guarded.url + "/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        found = samples(guarded.url, Authorization="Bearer s3cret-metrics")
        assert (
            value(found, "occi_http_requests_total", route="/metrics", method="GET", status="401")
            == 2
        )
    finally:
        guarded.stop()


def test_a_request_id_is_accepted_or_made_and_returned_on_every_answer(
    observed: ServerProcess,
) -> None:
    made = [
        httpx.get(observed.url + path).headers
        for path in ("/healthz", "/readyz", "/-/", "/compute/", "/no/such/")
    ]
    for headers in made:
        assert re.fullmatch(r"req-[0-9a-f-]{36}", headers["x-openstack-request-id"])
        assert headers["x-request-id"] == headers["x-openstack-request-id"]
    assert len({h["x-request-id"] for h in made}) == len(made)
    for header in ("X-Request-Id", "X-OpenStack-Request-Id"):
        sent = httpx.get(observed.url + "/-/", headers={header: "trace-42.a:b"}).headers
        assert sent["x-request-id"] == sent["x-openstack-request-id"] == "trace-42.a:b"
    # Not something to write into a log line as it is: replaced.
    odd = httpx.get(observed.url + "/-/", headers={"X-Request-Id": 'x" y'}).headers
    assert odd["x-request-id"].startswith("req-")


def access_lines(server: ServerProcess, marker: str) -> list[str]:
    return server.lines(marker, "occi_server.access")


def test_one_access_line_per_request_with_who_and_what(observed: ServerProcess) -> None:
    client = OcciClient(observed.url, observed.token("ops-log", "carol"), fmt="text/plain")
    response = client.get("/compute/", headers={"X-Request-Id": "line-check-1"})
    (line,) = access_lines(observed, "request_id=line-check-1")
    size = len(response.content)
    assert f'"GET /compute/" 200 {size} ' in line
    assert "project=ops-log user=carol" in line and "127.0.0.1" in line
    assert re.search(r" \d+\.\dms ", line)
    httpx.get(observed.url + "/compute/", headers={"X-Request-Id": "line-check-2"})
    (refused,) = access_lines(observed, "request_id=line-check-2")
    assert '"GET /compute/" 401 ' in refused and "project=- user=-" in refused


def test_json_access_lines(tmp_path: Path) -> None:
    server = ServerProcess(data_dir=tmp_path, extra_args=("--log-format", "json")).start()
    try:
        client = OcciClient(server.url, server.token("ops-json", "dave"), fmt="text/plain")
        client.get("/compute/", headers={"X-Request-Id": "json-1"}, params={"secret": "q"})
        (line,) = access_lines(server, '"json-1"')
        record = json.loads(line)
        assert record["logger"] == "occi_server.access" and record["level"] == "info"
        assert {k: record[k] for k in ("method", "path", "status", "project", "user")} == {
            "method": "GET",
            "path": "/compute/",
            "status": 200,
            "project": "ops-json",
            "user": "dave",
        }
        assert record["request_id"] == "json-1" and record["bytes"] >= 0
        assert record["duration_ms"] > 0
        # The server's other lines are JSON too.
        serving = next(line for line in server.output if "serving OCCI" in line)
        assert json.loads(serving)["level"] == "info"
    finally:
        server.stop()


def test_no_token_password_or_user_data_reaches_a_log_line(observed: ServerProcess) -> None:
    token = observed.token("ops-secret", "erin")
    cli(
        "user", "create", "--project", "ops-secret", "--user", "frank",
        "--password", "Pw-Never-Logged-93", "--database", observed.database,
    )  # fmt: skip
    user_data = "VXNlckRhdGFOZXZlckxvZ2dlZA=="
    client = OcciClient(observed.url, token, fmt="text/occi")
    client.create(
        "/compute/",
        categories=[COMPUTE_KIND, f'user_data; scheme="{OS_USER_DATA}"; class="mixin"'],
        attributes=[f'org.openstack.compute.user_data="{user_data}"'],
    )
    httpx.get(observed.url + "/compute/", auth=("frank", "Pw-Never-Logged-93"))
    httpx.get(observed.url + "/compute/", auth=("frank", "wrong-Pw-Never-Logged"))
    httpx.get(observed.url + "/compute/", headers={"X-Auth-Token": token + "x"})
    login = httpx.get(observed.url + "/console/login", headers={"Accept": "text/html"})
    csrf = re.search(r'name="_csrf" value="([^"]*)"', login.text)
    assert csrf is not None
    httpx.post(
        observed.url + "/console/login",
        data={"user": "frank", "password": "Pw-Never-Logged-93", "_csrf": csrf.group(1)},
        cookies=login.cookies,
        headers={"Accept": "text/html"},
    )
    httpx.get(observed.url + "/-/", headers={"X-Request-Id": "secrets-done"})
    assert access_lines(observed, "request_id=secrets-done")
    logged = "".join(observed.output)
    assert "occi_server.access" in logged
    for secret in (token, "Pw-Never-Logged", user_data, "VXNlckRhdGFOZXZlckxvZ2dlZA"):
        assert secret not in logged


def test_reconciler_queue_and_intent_outcomes_reach_the_metrics(tmp_path: Path) -> None:
    """With a hypervisor that takes its time, a stop is an intent the reconciler applies after
    the answer: its outcome, the hypervisor call and the queue's depth are counted."""
    config = tmp_path / "slow.toml"
    config.write_text('[cloud]\nsimulated_delay = 0.2\n[metrics]\nallow_from = ["127.0.0.1/32"]\n')
    server = ServerProcess(data_dir=tmp_path, extra_args=("--config", str(config))).start()
    try:
        client = OcciClient(server.url, server.token("ops-intents"), fmt="text/plain")
        vm = client.create("/compute/", categories=[COMPUTE_KIND])
        stop = f'stop; scheme="{INFRA[:-1]}/compute/action#"; class="action"'
        deadline = time.monotonic() + 20
        while True:  # the create's own intent must finish before a stop is accepted
            answer = client.post(vm + "?action=stop", categories=[stop])
            if answer.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert answer.status_code == 200, answer.text
        while True:
            found = samples(server.url)
            if value(found, "occi_reconciler_intents_total", outcome="done") >= 2:
                break
            assert time.monotonic() < deadline, "the intents were never counted as done"
            time.sleep(0.2)
        assert value(found, "occi_backend_call_duration_seconds_count", service="hypervisor") >= 2
        assert ("occi_reconciler_queue_depth", ()) in found
    finally:
        server.stop()
