"""The file store: every volume, root disk and image is a sparse file under the data directory
(`<data_dir>/store/<volumes|disks|images>/<project>/<name>`), so later CDMI and OVF have real
bytes to serve. Creating one is a truncate (no blocks used until written); a snapshot copies
only the data extents (SEEK_DATA/SEEK_HOLE), keeping holes."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from occi_server.drivers.volumes import NAME, StoreError

_CHUNK = 1 << 20


class FileStore:
    name = "files"

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self._base = str(self.root) + os.sep
        self._made: set[str] = set()  # directories known to exist

    def path(self, volume: str) -> Path:
        return Path(self._name(volume))

    def _name(self, volume: str) -> str:
        if not NAME.fullmatch(volume) or ".." in volume.split("/"):
            raise StoreError(f"{volume!r} is not a volume name of this store")
        return self._base + volume

    def _existing(self, volume: str) -> Path:
        path = self.path(volume)
        if not path.is_file():
            raise StoreError(f"no volume {volume}")
        return path

    def create(self, volume: str, size: int) -> None:
        if size < 0:
            raise StoreError(f"volume {volume}: size {size} is negative")
        path = self._name(volume)
        folder = os.path.dirname(path)
        if folder not in self._made:
            os.makedirs(folder, exist_ok=True)
            self._made.add(folder)
        with open(path, "ab") as handle:
            handle.truncate(max(size, os.fstat(handle.fileno()).st_size))

    def delete(self, volume: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._name(volume))

    def exists(self, volume: str) -> bool:
        return os.path.isfile(self._name(volume))

    def size(self, volume: str) -> int:
        return self._existing(volume).stat().st_size

    def resize(self, volume: str, size: int) -> None:
        path = self._existing(volume)
        current = path.stat().st_size
        if size < current:
            raise StoreError(f"volume {volume} cannot shrink from {current} to {size} bytes")
        os.truncate(path, size)

    def read(self, volume: str, offset: int, length: int) -> bytes:
        path = self._existing(volume)
        if offset < 0 or length < 0:
            raise StoreError(f"volume {volume}: offset and length must not be negative")
        with open(path, "rb") as handle:
            handle.seek(offset)
            return handle.read(length)

    def write(self, volume: str, offset: int, data: bytes) -> None:
        path = self._existing(volume)
        if offset < 0 or offset + len(data) > path.stat().st_size:
            raise StoreError(f"volume {volume}: a write past its end ({offset}+{len(data)})")
        with open(path, "r+b") as handle:
            handle.seek(offset)
            handle.write(data)

    def snapshot(self, source: str, target: str) -> None:
        origin = self._existing(source)
        destination = self.path(target)
        destination.parent.mkdir(parents=True, exist_ok=True)
        partial = destination.with_name(destination.name + ".partial")
        _sparse_copy(origin, partial)
        partial.replace(destination)  # a reader never sees half a snapshot

    def import_file(self, volume: str, path: Path) -> None:
        destination = self.path(volume)
        destination.parent.mkdir(parents=True, exist_ok=True)
        partial = destination.with_name(destination.name + ".partial")
        _sparse_copy(Path(path), partial)
        partial.replace(destination)

    def export_file(self, volume: str, path: Path) -> None:
        _sparse_copy(self._existing(volume), Path(path))

    def staging_dir(self) -> Path:
        # Inside the root but never a volume name (NAME starts with volumes|disks|images).
        folder = self.root / "uploads"
        folder.mkdir(exist_ok=True)
        return folder

    def take_file(self, volume: str, path: Path) -> None:
        destination = self.path(volume)
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(path, destination)  # a rename: no second pass over the bytes
        except OSError:  # another filesystem
            self.import_file(volume, Path(path))
            os.unlink(path)


def _sparse_copy(source: Path, target: Path) -> None:
    """Copy the data extents of `source`; holes stay holes (the size is kept)."""
    size = source.stat().st_size
    with open(source, "rb") as src, open(target, "wb") as dst:
        dst.truncate(size)
        for start, end in _extents(src.fileno(), size):
            src.seek(start)
            dst.seek(start)
            remaining = end - start
            while remaining > 0:
                chunk = src.read(min(_CHUNK, remaining))
                if not chunk:
                    break
                dst.write(chunk)
                remaining -= len(chunk)


def _extents(fd: int, size: int) -> list[tuple[int, int]]:
    """(start, end) of each data region; the whole file where holes cannot be asked for."""
    if not hasattr(os, "SEEK_DATA"):
        return [(0, size)]
    found: list[tuple[int, int]] = []
    offset = 0
    try:
        while offset < size:
            try:
                start = os.lseek(fd, offset, os.SEEK_DATA)
            except OSError:  # ENXIO: only a hole remains
                break
            end = os.lseek(fd, start, os.SEEK_HOLE)
            found.append((start, end))
            offset = end
    except OSError:
        return [(0, size)]
    return found
