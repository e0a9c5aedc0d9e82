"""One compute's life on a real QEMU guest, step by step through the API: what the guest itself
prints on its serial console (read through `GET <compute>?console`) is the proof of each step.

The steps share one guest (booting is the expensive part), so they run in file order and each
starts from where the one before left it.
"""

from __future__ import annotations

import base64
import os
import re
import time
from pathlib import Path

import pytest

from tests.qemu.support import (
    STATUS,
    all_qemu_for,
    console,
    qemu_processes,
    settled,
    wait_console,
    wait_status,
)
from tests.support.occi_client import COMPUTE_KIND, INFRA, STORAGE_KIND, OcciClient
from tests.support.server import ServerProcess

RESOURCE = "http://schemas.openstack.org/template/resource#"
OS = "http://schemas.openstack.org/template/os#"
ACTION = "http://schemas.ogf.org/occi/infrastructure/compute/action#"
NOVA_ACTION = "http://schemas.openstack.org/instance/action#"
USER_DATA = '#!/bin/sh\necho "hello from user-data"\n'
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOcciTestKeyOnlyForTheQemuTier alice@example"
READY = "occi-guest: ready"
BOOTED = "occi-guest: booted"
DEVICE = "occi.storagelink.deviceid"


def _mixin(term: str, scheme: str) -> str:
    return f'{term}; scheme="{scheme}"; class="mixin"'


def _action(term: str, scheme: str = ACTION) -> str:
    return f'{term}; scheme="{scheme}"; class="action"'


class Walk:
    vm = ""
    link = ""
    volume = ""
    link2 = ""
    volume2 = ""
    image_vm = ""


@pytest.fixture(scope="module")
def client(qemu_server: ServerProcess) -> OcciClient:
    return OcciClient(qemu_server.url, qemu_server.token("qemu-walk"), fmt="text/plain")


def test_create_boots_a_guest_that_sees_its_user_data_key_and_id(client: OcciClient) -> None:
    encoded = base64.b64encode(USER_DATA.encode()).decode()
    Walk.vm = client.create(
        "/compute/",
        categories=[
            COMPUTE_KIND,
            _mixin("itsy", RESOURCE),
            _mixin("busybox", OS),
            _mixin("user_data", "http://schemas.ogf.org/occi/infrastructure/compute#"),
            _mixin("ssh_key", "http://schemas.ogf.org/occi/infrastructure/credentials#"),
        ],
        attributes=[
            f'occi.compute.userdata="{encoded}"',
            f'occi.credentials.ssh.publickey="{KEY}"',
            'occi.compute.hostname="walker"',
        ],
    )
    assert wait_status(client, Walk.vm, "ACTIVE")[STATUS] == "ACTIVE"
    log = wait_console(client, Walk.vm, READY)
    meta = _section(log, "meta-data")
    assert f'instance-id: "{Walk.vm.rsplit("/", 1)[1]}"' in meta
    assert 'local-hostname: "walker"' in meta
    assert KEY in meta
    assert _section(log, "user-data").strip() == USER_DATA.strip()
    assert "occi-guest: running user-data\nhello from user-data\n" in log  # and it ran
    assert "cpus=1 mem_kb=" in log


def test_stop_powers_the_guest_off_by_acpi(client: OcciClient, qemu_server: ServerProcess
                                           ) -> None:  # fmt: skip
    stop = client.post(
        f"{Walk.vm}?action=stop",
        categories=[_action("stop")],
        attributes=['method="acpioff"'],
    )
    assert stop.status_code == 200, stop.text
    assert wait_status(client, Walk.vm, "SHUTOFF")[STATUS] == "SHUTOFF"
    assert "occi-guest: ACPI power button: powering off" in console(client, Walk.vm)
    assert qemu_processes(qemu_server.data_dir) == []


def test_start_boots_it_again(client: OcciClient) -> None:
    start = client.post(f"{Walk.vm}?action=start", categories=[_action("start")])
    assert start.status_code == 200, start.text
    assert wait_status(client, Walk.vm, "ACTIVE")[STATUS] == "ACTIVE"
    wait_console(client, Walk.vm, READY, count=2)


def test_an_attached_volume_appears_in_the_guest_under_its_device_name(client: OcciClient) -> None:
    wait_console(client, Walk.vm, "occi-guest: disks", count=2)  # the boot's disks listed
    Walk.volume = client.create(
        "/storage/", categories=[STORAGE_KIND], attributes=["occi.storage.size=0.0625"]
    )
    Walk.link = _attach(client, Walk.volume, "/dev/vdc")
    # vda is the root disk, vdb the seed: the guest names the next disk vdc, as asked.
    assert settled(client, Walk.link)[DEVICE] == "/dev/vdc"
    # 0.0625 GiB = 131072 sectors of 512 bytes; the serial is the storage's id.
    wait_console(client, Walk.vm, f" vdc:131072:{_serial(Walk.volume)}")


def test_a_device_name_virtio_cannot_give_shows_the_real_one(client: OcciClient) -> None:
    Walk.volume2 = client.create(
        "/storage/", categories=[STORAGE_KIND], attributes=["occi.storage.size=0.03125"]
    )
    Walk.link2 = _attach(client, Walk.volume2, "/dev/vdf")
    # virtio-blk names disks in the order they come: the guest calls this one vdd.
    assert settled(client, Walk.link2)[DEVICE] == "/dev/vdd"
    log = wait_console(client, Walk.vm, f" vdd:65536:{_serial(Walk.volume2)}")
    assert f" vdc:131072:{_serial(Walk.volume)}" in _last_disks(log)


def test_a_detached_volume_leaves_the_guest(client: OcciClient) -> None:
    for link in (Walk.link, Walk.link2):
        assert client.delete(link).status_code == 200
    deadline = time.monotonic() + 60
    while _last_disks(console(client, Walk.vm)).count(" vd") != 2:
        assert time.monotonic() < deadline, console(client, Walk.vm)
        time.sleep(0.3)
    assert "vdc" not in _last_disks(console(client, Walk.vm))
    for volume in (Walk.volume, Walk.volume2):
        assert client.delete(volume).status_code == 200


def _attach(client: OcciClient, volume: str, device: str) -> str:
    return client.create(
        "/storage/link/",
        categories=[f'storagelink; scheme="{INFRA}"; class="kind"'],
        attributes=[
            f'occi.core.source="{Walk.vm}"',
            f'occi.core.target="{volume}"',
            f'occi.storagelink.deviceid="{device}"',
        ],
    )


def _serial(volume: str) -> str:
    """The disk serial the driver gives a volume: its id without dashes, 20 characters."""
    return volume.rsplit("/", 1)[1].replace("-", "")[:20]


def test_resize_boots_the_guest_with_its_new_memory(client: OcciClient) -> None:
    before = _memories(console(client, Walk.vm))
    resize = client.post(Walk.vm, categories=[_mixin("bitsy", RESOURCE)])
    assert resize.status_code == 200, resize.text
    assert settled(client, Walk.vm)[STATUS] == "VERIFY_RESIZE"
    wait_console(client, Walk.vm, READY, count=3)
    after = _memories(console(client, Walk.vm))
    assert after[-1] > before[-1] + 100_000  # 128 MiB -> 256 MiB (kB, less the kernel's)
    confirm = client.post(
        f"{Walk.vm}?action=confirm_resize", categories=[_action("confirm_resize", NOVA_ACTION)]
    )
    assert confirm.status_code == 200, confirm.text
    attributes = settled(client, Walk.vm)
    assert attributes[STATUS] == "ACTIVE"
    assert attributes["occi.compute.memory"] == "0.25"


def test_rebuild_boots_a_new_root_disk(client: OcciClient, qemu_server: ServerProcess) -> None:
    disk = _root_disk(qemu_server.data_dir)
    first = disk.stat().st_ino
    # A second name keeps the old disk's inode taken, so a new file cannot be given its number.
    kept = qemu_server.data_dir.parent / "old-root-disk"
    kept.unlink(missing_ok=True)
    os.link(disk, kept)
    rebuild = client.post(Walk.vm, categories=[_mixin("busybox-again", OS)])
    assert rebuild.status_code == 200, rebuild.text
    wait_console(client, Walk.vm, READY, count=4)
    assert wait_status(client, Walk.vm, "ACTIVE")["occi.compute.state.message"].startswith(
        "rebuilt from busybox-again"
    )
    assert _root_disk(qemu_server.data_dir).stat().st_ino != first
    kept.unlink()
    assert KEY in _section(console(client, Walk.vm), "meta-data", last=True)


def test_create_image_makes_an_os_template_that_boots(client: OcciClient) -> None:
    made = client.post(
        f"{Walk.vm}?action=create_image",
        categories=[_action("create_image", NOVA_ACTION)],
        attributes=['org.openstack.snapshot.image_name="walk-snapshot"'],
    )
    assert made.status_code == 200, made.text
    settled(client, Walk.vm)
    assert (
        'walk-snapshot; scheme="http://schemas.openstack.org/template/os#"'
        in client.get("/-/").text
    )
    Walk.image_vm = client.create(
        "/compute/",
        categories=[COMPUTE_KIND, _mixin("itsy", RESOURCE), _mixin("walk-snapshot", OS)],
    )
    assert wait_status(client, Walk.image_vm, "ACTIVE")[STATUS] == "ACTIVE"
    log = wait_console(client, Walk.image_vm, READY)
    assert Walk.image_vm.rsplit("/", 1)[1] in _section(log, "meta-data")


def test_delete_leaves_no_process_and_no_file(client: OcciClient, qemu_server: ServerProcess
                                              ) -> None:  # fmt: skip
    data = qemu_server.data_dir
    for vm in (Walk.vm, Walk.image_vm):
        assert client.delete(vm).status_code == 200
    deadline = time.monotonic() + 60
    while all_qemu_for(data) or list((data / "qemu").glob("*/guest.json")):
        assert time.monotonic() < deadline, (all_qemu_for(data), list((data / "qemu").iterdir()))
        time.sleep(0.3)
    assert list((data / "qemu").iterdir()) == []
    assert [p for p in (data / "store" / "disks").rglob("*") if p.is_file()] == []
    assert client.get(Walk.vm).status_code == 404


# -- reading the console ------------------------------------------------------------------------
def _section(log: str, name: str, last: bool = False) -> str:
    found = re.findall(
        rf"occi-guest: --- {re.escape(name)} ---\n(.*?)\nocci-guest: --- end {re.escape(name)} ---",
        log,
        re.S,
    )
    assert found, f"no {name} in the console:\n{log}"
    return str(found[-1] if last else found[0])


def _last_disks(log: str) -> str:
    lines = [line for line in log.splitlines() if line.startswith("occi-guest: disks")]
    return lines[-1] if lines else ""


def _memories(log: str) -> list[int]:
    return [int(m) for m in re.findall(r"occi-guest: booted cpus=\d+ mem_kb=(\d+)", log)]


def _root_disk(data: Path) -> Path:
    disks = [p for p in (data / "store" / "disks").rglob("*") if p.is_file()]
    assert len(disks) == 1, disks
    return disks[0]
