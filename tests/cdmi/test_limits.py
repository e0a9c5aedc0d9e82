"""Upload limits and broken uploads: nothing half-received is ever visible, nothing is left."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from occi_server.db.engine import make_engine
from occi_server.identity.store import IdentityStore
from tests.cdmi.conftest import CONTAINER, Cdmi
from tests.support.server import ServerProcess, cli

LIMIT = 65_536


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data = tmp_path_factory.mktemp("cdmi-limits")
    config = data / "occi.toml"
    config.write_text(f"[cdmi]\nmax_upload_bytes = {LIMIT}\n")
    process = ServerProcess(data_dir=data, env={"OCCI_CONFIG": str(config)}).start()
    yield process
    process.stop()


@pytest.fixture
def client(small: ServerProcess) -> Iterator[Cdmi]:
    engine = make_engine(small.database)
    store = IdentityStore(engine)
    store.ensure_project("limits")
    store.ensure_user("limits", "alice")
    yield Cdmi(small.url, store.create_token("limits", "alice"))
    engine.dispose()


def _leftovers(server: ServerProcess) -> list[str]:
    uploads = Path(server.data_dir) / "store" / "uploads"
    return sorted(p.name for p in uploads.iterdir() if p.is_file()) if uploads.exists() else []


def test_an_upload_past_the_maximum_is_413_and_leaves_nothing(
    small: ServerProcess, client: Cdmi
) -> None:
    too_big = client.put(client.path("volumes", "big"), b"z" * (LIMIT + 1))
    assert too_big.status_code == 413 and "max_upload_bytes" in too_big.text
    # Without a Content-Length (chunked), the limit is found while receiving.
    chunked = client.http.put(client.path("volumes", "big"), content=iter([b"z" * LIMIT, b"z"]))
    assert chunked.status_code == 413
    assert client.occi("GET", "/storage/big").status_code == 404
    assert client.cdmi_get(client.path("volumes"), CONTAINER)["children"] == []
    assert _leftovers(small) == []
    assert client.put(client.path("volumes", "fits"), b"z" * LIMIT).status_code == 201


def test_a_connection_cut_mid_upload_leaves_no_volume(small: ServerProcess, client: Cdmi) -> None:
    head = (
        f"PUT {client.path('volumes', 'cut')} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"X-Auth-Token: {client.token}\r\nContent-Length: {LIMIT}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", small.port)) as sock:
        sock.sendall(head + b"half" * (LIMIT // 8))
        time.sleep(0.3)  # the server is receiving when the client goes
    deadline = time.monotonic() + 10
    while _leftovers(small) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _leftovers(small) == []
    assert client.get(client.path("volumes", "cut")).status_code == 404
    assert client.occi("GET", "/storage/cut").status_code == 404


def test_an_upload_past_the_projects_volume_quota_is_403_and_leaves_nothing(
    small: ServerProcess,
) -> None:
    client = Cdmi(small.url, small.token("quota"))
    cli("quota", "set", "--project", "quota", "volumes=1", "--database", small.database)
    assert client.put(client.path("volumes", "one"), b"1").status_code == 201
    refused = client.put(client.path("volumes", "two"), b"2")
    assert refused.status_code == 403 and "volumes" in refused.text
    assert client.cdmi_get(client.path("volumes"), CONTAINER)["children"] == ["one"]
    assert _leftovers(small) == []
