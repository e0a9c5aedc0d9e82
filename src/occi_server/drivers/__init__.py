"""What the embedded cloud does, behind two small protocols: a hypervisor (guests,
hypervisor.py) and a volume and image store (bytes, volumes.py). The control plane
(backends/local) keeps the entities, rules and state machines in the database and asks these
to do the work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from occi_server.drivers.hypervisor import Hypervisor
from occi_server.drivers.volumes import VolumeStore


@dataclass(frozen=True, slots=True)
class Drivers:
    hypervisor: Hypervisor
    volumes: VolumeStore
    timeout: float = 300.0  # seconds a hypervisor operation may take
    # Called after a transaction that recorded intents commits (wakes the reconciler).
    wake: Callable[[], None] = field(default=lambda: None, compare=False)
