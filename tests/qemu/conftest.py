"""The QEMU tier: real servers with `[cloud] hypervisor = "qemu"` booting real guests.

The guest is built at test time from Debian packages (scripts/busybox-guest: the Debian cloud
kernel and a busybox initramfs on a syslinux-bootable disk image), cached outside the
repository. Guests get one vCPU and at most 256 MiB.

Collected only under OCCI_QEMU_TIER=1 (`make test-qemu`): booting guests is minutes of CPU,
which the quick suite and the landing gate must not spend. Without QEMU or the guest's build
tools the tier skips, and fails under OCCI_REQUIRE_QEMU=1 (CI).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.qemu.support import qemu_processes
from tests.support.server import ServerProcess, cli

REPO = Path(__file__).resolve().parents[2]
TOOLS = ("qemu-system-x86_64", "qemu-img", "syslinux", "mcopy", "mkfs.vfat", "busybox", "dpkg-deb")

if os.environ.get("OCCI_QEMU_TIER") != "1":
    collect_ignore_glob = ["test_*.py"]


def _need_tools() -> None:
    absent = [tool for tool in TOOLS if shutil.which(tool) is None]
    if not absent:
        return
    message = f"the QEMU tier needs {', '.join(absent)} (scripts/system-deps installs them)"
    if os.environ.get("OCCI_REQUIRE_QEMU") == "1":
        pytest.fail(f"OCCI_REQUIRE_QEMU=1 but {message}")
    pytest.skip(message)


@pytest.fixture(scope="session")
def guest_image() -> Path:
    """The busybox guest's disk image (built once, then taken from the cache)."""
    _need_tools()
    return built_guest("busybox-guest", timeout=600)


def built_guest(script: str, timeout: float) -> Path:
    """The disk image scripts/<script> builds into the guest cache (or finds there)."""
    cache = os.environ.get("OCCI_GUEST_CACHE") or str(Path.home() / ".cache/occi-server/guest")
    done = subprocess.run(
        [str(REPO / "scripts" / script), cache],
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.fail(f"scripts/{script} failed: {done.stderr.strip()[-2000:]}")
    return Path(done.stdout.strip().splitlines()[-1])


def config_text(image: Path, accel: str = "tcg") -> str:
    return f"""
[cloud]
hypervisor = "qemu"
qemu_accel = "{accel}"
driver_timeout = 240
default_flavor = "itsy"
default_image = "busybox"

[[cloud.flavors]]
name = "itsy"
vcpus = 1
ram_mb = 128
disk_gb = 1

[[cloud.flavors]]
name = "bitsy"
vcpus = 1
ram_mb = 256
disk_gb = 1

[[cloud.images]]
name = "busybox"
file = "{image}"

[[cloud.images]]
name = "busybox-again"
file = "{image}"
"""


@contextmanager
def serving(data: Path, config: str, env: dict[str, str] | None = None) -> Iterator[ServerProcess]:
    """A server with this config on the QEMU driver; at the end its log is kept beside its
    data (for a failure's post-mortem) and any guest it left is ended."""
    data.mkdir(parents=True, exist_ok=True)
    (data / "occi.toml").write_text(config)
    # 90 s to answer: two guests booting beside it slow a 2-core machine's server start.
    server = ServerProcess(
        data_dir=data, env={"OCCI_CONFIG": str(data / "occi.toml"), **(env or {})},
        ready_timeout=90,
    )  # fmt: skip
    # Migrated first (up to 60 s): on a busy machine migrating and starting took over the 30 s
    # a server is given to answer.
    cli("db", "upgrade", "--database", server.database)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        (data / "server.log").write_text("".join(server.output))
        end_guests(data)


@pytest.fixture(scope="module")
def qemu_server(tmp_path_factory: pytest.TempPathFactory, guest_image: Path
                ) -> Iterator[ServerProcess]:  # fmt: skip
    with serving(tmp_path_factory.mktemp("qemu-data"), config_text(guest_image)) as server:
        yield server


def end_guests(data: Path) -> None:
    """Guests a failed test left running are ended (by the pids in their pid files)."""
    for pid in qemu_processes(data):
        with_pid = Path(f"/proc/{pid}")
        if with_pid.exists():
            os.kill(pid, 9)
