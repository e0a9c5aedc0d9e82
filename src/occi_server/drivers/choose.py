"""The drivers the configuration names ([cloud] hypervisor and storage)."""

from __future__ import annotations

from pathlib import Path

from occi_server.config import Config
from occi_server.drivers.files import FileStore
from occi_server.drivers.hypervisor import Hypervisor
from occi_server.drivers.simulated import SimulatedHypervisor
from occi_server.drivers.volumes import VolumeStore


def volume_store(config: Config) -> VolumeStore:
    # "files" is the only store so far (the config refuses any other name).
    return FileStore(Path(config.data_dir) / "store")


def hypervisor(config: Config, store: VolumeStore) -> Hypervisor:
    # "simulated" is the only hypervisor so far; "qemu" comes with its own issue.
    return SimulatedHypervisor(store, delay=config.cloud.simulated_delay)
