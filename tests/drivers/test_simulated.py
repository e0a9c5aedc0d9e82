"""The simulated hypervisor: instant by default, power states kept, snapshots through the
store, and its own power changes told to listeners."""

from __future__ import annotations

import time
from pathlib import Path

from occi_server.drivers.files import FileStore
from occi_server.drivers.hypervisor import GuestKey, GuestSpec, PowerState, run, spec_arguments
from occi_server.drivers.simulated import SimulatedHypervisor
from occi_server.drivers.volumes import GIB, disk_of, image_of

KEY = GuestKey("p-a", "/compute/vm1")


def _spec() -> GuestSpec:
    return GuestSpec(
        key=KEY, name="vm1", cores=1, memory_gib=0.5, image="cirros", disk=disk_of(KEY)
    )


def test_operations_move_the_power_state_at_once(tmp_path: Path) -> None:
    driver = SimulatedHypervisor(FileStore(tmp_path))
    assert driver.instant
    run(driver, "create", KEY, spec_arguments(_spec()))
    assert driver.power_state(KEY) is PowerState.RUNNING
    run(driver, "stop", KEY, {"method": "acpioff"})
    assert driver.power_state(KEY) is PowerState.SHUTOFF
    run(driver, "start", KEY, {})
    run(driver, "suspend", KEY, {})
    assert driver.power_state(KEY) is PowerState.SUSPENDED
    run(driver, "resume", KEY, {})
    assert "stopped (acpioff)" in driver.console_log(KEY)
    run(driver, "destroy", KEY, {})
    assert driver.power_state(KEY) is PowerState.MISSING
    run(driver, "destroy", KEY, {})  # idempotent


def test_attachments_are_kept(tmp_path: Path) -> None:
    driver = SimulatedHypervisor(FileStore(tmp_path))
    run(driver, "create", KEY, spec_arguments(_spec()))
    run(driver, "attach_volume", KEY, {"volume": "volumes/p-a/v", "device": "/dev/vdb"})
    run(driver, "attach_interface", KEY, {"interface": "/networklink/i", "mac": "fa:16:3e:0:0:1"})
    assert driver.volumes_of(KEY) == {"volumes/p-a/v": "/dev/vdb"}
    run(driver, "detach_volume", KEY, {"volume": "volumes/p-a/v"})
    run(driver, "detach_interface", KEY, {"interface": "/networklink/i"})
    assert driver.volumes_of(KEY) == {} and driver.interfaces_of(KEY) == {}


def test_a_snapshot_copies_the_root_disk_into_an_image(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    driver = SimulatedHypervisor(store)
    store.create(disk_of(KEY), GIB)
    store.write(disk_of(KEY), 0, b"boot")
    run(driver, "create", KEY, spec_arguments(_spec()))
    image = image_of("p-a", "golden")
    run(driver, "snapshot", KEY, {"image": image})
    assert store.read(image, 0, 4) == b"boot" and store.size(image) == GIB


def test_a_delay_makes_it_behave_like_a_real_one(tmp_path: Path) -> None:
    driver = SimulatedHypervisor(FileStore(tmp_path), delay=0.05)
    assert not driver.instant
    began = time.monotonic()
    run(driver, "start", KEY, {})
    assert time.monotonic() - began >= 0.05


def test_a_guest_stopping_by_itself_is_reported(tmp_path: Path) -> None:
    driver = SimulatedHypervisor(FileStore(tmp_path))
    heard: list[tuple[GuestKey, PowerState]] = []
    driver.watch(lambda key, power: heard.append((key, power)))
    run(driver, "create", KEY, spec_arguments(_spec()))
    driver.crash(KEY)
    assert heard == [(KEY, PowerState.SHUTOFF)]
