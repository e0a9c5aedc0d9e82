"""The slower tier (make test-qemu-full, not in CI): a Debian bookworm guest with cloud-init
(scripts/debian-guest) booted by the QEMU driver, 1 vCPU and 256 MiB under TCG. What
cloud-init did with the NoCloud seed is read on the guest's serial console: the file that
user_data's write_files asked for, and the SSH key in the default user's authorized_keys.

Collected only under OCCI_QEMU_FULL=1 (beside OCCI_QEMU_TIER=1): its boot takes minutes.
"""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.qemu.conftest import built_guest, serving
from tests.qemu.support import STATUS, wait_console, wait_status
from tests.support.occi_client import COMPUTE_KIND, OcciClient
from tests.support.server import ServerProcess

if os.environ.get("OCCI_QEMU_FULL") != "1":
    pytest.skip("the cloud-init tier runs under make test-qemu-full", allow_module_level=True)

BOOT_TIMEOUT = 900.0  # measured: 63 s from create to runcmd on 2 busy cores
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOcciTestKeyOnlyForTheCloudInitTier alice@example"
USER_DATA = """#cloud-config
write_files:
  - path: /etc/occi-written
    content: "written by cloud-init from OCCI user_data"
runcmd:
  - [sh, -c, 'echo "occi-check: file=$(cat /etc/occi-written)" > /dev/ttyS0']
  - [sh, -c, 'echo "occi-check: keys=$(cat /home/debian/.ssh/authorized_keys)" > /dev/ttyS0']
  - [sh, -c, 'echo "occi-check: done" > /dev/ttyS0']
"""


@pytest.fixture(scope="module")
def debian_image() -> Path:
    return built_guest("debian-guest", timeout=1200)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, debian_image: Path
           ) -> Iterator[ServerProcess]:  # fmt: skip
    config = f"""
[cloud]
hypervisor = "qemu"
qemu_accel = "tcg"
driver_timeout = 240
default_flavor = "small"
default_image = "debian"

[[cloud.flavors]]
name = "small"
vcpus = 1
ram_mb = 256
disk_gb = 2

[[cloud.images]]
name = "debian"
file = "{debian_image}"
"""
    with serving(tmp_path_factory.mktemp("qemu-debian"), config) as server:
        yield server


def test_cloud_init_writes_the_user_data_file_and_the_ssh_key(server: ServerProcess) -> None:
    client = OcciClient(server.url, server.token("cloud-init"), fmt="text/plain")
    began = time.monotonic()
    vm = client.create(
        "/compute/",
        categories=[
            COMPUTE_KIND,
            'user_data; scheme="http://schemas.ogf.org/occi/infrastructure/compute#"; '
            'class="mixin"',
            'ssh_key; scheme="http://schemas.ogf.org/occi/infrastructure/credentials#"; '
            'class="mixin"',
        ],
        attributes=[
            f'occi.compute.userdata="{base64.b64encode(USER_DATA.encode()).decode()}"',
            f'occi.credentials.ssh.publickey="{KEY}"',
            'occi.compute.hostname="debian-walker"',
        ],
    )
    assert wait_status(client, vm, "ACTIVE")[STATUS] == "ACTIVE"
    log = wait_console(client, vm, "occi-check: done", timeout=BOOT_TIMEOUT)
    seconds = time.monotonic() - began
    lines = [line for line in log.splitlines() if "occi-check:" in line or "Cloud-init v." in line]
    print(f"\ncloud-init guest: create to runcmd done in {seconds:.0f} s\n" + "\n".join(lines))
    (server.data_dir / "cloud-init-boot.txt").write_text(f"{seconds:.0f} s\n{log}")
    assert "occi-check: file=written by cloud-init from OCCI user_data" in log
    assert f"occi-check: keys={KEY}" in log
    assert client.delete(vm).status_code == 200
