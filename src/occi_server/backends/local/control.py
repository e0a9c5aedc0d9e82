"""How a rule has the hypervisor do something: `perform` one operation for a compute.

With an `instant` driver (the simulated one) the operation runs at once and its outcome is
written in the request's own transaction: the client sees the finished state, and since the
state change and its outcome commit together nothing can be lost in between, so no intent is
kept. With any other driver the compute takes the step's transitional state (state.message
"starting", Nova's task state), an intent is recorded in the same transaction, and the
reconciler applies it after the answer (reconciler.py). Both ways end in `apply_outcome`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from occi_server import telemetry
from occi_server.backends.local import intents, store
from occi_server.backends.local.scope import Scope
from occi_server.backends.local.states import LIFECYCLE
from occi_server.backends.local.store import EntityRecord
from occi_server.drivers import hypervisor
from occi_server.drivers.hypervisor import DriverError, GuestKey
from occi_server.model.lifecycle import Step


def guest(scope: Scope, row: EntityRecord) -> GuestKey:
    return GuestKey(scope.project_id, row.location)


def perform(
    scope: Scope,
    row: EntityRecord,
    operation: str,
    arguments: Mapping[str, Any],
    *,
    step: Step | None = None,
    message: str | None = None,
) -> None:
    """Have the hypervisor do `operation` for the compute `row`; with a `step`, the compute
    shows it (transitional state while it runs, the step's target and `message` after)."""
    driver = scope.cloud.drivers.hypervisor
    if driver.instant:
        error = call(driver, operation, guest(scope, row), arguments)
        if error is None and step is None:
            return  # nothing to show
        attributes = dict(row.attributes)
        outcome = _success(attributes, step, message) if error is None else _failure(operation)
        if apply_outcome(attributes, outcome, error):
            store.write_attributes(scope, row, attributes)
        return
    attributes = dict(row.attributes)
    success = _success(attributes, step, message)
    failure = _failure(operation)
    if step is not None:
        LIFECYCLE.begin(attributes, step)
        if step.during is not None:
            attributes[LIFECYCLE.state] = LIFECYCLE.occi_state(
                step.during, attributes.get(LIFECYCLE.state)
            )
        store.write_attributes(scope, row, attributes)
    intents.record(
        scope.tx,
        project=scope.project_id,
        location=row.location,
        operation=operation,
        arguments=dict(arguments),
        success=success,
        failure=failure,
    )
    scope.after_commit.append(scope.cloud.drivers.wake)


def call(
    driver: hypervisor.Hypervisor, operation: str, key: GuestKey, arguments: Mapping[str, Any]
) -> str | None:
    """Run one operation; the driver's message when it fails (timed for the metrics)."""
    started = time.perf_counter()
    failed = True
    try:
        hypervisor.run(driver, operation, key, arguments)
        failed = False
    except DriverError as error:
        return str(error) or type(error).__name__
    finally:
        telemetry.backend_call("hypervisor", time.perf_counter() - started, failed)
    return None


def apply_outcome(
    attributes: dict[str, Any], outcome: Mapping[str, Any], error: str | None
) -> bool:
    """Set the outcome's attributes (None: removed); whether anything is to be written."""
    changed = False
    for name, value in dict(outcome.get("attributes", {})).items():
        if value is None:
            changed = attributes.pop(name, None) is not None or changed
        elif attributes.get(name) != value:
            attributes[name] = value
            changed = True
    if error is not None:
        attributes[LIFECYCLE.message] = (
            f"{outcome.get('operation', 'the operation')} failed: {error}"
        )
    return changed or error is not None


def _success(
    attributes: Mapping[str, Any], step: Step | None, message: str | None
) -> dict[str, Any]:
    if step is None:
        return {"attributes": {}}
    settled = dict(attributes)
    target = step.target if step.target is not None else LIFECYCLE.status_of(attributes)
    LIFECYCLE.settle(settled, target, message or step.done)
    names = (LIFECYCLE.status, LIFECYCLE.state, LIFECYCLE.message, LIFECYCLE.task)
    return {"attributes": {name: settled.get(name) for name in names if name is not None}}


def _failure(operation: str) -> dict[str, Any]:
    values: dict[str, Any] = {
        LIFECYCLE.status: LIFECYCLE.error,
        LIFECYCLE.state: LIFECYCLE.occi_state(LIFECYCLE.error),
    }
    if LIFECYCLE.task is not None:
        values[LIFECYCLE.task] = None
    return {"attributes": values, "operation": operation}
