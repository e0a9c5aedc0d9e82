"""Wrong HTTP Basic passwords against the real server: 401 up to the limit, then 429 with
Retry-After, while a token client is still served (issue 15, row 4)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.server import ServerProcess, cli


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data = tmp_path_factory.mktemp("passwords")
    config = data / "occi.toml"
    config.write_text("[limits]\npassword_failures = 3\npassword_window = 60\n")
    process = ServerProcess(data_dir=data, extra_args=("--config", str(config)))
    cli(
        "user",
        "create",
        "--project",
        "p",
        "--user",
        "carol",
        "--password",
        "secret",
        "--database",
        process.database,
    )
    process.start()
    yield process
    process.stop()


def test_wrong_passwords_past_the_limit_are_429_with_retry_after(server: ServerProcess) -> None:
    token = server.token("p", "dave")
    statuses = [
        httpx.get(server.url + "/-/", auth=("carol", f"guess{i}")).status_code for i in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    refused = httpx.get(server.url + "/-/", auth=("carol", "secret"))
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "too many failed password attempts" in refused.headers["x-occi-error"]
    assert httpx.get(server.url + "/-/", headers={"X-Auth-Token": token}).status_code == 200
