"""QMP, QEMU's own monitor protocol, through `qemu.qmp` (QEMU's client library).

Each guest has two QMP sockets: one that this process keeps open to hear the guest's lifecycle
events (SHUTDOWN, STOP, RESUME, RESET, and the socket closing when QEMU exits), and one that
each command connects to for its own duration (QEMU serves one client per socket). All of it
runs on one asyncio loop in a thread of its own; the driver's methods wait on it with a bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any, TypeVar

from qemu.qmp import EventListener, QMPClient, QMPError
from qemu.qmp.protocol import Runstate

from occi_server.drivers.hypervisor import DriverError

log = logging.getLogger("occi_server.qemu")

T = TypeVar("T")
EventHandler = Callable[[str, Mapping[str, Any]], None]
# Events that change what a guest is doing (the rest: devices, block jobs... are not states).
LIFECYCLE_EVENTS = ("SHUTDOWN", "STOP", "RESUME", "RESET", "POWERDOWN")


class Monitors:
    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="occi-qemu-qmp", daemon=True
        )
        self._thread.start()
        self._watchers: dict[str, asyncio.Task[None]] = {}
        # Silence qemu.qmp's own per-message logging (its errors are ours to report).
        logging.getLogger("qemu.qmp").setLevel(logging.CRITICAL)

    def _wait(self, coroutine: Coroutine[Any, Any, T], timeout: float) -> T:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise DriverError(f"QEMU did not answer within {timeout:g} s") from None

    def command(
        self, socket: Path, name: str, arguments: Mapping[str, object] | None = None,
        *, timeout: float = 15.0,
    ) -> object:  # fmt: skip
        """Run one QMP command on the guest's command socket; its return value."""
        return self._wait(self._command(socket, name, arguments, None, timeout), timeout + 1)

    def command_until(
        self, socket: Path, name: str, arguments: Mapping[str, object], event: str,
        matches: Callable[[Mapping[str, Any]], bool], *, timeout: float = 30.0,
    ) -> object:  # fmt: skip
        """Run a command, then wait for the event that says it is done (device_del: the guest
        released the device, DEVICE_DELETED)."""
        wanted = (event, matches)
        return self._wait(self._command(socket, name, arguments, wanted, timeout), timeout + 1)

    async def _command(
        self,
        socket: Path,
        name: str,
        arguments: Mapping[str, object] | None,
        wanted: tuple[str, Callable[[Mapping[str, Any]], bool]] | None,
        timeout: float,
    ) -> object:
        client = QMPClient("occi-command")
        try:
            await asyncio.wait_for(client.connect(str(socket)), timeout)
        except (QMPError, OSError, TimeoutError) as error:
            raise DriverError(f"QEMU's monitor {socket.name} does not answer: {error}") from None
        try:
            if wanted is None:
                return await asyncio.wait_for(client.execute(name, dict(arguments or {})), timeout)
            with client.listener(wanted[0]) as listener:
                result = await client.execute(name, dict(arguments or {}))
                await asyncio.wait_for(_until(listener, wanted[1]), timeout)
                return result
        except TimeoutError:
            raise DriverError(f"QEMU: {name} did not finish within {timeout:g} s") from None
        except QMPError as error:
            raise DriverError(f"QEMU refused {name}: {error}") from None
        finally:
            with contextlib.suppress(Exception):
                await client.disconnect()

    def watch(self, name: str, socket: Path, on_event: EventHandler, on_gone: Callable[[], None]
              ) -> None:  # fmt: skip
        """Keep the guest's event socket open: `on_event` for each lifecycle event, `on_gone`
        once when QEMU closes it (it exited). A guest watched already is left as it is."""

        def begin() -> None:
            for done in [n for n, task in self._watchers.items() if task.done()]:
                del self._watchers[done]
            if name in self._watchers:
                return
            self._watchers[name] = self._loop.create_task(
                _watch(socket, on_event, on_gone), name=f"occi-watch-{name}"
            )

        self._loop.call_soon_threadsafe(begin)

    def forget(self, prefix: str) -> None:
        """Stop watching (every watch whose name starts with `prefix`)."""

        def end() -> None:
            for name in [n for n in self._watchers if n.startswith(prefix)]:
                self._watchers.pop(name).cancel()

        self._loop.call_soon_threadsafe(end)

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)


async def _until(listener: EventListener, matches: Callable[[Mapping[str, Any]], bool]) -> None:
    async for event in listener:
        data = event.get("data")
        if matches(data if isinstance(data, dict) else {}):
            return


async def _watch(socket: Path, on_event: EventHandler, on_gone: Callable[[], None]) -> None:
    client = QMPClient("occi-events")
    try:
        await asyncio.wait_for(client.connect(str(socket)), 10)
    except (QMPError, OSError, TimeoutError) as error:
        log.warning("qemu: cannot watch %s: %s", socket.name, error)
        on_gone()
        return
    listener = EventListener(LIFECYCLE_EVENTS)
    client.register_listener(listener)

    async def events() -> None:
        async for event in listener:
            _call(on_event, str(event["event"]), event.get("data") or {})

    reader = asyncio.ensure_future(events())
    try:
        while client.runstate == Runstate.RUNNING:
            await client.runstate_changed()
    finally:
        await asyncio.sleep(0)  # events already queued are delivered first
        for event in listener.clear():
            _call(on_event, str(event["event"]), event.get("data") or {})
        reader.cancel()
        client.remove_listener(listener)
        with contextlib.suppress(Exception):
            await client.disconnect()
    _call(on_gone)


def _call(handler: Callable[..., None], *arguments: Any) -> None:
    try:
        handler(*arguments)
    except Exception:  # a listener's bug must not end the watch
        log.exception("qemu: a guest event handler failed")
