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
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from occi_server.drivers.hypervisor import GuestKey, PowerListener, PowerState
from occi_server.drivers.qemu import process
from occi_server.drivers.qemu.guest import Guest
from occi_server.drivers.qemu.monitor import Monitors

log = logging.getLogger("occi_server.qemu")

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


class News:
    """This process's ear on its guests: the QMP events of those it holds the lock of, told to
    its listeners (the reconciler) when they are news; every RESCAN_SECONDS it looks for
    running guests nobody watches (a server restart, a worker that ended)."""

    def __init__(
        self, root: Path, guest_of: Callable[[GuestKey], Guest], monitors: Monitors
    ) -> None:
        self._root = root
        self._guest_of = guest_of
        self._monitors = monitors
        self._locks = Locks()
        self._listeners: list[PowerListener] = []
        self._rescan: threading.Thread | None = None
        self._closed = threading.Event()

    def listen(self, listener: PowerListener) -> None:
        self._listeners.append(listener)
        self._watch_running()
        if self._rescan is None:
            self._rescan = threading.Thread(
                target=self._rescanning, name="occi-qemu-rescan", daemon=True
            )
            self._rescan.start()

    def _rescanning(self) -> None:
        while not self._closed.wait(RESCAN_SECONDS):
            try:
                self._watch_running()
            except Exception:  # the next round tries again
                log.exception("qemu: looking for guests to watch failed")

    def _watch_running(self) -> None:
        for folder in sorted(self._root.iterdir()):
            if (folder / "guest.json").is_file():
                guest = self._guest_of(Guest.key_of(folder))
                if process.running(guest.pid_file) is not None:
                    Expected.setdefault(guest.folder, PowerState.RUNNING)
                    self.watch(guest)

    def watch(self, guest: Guest) -> None:
        """Hear the events of the guest's current QEMU process (one watch per process: the
        end of an earlier one, after a resize, is no news), when no other process does."""
        pid = process.running(guest.pid_file)
        if pid is None or not self._locks.claim(guest.folder):
            return

        def on_event(event: str, data: Any) -> None:
            del data
            if event == "STOP":
                suspended = Expected.get(guest.folder) == PowerState.SUSPENDED
                self._tell(guest, PowerState.SUSPENDED if suspended else PowerState.PAUSED)
            elif event == "RESUME":
                self._tell(guest, PowerState.RUNNING)

        def on_gone() -> None:
            self._locks.release(guest.folder)
            if guest.exists():  # off the event loop: waiting for the process to end blocks
                threading.Thread(target=self._gone, args=(guest,), daemon=True).start()

        self._monitors.watch(f"{guest.digest}:{pid}", guest.events, on_event, on_gone)

    def forget(self, guest: Guest) -> None:
        """A guest destroyed: no watch, no lock."""
        self._monitors.forget(guest.digest)
        self._locks.release(guest.folder)

    def _gone(self, guest: Guest) -> None:
        """The event socket closed: QEMU ended (it closes the socket just before it exits).
        If it still runs, the watch was lost and the next rescan watches it again; a newer
        process (a resize, a start) has its own watch."""
        if process.wait_gone(guest.pid_file, 5) and guest.exists():
            self._tell(guest, PowerState.SHUTOFF)

    def _tell(self, guest: Guest, power: PowerState) -> None:
        """A listener hears of a change the control plane does not already know of (its own
        operations, in any worker, set the state they lead to first)."""
        if Expected.get(guest.folder) in (None, power):
            Expected.setdefault(guest.folder, power)
            return
        Expected.set(guest.folder, power)
        log.info("qemu: %s is %s (reported by QEMU)", guest.key, power.value)
        for listener in self._listeners:
            listener(guest.key, power)

    def close(self) -> None:
        self._closed.set()
