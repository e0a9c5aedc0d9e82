"""Waiting on real guests through the API: a compute's state settling, its console log."""

from __future__ import annotations

import time
from pathlib import Path

from tests.support.occi_client import OcciClient, parse

TASK = "org.openstack.compute.task_state"
STATUS = "org.openstack.compute.state"
BOOT_TIMEOUT = 120.0  # a busybox guest under TCG boots in 5-15 s on a busy 2-core machine


def settled(client: OcciClient, vm: str, timeout: float = BOOT_TIMEOUT) -> dict[str, str]:
    """The compute's attributes once no operation is under way."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(vm)
        assert response.status_code == 200, response.text
        # Values as rendered in text/plain: strings quoted, numbers bare.
        attributes = {k: v.strip('"') for k, v in parse(response).attributes.items()}
        if not attributes.get(TASK):
            return attributes
        assert time.monotonic() < deadline, f"{vm} still busy: {attributes}"
        time.sleep(0.3)


def console(client: OcciClient, vm: str) -> str:
    response = client.get(vm, params={"console": ""})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def wait_console(
    client: OcciClient, vm: str, text: str, count: int = 1, timeout: float = BOOT_TIMEOUT
) -> str:
    """The console log once `text` appears in it `count` times."""
    deadline = time.monotonic() + timeout
    while True:
        log = console(client, vm)
        if log.count(text) >= count:
            return log
        assert time.monotonic() < deadline, f"no {text!r} (x{count}) in {vm}'s console:\n{log}"
        time.sleep(0.3)


def wait_status(client: OcciClient, vm: str, status: str, timeout: float = BOOT_TIMEOUT
                ) -> dict[str, str]:  # fmt: skip
    deadline = time.monotonic() + timeout
    while True:
        attributes = settled(client, vm, timeout)
        if attributes.get(STATUS) == status:
            return attributes
        assert time.monotonic() < deadline, f"{vm} not {status}: {attributes}"
        time.sleep(0.3)


def qemu_processes(data: Path) -> list[int]:
    """Pids of the QEMU processes of the guests under a server's data directory."""
    found = []
    for pid_file in (data / "qemu").glob("*/qemu.pid"):
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            continue
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if str(pid_file).encode() in command:
            found.append(pid)
    return found


def all_qemu_for(data: Path) -> list[int]:
    """Every running QEMU whose command line names this data directory (pid files or not)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            command = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if b"qemu-system" in command and str(data).encode() in command:
            found.append(int(proc.name))
    return found
