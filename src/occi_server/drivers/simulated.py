"""The simulated hypervisor: guests are records in memory and every operation finishes at once
(today's behaviour, the default for `make run`). With a `delay` each operation takes that long
instead, so the control plane treats it like a real one (answers first, reconciles later).

It keeps what a real driver would: which guests exist, their power state, attached volumes and
interfaces, a console log; a snapshot copies the guest's root disk in the volume store (an
empty sparse one of the flavor's size, made then, when nothing wrote to it before).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Collection
from dataclasses import dataclass, field

from occi_server.drivers.hypervisor import (
    FLOATING_IPS,
    SECURITY_GROUPS,
    DriverError,
    GuestKey,
    GuestSpec,
    IpConfig,
    PowerListener,
    PowerState,
    free_device,
)
from occi_server.drivers.volumes import GIB, StoreError, VolumeStore, disk_of, gib

_LOG_LINES = 200  # a guest's console log keeps its last lines


@dataclass(slots=True)
class _Guest:
    spec: GuestSpec | None  # None: known only by its key (defined by another process)
    power: PowerState = PowerState.SHUTOFF
    volumes: dict[str, str] = field(default_factory=dict)  # volume -> device
    interfaces: dict[str, str] = field(default_factory=dict)  # interface -> MAC
    log: deque[str] = field(default_factory=lambda: deque(maxlen=_LOG_LINES))


class SimulatedHypervisor:
    name = "simulated"
    features = frozenset({FLOATING_IPS, SECURITY_GROUPS})  # simulated, as the rest

    def __init__(self, store: VolumeStore | None = None, delay: float = 0.0) -> None:
        self.store = store  # where snapshots go
        self._delay = delay
        self.instant = delay <= 0
        self._guests: dict[GuestKey, _Guest] = {}
        self._lock = threading.Lock()
        self._listeners: list[PowerListener] = []

    def _wait(self) -> None:
        if self._delay > 0:
            time.sleep(self._delay)

    def _guest(self, key: GuestKey) -> _Guest:
        """Guests live in this process's memory only: one defined by another worker (or before
        a restart) is taken as it is asked for."""
        found = self._guests.get(key)
        if found is None:
            found = self._guests[key] = _Guest(None)
        return found

    def _power(self, key: GuestKey, power: PowerState, line: str) -> None:
        self._wait()
        with self._lock:
            guest = self._guest(key)
            guest.power = power
            guest.log.append(line)

    def define(self, spec: GuestSpec) -> None:
        self._wait()
        with self._lock:
            known = self._guests.get(spec.key)
            if known is None:
                self._guests[spec.key] = guest = _Guest(spec)
                guest.log.append(f"defined {spec.name}")
            else:
                known.spec = spec

    def start(self, key: GuestKey) -> None:
        self._power(key, PowerState.RUNNING, "started")

    def stop(self, key: GuestKey, method: str) -> None:
        self._power(key, PowerState.SHUTOFF, f"stopped ({method})")

    def restart(self, key: GuestKey, method: str) -> None:
        self._power(key, PowerState.RUNNING, f"restarted ({method})")

    def suspend(self, key: GuestKey) -> None:
        self._power(key, PowerState.SUSPENDED, "suspended")

    def resume(self, key: GuestKey) -> None:
        self._power(key, PowerState.RUNNING, "resumed")

    def destroy(self, key: GuestKey) -> None:
        self._wait()
        with self._lock:
            self._guests.pop(key, None)

    def resize(self, key: GuestKey, cores: int, memory_gib: float) -> None:
        self._wait()
        with self._lock:
            guest = self._guest(key)
            guest.log.append(f"resized to {cores} cores, {memory_gib:g} GiB")

    def rebuild(self, key: GuestKey, image: str) -> None:
        self._wait()
        with self._lock:
            guest = self._guest(key)
            guest.log.append(f"rebuilt from {image}")

    def snapshot(self, key: GuestKey, image: str) -> None:
        self._wait()
        with self._lock:
            spec = self._guest(key).spec
        if self.store is None:
            return
        disk = spec.disk if spec is not None else disk_of(key)
        try:
            if not self.store.exists(disk):  # nothing was ever written to it: an empty disk
                self.store.create(disk, gib(spec.disk_gib) if spec is not None else GIB)
            self.store.snapshot(disk, image)
        except StoreError as error:
            raise DriverError(f"snapshot of {key}: {error}") from error

    def attach_volume(self, key: GuestKey, volume: str, device: str) -> None:
        self._wait()
        with self._lock:
            self._guest(key).volumes[volume] = device

    def detach_volume(self, key: GuestKey, volume: str) -> None:
        self._wait()
        with self._lock:
            if key in self._guests:
                self._guests[key].volumes.pop(volume, None)

    def attach_interface(
        self, key: GuestKey, interface: str, mac: str, ip: IpConfig | None = None
    ) -> None:
        self._wait()
        with self._lock:
            self._guest(key).interfaces[interface] = mac

    def detach_interface(self, key: GuestKey, interface: str) -> None:
        self._wait()
        with self._lock:
            if key in self._guests:
                self._guests[key].interfaces.pop(interface, None)

    def set_password(self, key: GuestKey, password: str) -> None:
        self._wait()
        with self._lock:
            self._guest(key).log.append("administrative password set")

    def agent_ready(self, key: GuestKey) -> bool:
        return True

    def device_name(self, requested: str, taken: Collection[str]) -> str | None:
        return requested or free_device(taken)  # no guest to say otherwise

    def console_log(self, key: GuestKey) -> str:
        with self._lock:
            return "\n".join(self._guest(key).log)

    def power_state(self, key: GuestKey) -> PowerState:
        with self._lock:
            guest = self._guests.get(key)
            return PowerState.MISSING if guest is None else guest.power

    def watch(self, listener: PowerListener) -> None:
        """A simulated guest never changes by itself; `crash` (tests) tells the listeners."""
        self._listeners.append(listener)

    def crash(self, key: GuestKey) -> None:
        """The guest stops by itself (tests): the listeners hear of it."""
        with self._lock:
            self._guest(key).power = PowerState.SHUTOFF
        for listener in self._listeners:
            listener(key, PowerState.SHUTOFF)

    def volumes_of(self, key: GuestKey) -> dict[str, str]:
        with self._lock:
            return dict(self._guest(key).volumes)

    def interfaces_of(self, key: GuestKey) -> dict[str, str]:
        with self._lock:
            return dict(self._guest(key).interfaces)
