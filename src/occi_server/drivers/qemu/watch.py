"""Who hears a guest's news, when several processes drive the same guests (`serve --workers N`:
each worker runs a reconciler with a QemuHypervisor of its own).

QEMU serves one client at a time on a QMP socket: a second watcher would wait in its backlog,
give up and take the guest for gone. So each guest's events are watched by exactly one process,
the one holding the guest's lock file (`<guest>/watch.lock`, an flock the kernel releases when
that process ends); the others look again every few seconds and one of them takes over.

The power state an operation leads to (a suspend's STOP means SUSPENDED, a STOP alone PAUSED;
a guest a worker stopped is no news when it ends) is kept in `<guest>/expected`, so the
watching process knows what an operation of any worker expects.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from pathlib import Path

from occi_server.drivers.hypervisor import PowerState

RESCAN_SECONDS = 5.0  # how soon another process takes over the guests of one that ended


class Locks:
    """The watch locks this process holds, by guest directory."""

    def __init__(self) -> None:
        self._held: dict[Path, int] = {}
        self._mutex = threading.Lock()

    def claim(self, folder: Path) -> bool:
        """Whether this process watches the guest (it holds its lock, or takes it now)."""
        with self._mutex:
            if folder in self._held:
                return True
            try:
                handle = os.open(folder / "watch.lock", os.O_RDWR | os.O_CREAT, 0o600)
            except FileNotFoundError:  # destroyed meanwhile
                return False
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(handle)
                return False
            self._held[folder] = handle
            return True

    def release(self, folder: Path) -> None:
        with self._mutex:
            handle = self._held.pop(folder, None)
        if handle is not None:
            os.close(handle)  # closing the descriptor releases its flock


class Expected:
    """The power state operations expect of each guest, in its directory (None: no record)."""

    @staticmethod
    def get(folder: Path) -> PowerState | None:
        try:
            return PowerState((folder / "expected").read_text().strip())
        except (OSError, ValueError):
            return None

    @staticmethod
    def set(folder: Path, power: PowerState) -> None:
        if not folder.is_dir():
            return
        partial = folder / "expected.partial"
        partial.write_text(power.value)
        partial.replace(folder / "expected")

    @staticmethod
    def setdefault(folder: Path, power: PowerState) -> None:
        if Expected.get(folder) is None:
            Expected.set(folder, power)

    @staticmethod
    def clear(folder: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            (folder / "expected").unlink()
