"""Helpers of the hypervisor protocol that every driver shares."""

from __future__ import annotations

from occi_server.drivers.hypervisor import free_device
from occi_server.drivers.simulated import SimulatedHypervisor


def test_the_first_free_device_skips_the_names_taken_with_or_without_dev() -> None:
    assert free_device([]) == "/dev/vdb"
    assert free_device(["/dev/vdb", "vdc"]) == "/dev/vdd"
    assert free_device(["/dev/vdd"], first="c") == "/dev/vdc"  # a gap is filled first
    assert free_device([f"/dev/vd{c}" for c in "cdefghijklmnopqrstuvwxyz"], first="c") is None


def test_the_simulated_hypervisor_honours_any_requested_name() -> None:
    driver = SimulatedHypervisor()
    assert driver.device_name("/dev/vdq", ["/dev/vdb"]) == "/dev/vdq"
    assert driver.device_name("", ["/dev/vdb"]) == "/dev/vdc"
