"""The drivers the configuration names ([cloud] hypervisor and storage)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from occi_server.config import Config
from occi_server.drivers.files import FileStore
from occi_server.drivers.hypervisor import Hypervisor
from occi_server.drivers.simulated import SimulatedHypervisor
from occi_server.drivers.volumes import VolumeStore


def volume_store(config: Config) -> VolumeStore:
    # "files" is the only store so far (the config refuses any other name).
    return FileStore(Path(config.data_dir) / "store")


def hypervisor(
    config: Config, store: VolumeStore, image_files: Mapping[str, str] | None = None
) -> Hypervisor:
    """The configured hypervisor; `image_files`: the catalogue's images that name a disk file
    (image name -> path), which a real hypervisor boots from."""
    if config.cloud.hypervisor == "qemu":
        from occi_server.drivers.qemu import QemuHypervisor
        from occi_server.drivers.qemu.images import finder

        assert isinstance(store, FileStore)  # guests' disks are files QEMU opens
        return QemuHypervisor(
            store,
            Path(config.data_dir) / "qemu",
            finder(store, dict(image_files or {})),
            accel=config.cloud.qemu_accel,
        )
    return SimulatedHypervisor(store, delay=config.cloud.simulated_delay)
