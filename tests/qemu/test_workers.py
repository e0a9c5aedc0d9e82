"""`serve --workers 2` with the QEMU driver: each guest's events are heard by exactly one worker
(the one holding its watch lock); the other, which QEMU would keep waiting on the same socket,
neither takes the running guest for gone nor misses the guest powering itself off."""

from __future__ import annotations

import base64
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.qemu.conftest import config_text, serving
from tests.qemu.support import STATUS, settled, wait_console, wait_status
from tests.support.occi_client import COMPUTE_KIND, OcciClient
from tests.support.server import ServerProcess

OS_USER_DATA = "http://schemas.openstack.org/compute/instance#"
RESOURCE = "http://schemas.openstack.org/template/resource#"


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory, guest_image: Path
                ) -> Iterator[ServerProcess]:  # fmt: skip
    data = tmp_path_factory.mktemp("qemu-workers")
    with serving(data, config_text(guest_image), {"OCCI_WORKERS": "2"}) as server:
        yield server


def test_one_worker_watches_a_guest_and_hears_it_power_off(two_workers: ServerProcess) -> None:
    client = OcciClient(two_workers.url, two_workers.token("workers"), fmt="text/plain")
    # Up long enough for a second watcher to give up on QEMU's busy socket (10 s), then off.
    script = "#!/bin/sh\nsleep 25\necho powering off by myself\nsync\npoweroff -f\n"
    encoded = base64.b64encode(script.encode()).decode()
    vm = client.create(
        "/compute/",
        categories=[
            COMPUTE_KIND,
            f'itsy; scheme="{RESOURCE}"; class="mixin"',
            f'user_data; scheme="{OS_USER_DATA}"; class="mixin"',
        ],
        attributes=[f'org.openstack.compute.user_data="{encoded}"'],
    )
    wait_console(client, vm, "occi-guest: running user-data")
    (lock,) = (two_workers.data_dir / "qemu").glob("*/watch.lock")
    handle = os.open(lock, os.O_RDWR)
    try:
        with pytest.raises(BlockingIOError):  # a worker holds it
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(handle)
    deadline = time.monotonic() + 18
    while time.monotonic() < deadline:  # running, and seen so by both workers' answers
        assert settled(client, vm)[STATUS] == "ACTIVE"
        time.sleep(1)
    wait_console(client, vm, "powering off by myself")
    attributes = wait_status(client, vm, "SHUTOFF")
    assert attributes["occi.compute.state.message"] == "shutoff (reported by the hypervisor)"
    assert client.delete(vm).status_code == 200
