"""The hypervisor driver protocol: guests defined, started, stopped... by their key.

A guest is named by its `GuestKey` (project and compute location). Every operation is idempotent
(starting a running guest, destroying a missing one, succeed): the reconciler may run an
operation again after a crash. A driver raises `DriverError` with a message for the client.

`instant` drivers finish every operation at once (the simulated one): the control plane then
applies them inside the request. Others are run by the reconciler after the request has been
answered (backends/local/reconciler.py), each bounded by the configured driver timeout.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


class DriverError(Exception):
    """An operation failed; the message is shown to the client (state.message)."""


class PowerState(enum.Enum):
    RUNNING = "running"
    SHUTOFF = "shutoff"
    SUSPENDED = "suspended"
    PAUSED = "paused"
    MISSING = "missing"


@dataclass(frozen=True, slots=True)
class GuestKey:
    """A guest is its compute: the project and the compute's location (never reused while
    the compute exists)."""

    project: str
    location: str

    def __str__(self) -> str:
        return f"{self.project}:{self.location}"


@dataclass(frozen=True, slots=True, kw_only=True)
class GuestSpec:
    """What a guest is made of."""

    key: GuestKey
    name: str
    cores: int
    memory_gib: float
    image: str  # the OS template's id
    disk: str  # the volume store name of its root disk
    disk_gib: float = 1.0
    user_data: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class IpConfig:
    """An interface's address as the control plane allocated it, for the guest to be given:
    its address, its network's CIDR and the gateway (empty: none known)."""

    address: str
    network: str = ""
    gateway: str = ""

    @staticmethod
    def of(arguments: Mapping[str, Any]) -> IpConfig | None:
        """From an intent's `ip` argument (absent in intents written before it existed)."""
        given = arguments.get("ip")
        if not isinstance(given, Mapping) or not given.get("address"):
            return None
        return IpConfig(
            str(given["address"]), str(given.get("network") or ""), str(given.get("gateway") or "")
        )

    def arguments(self) -> dict[str, str]:
        return {"address": self.address, "network": self.network, "gateway": self.gateway}


# What a hypervisor may offer beyond guests (`Hypervisor.features`): only what it can do on
# its host is advertised (floating IPs need a routable pool, security groups a firewall).
FLOATING_IPS = "floating_ips"
SECURITY_GROUPS = "security_groups"

# Told when a guest's power state changes by itself (a guest shut down from inside).
PowerListener = Callable[[GuestKey, PowerState], None]


class Hypervisor(Protocol):
    name: str
    instant: bool
    features: frozenset[str]

    def define(self, spec: GuestSpec) -> None: ...
    def start(self, key: GuestKey) -> None: ...
    def stop(self, key: GuestKey, method: str) -> None: ...  # graceful | acpioff | poweroff
    def restart(self, key: GuestKey, method: str) -> None: ...  # graceful | warm | cold
    def suspend(self, key: GuestKey) -> None: ...
    def resume(self, key: GuestKey) -> None: ...
    def destroy(self, key: GuestKey) -> None: ...
    def resize(self, key: GuestKey, cores: int, memory_gib: float) -> None: ...
    def rebuild(self, key: GuestKey, image: str) -> None: ...
    def snapshot(self, key: GuestKey, image: str) -> None: ...  # the root disk -> image
    def attach_volume(self, key: GuestKey, volume: str, device: str) -> None: ...
    def detach_volume(self, key: GuestKey, volume: str) -> None: ...
    def attach_interface(
        self, key: GuestKey, interface: str, mac: str, ip: IpConfig | None = None
    ) -> None: ...
    def detach_interface(self, key: GuestKey, interface: str) -> None: ...
    def set_password(self, key: GuestKey, password: str) -> None: ...
    def agent_ready(self, key: GuestKey) -> bool: ...  # set_password can work now
    # The name the guest gives the next volume attached (None: none left); `requested` when
    # the bus can honour it. `taken`: the names of the guest's other volumes.
    def device_name(self, requested: str, taken: Collection[str]) -> str | None: ...
    def console_log(self, key: GuestKey) -> str: ...
    def power_state(self, key: GuestKey) -> PowerState: ...
    def watch(self, listener: PowerListener) -> None: ...


def free_device(taken: Collection[str], first: str = "b") -> str | None:
    """The first /dev/vdX, from /dev/vd<first> on, that `taken` does not name (with or without
    /dev/)."""
    names = {name.rpartition("/")[2] for name in taken}
    for letter in "abcdefghijklmnopqrstuvwxyz"[ord(first) - ord("a") :]:
        if f"vd{letter}" not in names:
            return f"/dev/vd{letter}"
    return None


def _spec(arguments: Mapping[str, Any]) -> GuestSpec:
    given = arguments["spec"]
    if isinstance(given, GuestSpec):  # run at once, not read back from an intent
        return given
    values = dict(given)
    values["key"] = GuestKey(**values["key"])
    return GuestSpec(**values)


def spec_of(arguments: Mapping[str, Any]) -> GuestSpec:
    """A spec back from its JSON values (`spec_arguments`), as drivers keep it."""
    return _spec(arguments)


def spec_arguments(spec: GuestSpec) -> dict[str, Any]:
    """A spec as JSON values (an intent's arguments)."""
    return {
        "spec": {
            "key": {"project": spec.key.project, "location": spec.key.location},
            "name": spec.name,
            "cores": spec.cores,
            "memory_gib": spec.memory_gib,
            "image": spec.image,
            "disk": spec.disk,
            "disk_gib": spec.disk_gib,
            "user_data": spec.user_data,
            "extra": dict(spec.extra),
        }
    }


Operation = Callable[[Hypervisor, GuestKey, Mapping[str, Any]], None]


def _create(h: Hypervisor, key: GuestKey, a: Mapping[str, Any]) -> None:
    h.define(_spec(a))
    h.start(key)


# The operations an intent may name, with their JSON arguments (never a getattr on a name
# read from the database).
OPERATIONS: dict[str, Operation] = {
    "create": _create,
    "define": lambda h, k, a: h.define(_spec(a)),
    "start": lambda h, k, a: h.start(k),
    "stop": lambda h, k, a: h.stop(k, str(a.get("method") or "poweroff")),
    "restart": lambda h, k, a: h.restart(k, str(a.get("method") or "cold")),
    "suspend": lambda h, k, a: h.suspend(k),
    "resume": lambda h, k, a: h.resume(k),
    "destroy": lambda h, k, a: h.destroy(k),
    "resize": lambda h, k, a: h.resize(k, int(a["cores"]), float(a["memory_gib"])),
    "rebuild": lambda h, k, a: h.rebuild(k, str(a["image"])),
    "snapshot": lambda h, k, a: h.snapshot(k, str(a["image"])),
    "attach_volume": lambda h, k, a: h.attach_volume(k, str(a["volume"]), str(a["device"])),
    "detach_volume": lambda h, k, a: h.detach_volume(k, str(a["volume"])),
    "attach_interface": lambda h, k, a: h.attach_interface(
        k, str(a["interface"]), str(a["mac"]), IpConfig.of(a)
    ),
    "detach_interface": lambda h, k, a: h.detach_interface(k, str(a["interface"])),
    "set_password": lambda h, k, a: h.set_password(k, str(a["password"])),
}


def run(
    hypervisor: Hypervisor, operation: str, key: GuestKey, arguments: Mapping[str, Any]
) -> None:
    found = OPERATIONS.get(operation)
    if found is None:
        raise DriverError(f"unknown hypervisor operation {operation}")
    found(hypervisor, key, arguments)
