"""An image uploaded through CDMI (PUT /cdmi/<project>/images/<name>) is an OS template a real
guest boots from, raw as well as qcow2 (issue 19 item 6)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from tests.qemu.support import STATUS, wait_console, wait_status
from tests.support.occi_client import COMPUTE_KIND, OcciClient
from tests.support.server import ServerProcess

OS = "http://schemas.openstack.org/template/os#"
RESOURCE = "http://schemas.openstack.org/template/resource#"


def _mixin(term: str, scheme: str) -> str:
    return f'{term}; scheme="{scheme}"; class="mixin"'


@pytest.fixture(scope="module")
def client(qemu_server: ServerProcess) -> OcciClient:
    return OcciClient(qemu_server.url, qemu_server.token("qemu-cdmi"), fmt="text/plain")


def _upload(client: OcciClient, name: str, image: Path) -> None:
    headers = {"X-Auth-Token": str(client.token)}
    project = httpx.get(client.base + "/cdmi/", headers=headers, timeout=30).json()["children"][0]
    with open(image, "rb") as body:
        answer = httpx.put(
            f"{client.base}/cdmi/{project}images/{name}",
            headers={**headers, "Content-Type": "application/octet-stream"},
            content=body,
            timeout=120,
        )
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize("fmt", ["raw", "qcow2"])
def test_a_cdmi_uploaded_image_boots(
    client: OcciClient, guest_image: Path, tmp_path: Path, fmt: str
) -> None:
    image = guest_image  # the busybox guest's disk is raw
    if fmt == "qcow2":
        image = tmp_path / "guest.qcow2"
        subprocess.run(
            ["qemu-img", "convert", "-f", "raw", "-O", "qcow2", str(guest_image), str(image)],
            check=True, timeout=120,
        )  # fmt: skip
    name = f"uploaded-{fmt}"
    _upload(client, name, image)
    assert f'{name}; scheme="{OS}"' in client.get("/-/").text
    vm = client.create(
        "/compute/", categories=[COMPUTE_KIND, _mixin("itsy", RESOURCE), _mixin(name, OS)]
    )
    assert wait_status(client, vm, "ACTIVE")[STATUS] == "ACTIVE"
    assert "occi-guest: ready" in wait_console(client, vm, "occi-guest: ready")
    assert client.delete(vm).status_code == 200
