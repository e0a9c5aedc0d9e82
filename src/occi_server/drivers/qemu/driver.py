"""The QEMU hypervisor: every compute a real QEMU guest on this host, driven over QMP.

A guest's directory (`<data_dir>/qemu/<digest of its key>/`) holds what it is made of
(guest.json: the spec, attached volumes and interfaces), its NoCloud seed, its console log and
its pid file; its root disk is a qcow2 overlay, in the volume store, on its image's file.
Power states come from QEMU itself: the QMP lifecycle events of the guest and the end of its
process, reported through `watch` (a guest that powers itself off is seen as such).

Not instant: the reconciler runs each operation after the request was answered.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import shutil
import tempfile
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from occi_server.drivers import disk_images
from occi_server.drivers.files import FileStore
from occi_server.drivers.hypervisor import (
    DriverError,
    GuestKey,
    GuestSpec,
    IpConfig,
    PowerListener,
    PowerState,
    free_device,
    spec_arguments,
)
from occi_server.drivers.qemu import agent, process, seed, watch
from occi_server.drivers.qemu.guest import Guest
from occi_server.drivers.qemu.monitor import Monitors
from occi_server.drivers.qemu.watch import Expected
from occi_server.drivers.volumes import StoreError, gib

log = logging.getLogger("occi_server.qemu")

# An image's file and its format, found by the OS template's name or term (None: unknown).
ImageFinder = Callable[[str, str], "ImageFile | None"]
SHUTDOWN_TIMEOUT = 60.0  # seconds a guest has to power off on ACPI before it is ended
_CONSOLE_TAIL = 64 * 1024  # bytes of the console log an API read returns


@dataclass(frozen=True, slots=True)
class ImageFile:
    path: Path
    fmt: str


class QemuHypervisor:
    name = "qemu"
    instant = False
    # User-mode networking: no routable pool for floating IPs, no firewall of ours.
    features: frozenset[str] = frozenset()

    def __init__(
        self, store: FileStore, root: str | Path, images: ImageFinder, accel: str = "auto"
    ) -> None:
        self.store = store
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self._images = images
        self._wanted_accel = accel
        self._accel: str | None = None
        self._lock = threading.RLock()
        self._monitors = Monitors()
        # Sockets live in a short directory of their own (a UNIX socket path has 108 bytes).
        self._sockets = Path(tempfile.gettempdir()) / "occi-qemu"
        self._sockets.mkdir(mode=0o700, exist_ok=True)
        self._news = watch.News(self.root, self._guest, self._monitors)

    # -- where things are ---------------------------------------------------------------------
    def _guest(self, key: GuestKey) -> Guest:
        digest = hashlib.sha256(f"{self.root}\0{key}".encode()).hexdigest()[:24]
        return Guest(key, self.root / digest, self._sockets / digest)

    def accel(self) -> str:
        if self._accel is None:
            self._accel = process.choose_accel(self._wanted_accel)
        return self._accel

    # -- the protocol -------------------------------------------------------------------------
    def define(self, spec: GuestSpec) -> None:
        guest = self._guest(spec.key)
        with self._lock:
            state = guest.load() if guest.exists() else {}
            state["spec"] = spec_arguments(spec)["spec"]
            guest.folder.mkdir(parents=True, exist_ok=True)
            guest.save(state)
            disk = self.store.path(spec.disk)
            if not disk.exists():
                self._new_root_disk(spec, disk)
            self._write_seed(guest, state)
            Expected.setdefault(guest.folder, PowerState.SHUTOFF)

    def _new_root_disk(self, spec: GuestSpec, disk: Path) -> None:
        image = self._images(spec.key.project, spec.image)
        if image is None:
            raise DriverError(f"the OS template {spec.image} has no image file on this host")
        try:
            info = disk_images.inspect(image.path, image.fmt)
            size = max(info.virtual_size, gib(spec.disk_gib))
            disk.parent.mkdir(parents=True, exist_ok=True)
            disk_images.create(disk, "qcow2", size, backing=image.path, backing_format=image.fmt)
        except disk_images.DiskImageError as error:
            raise DriverError(f"root disk of {spec.key}: {error}") from error

    def _write_seed(self, guest: Guest, state: dict[str, Any]) -> None:
        spec = state["spec"]
        extra = spec.get("extra") or {}
        keys = [str(extra["ssh_key"])] if extra.get("ssh_key") else []
        macs = [Guest.interface_mac(kept) for kept in (state.get("interfaces") or {}).values()]
        seed.write(
            seed.Seed(
                instance_id=str(extra.get("instance_id") or spec["key"]["location"]),
                hostname=seed.hostname(str(extra.get("hostname") or spec["name"])),
                user_data=spec.get("user_data"),
                ssh_keys=keys,
                macs=macs,
            ),
            guest.seed,
        )

    def start(self, key: GuestKey) -> None:
        guest = self._guest(key)
        with self._lock:
            if not guest.exists():
                raise DriverError(f"no guest {key} on this host")
            if process.running(guest.pid_file) is None:
                state = guest.load()
                process.launch(guest.machine(state, self.store, self.accel()))
            Expected.set(guest.folder, PowerState.RUNNING)
            self._news.watch(guest)

    def stop(self, key: GuestKey, method: str) -> None:
        guest = self._guest(key)
        with self._lock:
            Expected.set(guest.folder, PowerState.SHUTOFF)
            if process.running(guest.pid_file) is None:
                return
            if method in ("graceful", "acpioff"):
                self._monitors.command(guest.commands, "system_powerdown")
                if process.wait_gone(guest.pid_file, SHUTDOWN_TIMEOUT):
                    return
                log.warning("qemu: %s did not power off in %g s; ending it", key,
                            SHUTDOWN_TIMEOUT)  # fmt: skip
            self._end(guest)

    def _end(self, guest: Guest) -> None:
        with contextlib.suppress(DriverError):  # it may be hung: the signals below end it
            self._monitors.command(guest.commands, "quit", timeout=5)
        if not process.wait_gone(guest.pid_file, 5):
            process.kill(guest.pid_file)

    def restart(self, key: GuestKey, method: str) -> None:
        guest = self._guest(key)
        with self._lock:
            if process.running(guest.pid_file) is None:
                self.start(key)
            elif method == "graceful":
                self.stop(key, "graceful")
                self.start(key)
            else:  # warm and cold: a reset of the machine, as a reset button does
                self._monitors.command(guest.commands, "system_reset")
                Expected.set(guest.folder, PowerState.RUNNING)

    def suspend(self, key: GuestKey) -> None:
        guest = self._guest(key)
        with self._lock:
            if process.running(guest.pid_file) is None:
                raise DriverError(f"{key} is not running")
            Expected.set(guest.folder, PowerState.SUSPENDED)  # before STOP arrives
            self._monitors.command(guest.commands, "stop")

    def resume(self, key: GuestKey) -> None:
        guest = self._guest(key)
        with self._lock:
            if process.running(guest.pid_file) is None:
                self.start(key)
                return
            Expected.set(guest.folder, PowerState.RUNNING)
            self._monitors.command(guest.commands, "cont")

    def destroy(self, key: GuestKey) -> None:
        guest = self._guest(key)
        with self._lock:
            self._news.forget(guest)  # before the process ends: nothing to report
            if process.running(guest.pid_file) is not None:
                self._end(guest)
            disk = None
            if guest.exists():
                disk = guest.load()["spec"]["disk"]
            shutil.rmtree(guest.folder, ignore_errors=True)
            guest.remove_sockets()
            if disk:
                self.store.delete(disk)

    def resize(self, key: GuestKey, cores: int, memory_gib: float) -> None:
        """As Nova does: the guest powered off, then booted again with its new size."""
        guest = self._guest(key)
        with self._lock:
            was_running = process.running(guest.pid_file) is not None
            if was_running:
                self.stop(key, "graceful")
            state = guest.load()
            state["spec"]["cores"] = cores
            state["spec"]["memory_gib"] = memory_gib
            guest.save(state)
            if was_running:
                self.start(key)

    def rebuild(self, key: GuestKey, image: str) -> None:
        """A new root disk from the new image (volumes stay attached), a new seed."""
        guest = self._guest(key)
        with self._lock:
            was_running = process.running(guest.pid_file) is not None
            if was_running:
                self.stop(key, "poweroff")
            state = guest.load()
            state["spec"]["image"] = image
            guest.save(state)
            spec = guest.spec(state)
            disk = self.store.path(spec.disk)
            disk.unlink(missing_ok=True)
            self._new_root_disk(spec, disk)
            self._write_seed(guest, state)
            if was_running:
                self.start(key)

    def snapshot(self, key: GuestKey, image: str) -> None:
        """The root disk, flattened into a qcow2 file of its own that becomes an image (the
        guest paused meanwhile, so the copy is of one moment)."""
        guest = self._guest(key)
        with self._lock:
            spec = guest.spec(guest.load())
            target = self.store.path(image)
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".partial")
            running = process.running(guest.pid_file) is not None
            paused = running and self._pause(guest)
            try:
                disk_images.convert(
                    self.store.path(spec.disk), partial, source_format="qcow2",
                    target_format="qcow2", force_share=running,
                )  # fmt: skip
                partial.replace(target)
            except (disk_images.DiskImageError, StoreError, OSError) as error:
                partial.unlink(missing_ok=True)
                raise DriverError(f"snapshot of {key}: {error}") from error
            finally:
                if paused:
                    self._monitors.command(guest.commands, "cont")

    def _pause(self, guest: Guest) -> bool:
        status = self._monitors.command(guest.commands, "query-status")
        if isinstance(status, dict) and status.get("running"):
            self._monitors.command(guest.commands, "stop")
            return True
        return False

    def attach_volume(self, key: GuestKey, volume: str, device: str) -> None:
        guest = self._guest(key)
        with self._lock:
            state = guest.load()
            volumes = state.setdefault("volumes", {})
            node = guest.volume_node(volume)
            if volume in volumes:
                return
            volumes[volume] = {"device": device, "node": node}
            guest.save(state)
            if process.running(guest.pid_file) is not None:
                drive = guest.volume_drive(volume, node, self.store)
                self._monitors.command(guest.commands, "blockdev-add", guest.blockdev(drive))
                self._monitors.command(
                    guest.commands, "device_add",
                    {"driver": "virtio-blk-pci", "drive": node, "id": f"dev-{node}",
                     "serial": drive.serial},
                )  # fmt: skip

    def detach_volume(self, key: GuestKey, volume: str) -> None:
        guest = self._guest(key)
        with self._lock:
            if not guest.exists():
                return
            state = guest.load()
            found = (state.get("volumes") or {}).get(volume)
            if found is None:
                return
            if process.running(guest.pid_file) is not None:
                node = str(found["node"])
                self._monitors.command_until(
                    guest.commands, "device_del", {"id": f"dev-{node}"}, "DEVICE_DELETED",
                    lambda data: data.get("device") == f"dev-{node}",
                )  # fmt: skip
                self._monitors.command(guest.commands, "blockdev-del", {"node-name": node})
            del state["volumes"][volume]
            guest.save(state)

    def attach_interface(
        self, key: GuestKey, interface: str, mac: str, ip: IpConfig | None = None
    ) -> None:
        guest = self._guest(key)
        with self._lock:
            state = guest.load()
            interfaces = state.setdefault("interfaces", {})
            if interface in interfaces:
                return
            kept = guest.interface(mac or guest.mac(interface), ip)
            interfaces[interface] = kept
            guest.save(state)
            self._write_seed(guest, state)  # read at the next boot
            if process.running(guest.pid_file) is not None:
                nic = guest.nic_of(interface, kept)
                self._monitors.command(
                    guest.commands, "netdev_add", {"type": "user", "id": nic.id, **nic.options}
                )
                self._monitors.command(
                    guest.commands, "device_add",
                    {"driver": "virtio-net-pci", "netdev": nic.id, "mac": nic.mac,
                     "id": f"dev-{nic.id}"},
                )  # fmt: skip

    def detach_interface(self, key: GuestKey, interface: str) -> None:
        guest = self._guest(key)
        with self._lock:
            if not guest.exists():
                return
            state = guest.load()
            if interface not in (state.get("interfaces") or {}):
                return
            if process.running(guest.pid_file) is not None:
                nic = guest.nic(interface)
                self._monitors.command_until(
                    guest.commands, "device_del", {"id": f"dev-{nic}"}, "DEVICE_DELETED",
                    lambda data: data.get("device") == f"dev-{nic}",
                )  # fmt: skip
                self._monitors.command(guest.commands, "netdev_del", {"id": nic})
            del state["interfaces"][interface]
            guest.save(state)
            self._write_seed(guest, state)

    def set_password(self, key: GuestKey, password: str) -> None:
        guest = self._guest(key)
        if process.running(guest.pid_file) is None:
            raise DriverError(f"{key} is not running: its guest agent cannot set a password")
        agent.set_password(guest.agent, "root", password)

    def agent_ready(self, key: GuestKey) -> bool:
        guest = self._guest(key)
        # Asked within a request: a short wait (an agent answers a ping at once).
        return process.running(guest.pid_file) is not None and agent.ping(guest.agent, 1.0)

    def device_name(self, requested: str, taken: Collection[str]) -> str | None:
        """virtio-blk gives no choice: the guest names each disk with the first free vdX (vda
        the root disk, vdb the seed), whatever was requested; that name is the one shown.
        At boot the volumes are attached in the order of these names."""
        del requested
        return free_device(taken, first="c")

    def console_log(self, key: GuestKey) -> str:
        guest = self._guest(key)
        try:
            with open(guest.console, "rb") as handle:
                size = handle.seek(0, 2)
                handle.seek(max(0, size - _CONSOLE_TAIL))
                # A serial line ends in CR LF; the API's text/plain ends lines in LF.
                return handle.read().decode("utf-8", "replace").replace("\r\n", "\n")
        except FileNotFoundError:
            return ""

    def power_state(self, key: GuestKey) -> PowerState:
        guest = self._guest(key)
        if not guest.exists():
            return PowerState.MISSING
        if process.running(guest.pid_file) is None:
            return PowerState.SHUTOFF
        status = self._monitors.command(guest.commands, "query-status")
        if isinstance(status, dict) and not status.get("running"):
            paused = Expected.get(guest.folder) == PowerState.SUSPENDED
            return PowerState.SUSPENDED if paused else PowerState.PAUSED
        return PowerState.RUNNING

    def watch(self, listener: PowerListener) -> None:
        """Listen to every guest (watch.News). Called as the reconciler starts: the
        accelerator is probed then, not in a request."""
        self.accel()
        self._news.listen(listener)

    def close(self) -> None:
        self._news.close()
        self._monitors.close()

