"""Requests never wait on a guest: with a driver that is not instant, a request records an
intent and answers with the transitional state; the reconciler applies it afterwards and
records the outcome (the target state, or `error` with the driver's message). Drivers that
fail and that hang are injected through the backend's constructor."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from occi_server.backends.local import LocalBackend, default_offer
from occi_server.backends.local.reconciler import Settings
from occi_server.categories import infrastructure as infra
from occi_server.drivers import Drivers
from occi_server.drivers.files import FileStore
from occi_server.drivers.hypervisor import DriverError, GuestKey
from occi_server.drivers.simulated import SimulatedHypervisor
from occi_server.errors import Conflict
from occi_server.model import Resource

from .conftest import A, as_resource, compute, new_entity

START, STOP = infra.START.type_id, infra.STOP.type_id
STATE, MESSAGE = "occi.compute.state", "occi.compute.state.message"
NOVA, TASK = "org.openstack.compute.state", "org.openstack.compute.task_state"


class SlowHypervisor(SimulatedHypervisor):
    """Not instant: operations go through intents. `fail` makes start fail, `hang` makes it
    block until released; every call is counted."""

    def __init__(self, store: FileStore) -> None:
        super().__init__(store)
        self.instant = False
        self.fail: str | None = None
        self.hang = threading.Event()
        self.hanging = False
        self.calls: Counter[str] = Counter()
        self._count = threading.Lock()

    def start(self, key: GuestKey) -> None:
        with self._count:
            self.calls["start"] += 1
        if self.fail:
            raise DriverError(self.fail)
        if self.hanging:
            self.hang.wait(30)
        super().start(key)

    def stop(self, key: GuestKey, method: str) -> None:
        with self._count:
            self.calls["stop"] += 1
        super().stop(key, method)


@pytest.fixture
def slow(tmp_path: Path) -> SlowHypervisor:
    return SlowHypervisor(FileStore(tmp_path / "store"))


def _backend(engine: Engine, driver: SimulatedHypervisor, timeout: float = 5.0) -> LocalBackend:
    settings = Settings(timeout=timeout, poll=0.05)
    drivers = Drivers(driver, driver.store) if driver.store else None
    return LocalBackend(engine, default_offer(), drivers, settings)


@pytest.fixture
def backend(engine: Engine, slow: SlowHypervisor) -> Iterator[LocalBackend]:
    backend = _backend(engine, slow)
    yield backend
    backend.reconciler.stop()


def _get(backend: LocalBackend, location: str) -> Resource:
    with backend.open(A, write=False) as s:
        return as_resource(s.get_entity(location))


def _stopped_vm(backend: LocalBackend) -> str:
    with backend.open(A) as s:
        location = new_entity(s, compute()).location
    backend.reconciler.run_pending()
    with backend.open(A) as s:
        s.invoke_action(location, STOP, {})
    backend.reconciler.run_pending()
    return location


def test_a_new_compute_is_building_until_the_reconciler_has_booted_it(
    backend: LocalBackend,
) -> None:
    with backend.open(A) as s:
        vm = as_resource(new_entity(s, compute()))
    assert vm.attributes[NOVA] == "BUILD" and vm.attributes[TASK] == "spawning"
    assert vm.attributes[STATE] == "inactive" and vm.attributes[MESSAGE] == "building"
    assert vm.actions == []
    assert backend.reconciler.run_pending() == 1
    done = _get(backend, vm.location)
    assert done.attributes[STATE] == "active" and done.attributes[NOVA] == "ACTIVE"
    assert done.attributes[MESSAGE] == "running" and TASK not in done.attributes
    assert STOP in done.actions and done.version > vm.version


def test_an_action_answers_with_the_transitional_state_then_the_target(
    backend: LocalBackend, slow: SlowHypervisor
) -> None:
    location = _stopped_vm(backend)
    with backend.open(A) as s:
        starting = as_resource(s.invoke_action(location, START, {}))
    assert starting.attributes[MESSAGE] == "starting" and starting.attributes[TASK] == "powering-on"
    assert starting.attributes[STATE] == "inactive" and starting.actions == []
    with backend.open(A) as s, pytest.raises(Conflict, match="starting is under way"):
        s.invoke_action(location, STOP, {})
    backend.reconciler.run_pending()
    started = _get(backend, location)
    assert (started.attributes[STATE], started.attributes[MESSAGE]) == ("active", "started")
    assert slow.calls["start"] == 2  # the boot, and this start


def test_a_failing_driver_leaves_the_compute_in_error_with_its_message(
    backend: LocalBackend, slow: SlowHypervisor
) -> None:
    location = _stopped_vm(backend)
    slow.fail = "no host has 512 MiB free"
    with backend.open(A) as s:
        answered = as_resource(s.invoke_action(location, START, {}))
    assert answered.attributes[MESSAGE] == "starting"  # the request did not wait
    backend.reconciler.run_pending()
    failed = _get(backend, location)
    assert failed.attributes[STATE] == "error" and failed.attributes[NOVA] == "ERROR"
    assert failed.attributes[MESSAGE] == "start failed: no host has 512 MiB free"
    assert infra.RESTART.type_id in failed.actions  # the way out, as in Nova


def test_a_hanging_driver_is_bounded_by_the_driver_timeout(
    engine: Engine, slow: SlowHypervisor
) -> None:
    backend = _backend(engine, slow, timeout=0.3)
    try:
        location = _stopped_vm(backend)
        slow.hanging = True
        began = time.monotonic()
        with backend.open(A) as s:
            s.invoke_action(location, START, {})
        assert time.monotonic() - began < 0.3  # answered before the driver could finish
        backend.reconciler.run_pending()
        failed = _get(backend, location)
        assert failed.attributes[STATE] == "error"
        assert "did not finish within 0.3 s" in failed.attributes[MESSAGE]
    finally:
        slow.hang.set()
        backend.reconciler.stop()


def test_the_background_reconciler_applies_intents_after_the_answer(
    backend: LocalBackend,
) -> None:
    backend.start()
    with backend.open(A) as s:
        location = new_entity(s, compute()).location
    deadline = time.monotonic() + 10
    while _get(backend, location).attributes[STATE] != "active":
        assert time.monotonic() < deadline, "the reconciler did not boot the compute"
        time.sleep(0.02)


def test_with_two_processes_on_one_database_each_intent_is_applied_once(
    engine: Engine, slow: SlowHypervisor
) -> None:
    first, second = _backend(engine, slow), _backend(engine, slow)
    with first.open(A) as s:
        locations = [new_entity(s, compute()).location for _ in range(12)]
    workers = [threading.Thread(target=b.reconciler.run_pending) for b in (first, second) * 2]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert slow.calls["start"] == len(locations)  # each boot once, whoever took it
    assert {_get(first, p).attributes[STATE] for p in locations} == {"active"}


def _orphan(engine: Engine, owner: str, attempts: int) -> None:
    """What a killed process leaves: its intent `running`, claimed by a process now gone."""
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE intents SET status = 'running', owner = :owner, attempts = :attempts"),
            {"owner": owner, "attempts": attempts},
        )


def test_an_intent_left_running_by_a_dead_process_is_resumed_on_start(
    backend: LocalBackend, engine: Engine
) -> None:
    with backend.open(A) as s:
        location = new_entity(s, compute()).location
    host = backend.reconciler.owner.split(":")[0]
    _orphan(engine, f"{host}:999999999:gone", attempts=1)
    assert backend.reconciler.run_pending() == 0  # its lease has not run out
    assert backend.reconciler.recover() == 1
    assert backend.reconciler.run_pending() == 1
    assert _get(backend, location).attributes[STATE] == "active"


def test_an_intent_interrupted_too_often_fails_cleanly(
    backend: LocalBackend, engine: Engine
) -> None:
    with backend.open(A) as s:
        location = new_entity(s, compute()).location
    host = backend.reconciler.owner.split(":")[0]
    _orphan(engine, f"{host}:999999999:gone", attempts=3)
    backend.reconciler.recover()
    failed = _get(backend, location)
    assert failed.attributes[STATE] == "error"
    assert "interrupted 3 times" in failed.attributes[MESSAGE]
    assert backend.reconciler.run_pending() == 0


def test_a_guest_that_stops_by_itself_is_shown_stopped(engine: Engine, tmp_path: Path) -> None:
    instant = SimulatedHypervisor(FileStore(tmp_path / "store"))
    backend = _backend(engine, instant)
    backend.start()
    try:
        with backend.open(A) as s:
            location = new_entity(s, compute()).location
        instant.crash(GuestKey(A.project_id, location))
        deadline = time.monotonic() + 10
        while (vm := _get(backend, location)).attributes[STATE] != "inactive":
            assert time.monotonic() < deadline, "the power report was not recorded"
            time.sleep(0.02)
        assert (
            vm.attributes[NOVA] == "SHUTOFF"
            and "reported by the hypervisor" in vm.attributes[MESSAGE]
        )
    finally:
        backend.close()
