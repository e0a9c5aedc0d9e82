"""The volume and image store protocol: named byte containers (volumes, guests' root disks,
images), created sparse, read and written by range, copied by snapshot, imported from and
exported to files.

Names are paths of safe segments chosen by the control plane (`volume_of`, `disk_of`,
`image_of`); a store refuses any other. Sizes are in bytes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import quote

if TYPE_CHECKING:
    from occi_server.drivers.hypervisor import GuestKey

GIB = 1 << 30
# The project segment of images every project may boot (`occi-server image import`).
GLOBAL_PROJECT = "_global"
NAME = re.compile(r"(volumes|disks|images)/[A-Za-z0-9._%~-]{1,200}/[A-Za-z0-9._%~@-]{1,400}")


class StoreError(Exception):
    """A store operation failed (the message names the volume)."""


class VolumeStore(Protocol):
    name: str

    def create(self, volume: str, size: int) -> None: ...  # sparse; an existing one: resized
    def delete(self, volume: str) -> None: ...  # a missing one: nothing to do
    def exists(self, volume: str) -> bool: ...
    def size(self, volume: str) -> int: ...
    def resize(self, volume: str, size: int) -> None: ...  # grow only
    def read(self, volume: str, offset: int, length: int) -> bytes: ...
    def write(self, volume: str, offset: int, data: bytes) -> None: ...
    def snapshot(self, source: str, target: str) -> None: ...  # a copy, holes kept
    def import_file(self, volume: str, path: Path) -> None: ...
    def export_file(self, volume: str, path: Path) -> None: ...
    # Incoming bytes (uploads) are received in files here, then taken in whole: moved where
    # the store can (same filesystem), copied otherwise; either way the volume appears at once.
    def staging_dir(self) -> Path: ...
    def take_file(self, volume: str, path: Path) -> None: ...


_PLAIN = re.compile(r"[A-Za-z0-9._~/-]+")


def _segment(value: str) -> str:
    """One path segment: `/` and anything unusual percent-encoded (quote() alone is slow)."""
    if _PLAIN.fullmatch(value):
        return value.replace("/", "%2F")
    return quote(value, safe="") or "_"


def volume_of(project: str, entity_id: str) -> str:
    return f"volumes/{_segment(project)}/{_segment(entity_id)}"


def disk_of(key: GuestKey) -> str:
    return f"disks/{_segment(key.project)}/{_segment(key.location)}"


def image_of(project: str, image_id: str) -> str:
    return f"images/{_segment(project)}/{_segment(image_id)}"


def gib(size: float) -> int:
    return round(size * GIB)
