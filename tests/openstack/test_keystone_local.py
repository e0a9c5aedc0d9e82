"""`--auth keystone` in front of the embedded backend: Keystone projects own local resources."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.openstack.conftest import keystone_token
from tests.support.server import free_port

COMPUTE = 'compute; scheme="http://schemas.ogf.org/occi/infrastructure#"; class="kind"'


@pytest.fixture
def local_keystone_server(testbed: dict[str, str], tmp_path: Path) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "occi_server.cli",
            "serve",
            "--port",
            str(port),
            "--backend",
            "local",
            "--auth",
            "keystone",
            "--database",
            f"sqlite:///{tmp_path / 'k.sqlite'}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **testbed, "OCCI_DATA_DIR": str(tmp_path)},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if process.poll() is not None:
                raise RuntimeError("occi-server exited at start")
            try:
                httpx.get(url + "/-/", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_keystone_projects_own_embedded_resources(
    local_keystone_server: str, testbed: dict[str, str]
) -> None:
    url = local_keystone_server
    alice, bob = keystone_token(testbed, 1), keystone_token(testbed, 2)
    anonymous = httpx.get(url + "/-/")
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Keystone uri='")
    created = httpx.post(
        url + "/compute/",
        headers={"X-Auth-Token": alice, "Content-Type": "text/occi", "Category": COMPUTE},
    )
    assert created.status_code == 201, created.text
    location = created.headers["location"]
    assert httpx.get(location, headers={"X-Auth-Token": alice}).status_code == 200
    assert httpx.get(location, headers={"X-Auth-Token": bob}).status_code == 404
    listing = httpx.get(url + "/compute/", headers={"X-Auth-Token": bob, "Accept": "text/uri-list"})
    assert location not in listing.text
    claimed = httpx.get(
        location,
        headers={"X-Auth-Token": alice, "X-Auth-Tenant-Id": testbed["OCCI_TESTBED_PROJECT2"]},
    )
    assert claimed.status_code == 401
