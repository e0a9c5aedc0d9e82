"""QEMU's command line and the accelerator probe (the probe boots a real 512-byte boot sector,
about a second under TCG: needs qemu-system-x86_64)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from occi_server.drivers.qemu import process
from occi_server.drivers.qemu.process import Drive, Machine, Nic

needs_qemu = pytest.mark.skipif(
    shutil.which("qemu-system-x86_64") is None and os.environ.get("OCCI_REQUIRE_QEMU") != "1",
    reason="qemu-system-x86_64 is not installed (scripts/system-deps installs it)",
)


def _machine(tmp_path: Path) -> Machine:
    return Machine(
        name="vm",
        accel="tcg",
        cores=1,
        memory_mib=128,
        folder=tmp_path,
        events=tmp_path / "e.sock",
        commands=tmp_path / "c.sock",
        agent=tmp_path / "a.sock",
        drives=[
            Drive("root", tmp_path / "root.qcow2", "qcow2"),
            Drive("seed", tmp_path / "seed.iso", "raw", read_only=True),
            Drive("vol-1", tmp_path / "vol", "raw", serial="abc"),
        ],
        nics=[Nic("nic-1", "52:54:00:00:00:01")],
    )


@needs_qemu
def test_the_command_line_boots_the_root_disk_and_keeps_the_seed_read_only(
    tmp_path: Path,
) -> None:
    args = process.command_line(_machine(tmp_path))
    joined = " ".join(args)
    assert "-accel tcg" in joined and "-smp 1" in joined and "-m 128" in joined
    assert "virtio-blk-pci,drive=root,id=dev-root,bootindex=0" in args
    seed = f"node-name=seed,read-only=on,file.driver=file,file.filename={tmp_path}/seed.iso"
    assert f"driver=raw,{seed}" in args
    assert "virtio-blk-pci,drive=vol-1,id=dev-vol-1,serial=abc" in args
    assert f"file,id=console,path={tmp_path}/console.log,append=on" in args
    assert joined.count("-qmp unix:") == 2
    # The id a hot-unplug (device_del) names.
    assert "virtio-net-pci,netdev=nic-1,mac=52:54:00:00:00:01,id=dev-nic-1" in args


@needs_qemu
def test_the_probe_runs_guest_code_under_tcg() -> None:
    assert process.probe("tcg", timeout=60) is True


@needs_qemu
def test_the_probe_fails_for_an_accelerator_that_does_not_run() -> None:
    assert process.probe("no-such-accel", timeout=30) is False


def test_configured_accelerators_are_taken_without_a_probe() -> None:
    assert process.choose_accel("tcg") == "tcg"
    assert process.choose_accel("kvm") == "kvm"


def test_a_pid_file_of_another_program_is_no_guest(tmp_path: Path) -> None:
    pid_file = tmp_path / "qemu.pid"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        pid_file.write_text(f"{sleeper.pid}\n")
        assert process.running(pid_file) is None  # alive, but not started with this pid file
    finally:
        sleeper.kill()
        sleeper.wait()
    pid_file.write_text("not a pid")
    assert process.running(pid_file) is None
