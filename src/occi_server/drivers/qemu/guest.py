"""One guest's files and what its QEMU is started with.

guest.json keeps the spec (as the intent carried it), the attached volumes (volume store name
-> requested device and QEMU node) and interfaces (control plane location -> MAC and the
allocated address); a restart of the guest, or of the server, starts it again from there.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path
from typing import Any

from occi_server.drivers.files import FileStore
from occi_server.drivers.hypervisor import GuestKey, GuestSpec, IpConfig, spec_of
from occi_server.drivers.qemu.network import slirp_options
from occi_server.drivers.qemu.process import Drive, Machine, Nic

_GIB_MIB = 1024


class Guest:
    def __init__(self, key: GuestKey, folder: Path, socket_base: Path) -> None:
        self.key = key
        self.folder = folder
        self.digest = folder.name
        self.events = socket_base.with_name(socket_base.name + ".events")
        self.commands = socket_base.with_name(socket_base.name + ".qmp")
        self.agent = socket_base.with_name(socket_base.name + ".agent")

    @property
    def state_file(self) -> Path:
        return self.folder / "guest.json"

    @property
    def seed(self) -> Path:
        return self.folder / "seed.iso"

    @property
    def console(self) -> Path:
        return self.folder / "console.log"

    @property
    def pid_file(self) -> Path:
        return self.folder / "qemu.pid"

    def exists(self) -> bool:
        return self.state_file.is_file()

    def load(self) -> dict[str, Any]:
        state: dict[str, Any] = json.loads(self.state_file.read_text())
        return state

    def save(self, state: dict[str, Any]) -> None:
        partial = self.state_file.with_name("guest.json.partial")
        partial.write_text(json.dumps(state, indent=1, sort_keys=True))
        partial.replace(self.state_file)

    def spec(self, state: dict[str, Any]) -> GuestSpec:
        return spec_of(state)

    @staticmethod
    def key_of(folder: Path) -> GuestKey:
        key = json.loads((folder / "guest.json").read_text())["spec"]["key"]
        return GuestKey(str(key["project"]), str(key["location"]))

    def remove_sockets(self) -> None:
        for socket in (self.events, self.commands, self.agent):
            with contextlib.suppress(FileNotFoundError):
                socket.unlink()

    # -- names QEMU knows things by -----------------------------------------------------------
    @staticmethod
    def volume_node(volume: str) -> str:
        return "vol-" + hashlib.sha256(volume.encode()).hexdigest()[:16]

    @staticmethod
    def nic(interface: str) -> str:
        return "nic-" + hashlib.sha256(interface.encode()).hexdigest()[:16]

    @staticmethod
    def mac(interface: str) -> str:
        """A stable locally administered MAC (QEMU's 52:54:00 prefix) for an interface
        created without one."""
        digest = hashlib.sha256(interface.encode()).digest()
        return "52:54:00:" + ":".join(f"{b:02x}" for b in digest[:3])

    @staticmethod
    def interface(mac: str, ip: IpConfig | None) -> dict[str, Any]:
        """An interface as guest.json keeps it."""
        return {"mac": mac, "ip": ip.arguments() if ip is not None else None}

    @staticmethod
    def interface_mac(kept: Any) -> str:
        # guest.json of an earlier version kept the MAC alone.
        return str(kept["mac"]) if isinstance(kept, dict) else str(kept)

    def nic_of(self, interface: str, kept: Any) -> Nic:
        ip = IpConfig.of(kept) if isinstance(kept, dict) else None
        return Nic(self.nic(interface), self.interface_mac(kept), slirp_options(ip))

    def volume_drive(self, volume: str, node: str, store: FileStore) -> Drive:
        # The guest reads the volume's id from the disk's serial (20 characters at most).
        serial = volume.rpartition("/")[2].replace("-", "")[:20]
        return Drive(node=node, path=store.path(volume), fmt="raw", serial=serial)

    @staticmethod
    def blockdev(drive: Drive) -> dict[str, Any]:
        return {
            "driver": drive.fmt,
            "node-name": drive.node,
            "read-only": drive.read_only,
            "file": {"driver": "file", "filename": str(drive.path)},
        }

    def machine(self, state: dict[str, Any], store: FileStore, accel: str) -> Machine:
        spec = self.spec(state)
        drives = [
            Drive(node="root", path=store.path(spec.disk), fmt="qcow2"),
            Drive(node="seed", path=self.seed, fmt="raw", read_only=True),
        ]
        # In the order of their device names: the guest names disks in the order it finds them.
        volumes = (state.get("volumes") or {}).items()
        for volume, found in sorted(volumes, key=lambda item: (str(item[1]["device"]), item[0])):
            drives.append(self.volume_drive(volume, str(found["node"]), store))
        nics = [self.nic_of(i, kept) for i, kept in (state.get("interfaces") or {}).items()]
        return Machine(
            name=spec.name.replace(",", "_") or self.digest,
            accel=accel,
            cores=max(1, spec.cores),
            memory_mib=max(64, round(spec.memory_gib * _GIB_MIB)),
            folder=self.folder,
            events=self.events,
            commands=self.commands,
            agent=self.agent,
            drives=drives,
            nics=nics,
        )
