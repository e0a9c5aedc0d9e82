"""QEMU processes: the accelerator probe, a guest's command line, starting and ending one.

A guest's QEMU daemonizes (it outlives a server restart, as guests under libvirtd do) and
writes its pid file; its serial console goes to a file of the guest's directory, appended to
across boots. When the guest powers itself off QEMU exits: a shut-off guest is no process.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from occi_server.drivers.hypervisor import DriverError
from occi_server.drivers.qemu.network import netdev_argument

log = logging.getLogger("occi_server.qemu")

PROBE_TIMEOUT = 8.0  # seconds a KVM probe boot may take (a working one takes well under 1)
# A boot sector that writes "K" to the first serial port, then exits QEMU through its
# isa-debug-exit device (exit status 1): proof that guest code ran under the accelerator.
_PROBE_SECTOR = (
    bytes.fromhex("baf803b04bee" "ba0105b000ee" "f4ebfd").ljust(510, b"\0") + b"\x55\xaa"
)


def binary() -> str:
    found = shutil.which("qemu-system-x86_64")
    if found is None:
        raise DriverError("qemu-system-x86_64 is not installed (Debian package qemu-system-x86)")
    return found


def choose_accel(wanted: str) -> str:
    """"kvm" or "tcg": as configured, or for "auto" KVM when a probe boot under it finishes."""
    if wanted in ("kvm", "tcg"):
        log.info("qemu: accelerator %s (configured)", wanted)
        return wanted
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        log.info("qemu: accelerator tcg (no usable /dev/kvm)")
        return "tcg"
    if probe("kvm"):
        log.info("qemu: accelerator kvm (a probe boot under KVM finished)")
        return "kvm"
    log.info("qemu: accelerator tcg (a probe boot under KVM did not finish in %g s)",
             PROBE_TIMEOUT)  # fmt: skip
    return "tcg"


def probe(accel: str, timeout: float = PROBE_TIMEOUT) -> bool:
    """Boot the probe sector under `accel`; whether it ran (wrote its byte and exited)."""
    with tempfile.TemporaryDirectory(prefix="occi-qemu-probe-") as folder:
        disk = Path(folder) / "probe.img"
        disk.write_bytes(_PROBE_SECTOR)
        command = [
            binary(), "-accel", accel, "-nodefaults", "-display", "none", "-m", "16",
            "-serial", "stdio", "-device", "isa-debug-exit,iobase=0x501,iosize=1",
            "-drive", f"file={disk},format=raw,if=ide",
        ]  # fmt: skip
        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return False
        return done.returncode == 1 and b"K" in done.stdout


@dataclass(frozen=True, slots=True)
class Drive:
    node: str  # QEMU's id for it
    path: Path
    fmt: str
    read_only: bool = False
    serial: str = ""


@dataclass(frozen=True, slots=True)
class Nic:
    id: str  # QEMU's id for its netdev (its device is dev-<id>)
    mac: str
    options: Mapping[str, str] = field(default_factory=dict)  # slirp's (network.slirp_options)


@dataclass(frozen=True, slots=True)
class Machine:
    name: str
    accel: str
    cores: int
    memory_mib: int
    folder: Path  # the guest's directory: console log, pid file
    events: Path  # QMP socket kept open for lifecycle events
    commands: Path  # QMP socket for one command at a time
    agent: Path  # the guest agent's channel (a virtio-serial port)
    drives: Sequence[Drive]  # the root disk first (booted from), then the seed, then volumes
    nics: Sequence[Nic] = ()  # user-mode networking

    @property
    def pid_file(self) -> Path:
        return self.folder / "qemu.pid"

    @property
    def console(self) -> Path:
        return self.folder / "console.log"


def command_line(machine: Machine) -> list[str]:
    args = [
        binary(), "-name", f"guest={machine.name}", "-accel", machine.accel,
        "-machine", "pc", "-smp", str(machine.cores), "-m", str(machine.memory_mib),
        "-nodefaults", "-display", "none", "-daemonize", "-pidfile", str(machine.pid_file),
        "-chardev", f"file,id=console,path={machine.console},append=on",
        "-serial", "chardev:console",
        "-qmp", f"unix:{machine.events},server=on,wait=off",
        "-qmp", f"unix:{machine.commands},server=on,wait=off",
        "-chardev", f"socket,id=agent,path={machine.agent},server=on,wait=off",
        "-device", "virtio-serial-pci,id=serial0",
        "-device", "virtserialport,chardev=agent,name=org.qemu.guest_agent.0",
    ]  # fmt: skip
    for index, drive in enumerate(machine.drives):
        args += ["-blockdev", _blockdev(drive)]
        device = f"virtio-blk-pci,drive={drive.node},id=dev-{drive.node}"
        if drive.serial:
            device += f",serial={drive.serial}"
        if index == 0:
            device += ",bootindex=0"
        args += ["-device", device]
    for nic in machine.nics:
        args += ["-netdev", netdev_argument(nic.id, dict(nic.options))]
        args += ["-device", f"virtio-net-pci,netdev={nic.id},mac={nic.mac},id=dev-{nic.id}"]
    return args


def _blockdev(drive: Drive) -> str:
    read_only = "on" if drive.read_only else "off"
    return (
        f"driver={drive.fmt},node-name={drive.node},read-only={read_only},"
        f"file.driver=file,file.filename={drive.path}"
    )


def launch(machine: Machine) -> int:
    """Start the guest's QEMU; its pid once it daemonized (its sockets then listen)."""
    for socket in (machine.events, machine.commands, machine.agent):
        with contextlib.suppress(FileNotFoundError):
            socket.unlink()
    try:
        done = subprocess.run(
            command_line(machine), capture_output=True, text=True, timeout=60, check=False
        )
    except subprocess.TimeoutExpired:
        raise DriverError("QEMU did not start within 60 s") from None
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise DriverError(f"QEMU did not start: {lines[-1] if lines else done.returncode}")
    pid = running(machine.pid_file)
    if pid is None:
        raise DriverError("QEMU started but wrote no pid file")
    return pid


def running(pid_file: Path) -> int | None:
    """The pid of the guest's QEMU while it runs (None: no process)."""
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    # A pid reused by another program is not our guest.
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return pid
    return pid if str(pid_file).encode() in command else None


def wait_gone(pid_file: Path, timeout: float) -> bool:
    """Whether the guest's QEMU exited within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if running(pid_file) is None:
            return True
        time.sleep(0.1)
    return running(pid_file) is None


def kill(pid_file: Path, timeout: float = 10.0) -> None:
    """End the guest's QEMU: SIGTERM, then SIGKILL when it lingers."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pid = running(pid_file)
        if pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        if wait_gone(pid_file, timeout):
            return
    raise DriverError("QEMU did not end after SIGKILL")
